// The addon in worker threads: a worker that is terminated (its finalizers
// never run) leaves no KVM descriptor, guest memory or tick timer behind.
import { createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';

const fds = () => readdirSync('/proc/self/fd').length;
const guestMappings = () =>
  readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((l) => l.includes('tsv-guest') || l.includes('kvm-vcpu')).length;
/** POSIX timers of this process (each a tick). */
const timers = () => (readFileSync('/proc/self/timers', 'utf8').match(/^ID:/gm) ?? []).length;

// Everything a sandbox's platform holds, made through the addon and never
// closed: /dev/kvm, a VM, guest memory (memfd and mapping), a vCPU with its
// kvm_run mapping and a tick timer aimed at the worker's thread.
const HOLD_EVERYTHING = `
  const { parentPort, workerData } = require('node:worker_threads');
  const native = require(workerData.gyp)(workerData.root);
  const ok = (r) => { if (typeof r === 'number' && r < 0) throw new Error('errno ' + -r); return r; };
  const kvm = ok(native.open('/dev/kvm'));
  const vm = ok(native.ioctlInt(kvm, native.ioctls.KVM_CREATE_VM, 0));
  const memfd = ok(native.memfdCreate('tsv-guest', 1 << 20));
  globalThis.memory = ok(native.mapShared(memfd, 1 << 20));
  const vcpu = ok(native.ioctlInt(vm, native.ioctls.KVM_CREATE_VCPU, 0));
  const size = ok(native.ioctlInt(kvm, native.ioctls.KVM_GET_VCPU_MMAP_SIZE, 0));
  globalThis.run = ok(native.mapShared(vcpu, size));
  ok(native.tickStart(native.gettid(), 10_000_000));
  parentPort.postMessage('holding');
  setInterval(() => {}, 1000);`;

describe.skipIf(announceKvmSkip())('worker threads', () => {
  it('releases what a terminated worker held: descriptors, guest memory, timers', async () => {
    const before = { fds: fds(), mappings: guestMappings(), timers: timers() };
    const worker = new Worker(HOLD_EVERYTHING, {
      eval: true,
      workerData: { gyp: createRequire(import.meta.url).resolve('node-gyp-build'), root: new URL('..', import.meta.url).pathname },
    });
    await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    // The worker's own event loop has descriptors too: at least the 4 of KVM and the memfd are more.
    expect(fds()).toBeGreaterThanOrEqual(before.fds + 4);
    expect(guestMappings()).toBe(before.mappings + 2);
    expect(timers()).toBe(before.timers + 1);
    await worker.terminate();
    expect({ fds: fds(), mappings: guestMappings(), timers: timers() }).toEqual(before);
  });
});
