// The addon in worker threads: a worker that is terminated (its finalizers
// never run) leaves no KVM descriptor, guest memory or tick timer behind.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { kvmMappings } from './test-helpers.js';

/** A guest memory size nothing else in the process maps. */
const GUEST_BYTES = (1 << 20) + 5 * 4096;

const fds = () => readdirSync('/proc/self/fd').length;
/** POSIX timers of this process (each a tick). */
const timers = () => (readFileSync('/proc/self/timers', 'utf8').match(/^ID:/gm) ?? []).length;

// Everything a sandbox's platform holds, made through the addon and never
// closed: /dev/kvm, a VM, guest memory, a vCPU with its
// kvm_run mapping and a tick timer aimed at the worker's thread.
const HOLD_EVERYTHING = `
  const { parentPort, workerData } = require('node:worker_threads');
  const native = require(workerData.gyp)(workerData.root);
  const ok = (r) => { if (typeof r === 'number' && r < 0) throw new Error('errno ' + -r); return r; };
  const kvm = ok(native.open('/dev/kvm'));
  const vm = ok(native.ioctlInt(kvm, native.ioctls.KVM_CREATE_VM, 0));
  globalThis.memory = ok(native.mapGuest(${GUEST_BYTES}));
  const vcpu = ok(native.ioctlInt(vm, native.ioctls.KVM_CREATE_VCPU, 0));
  const size = ok(native.ioctlInt(kvm, native.ioctls.KVM_GET_VCPU_MMAP_SIZE, 0));
  globalThis.run = ok(native.mapShared(vcpu, size));
  ok(native.tickStart(native.gettid(), 10_000_000));
  parentPort.postMessage('holding');
  setInterval(() => {}, 1000);`;

describe.skipIf(announceKvmSkip())('worker threads', () => {
  it('releases what a terminated worker held: descriptors, guest memory, timers', async () => {
    const before = { fds: fds(), mappings: kvmMappings(GUEST_BYTES), timers: timers() };
    const worker = new Worker(HOLD_EVERYTHING, {
      eval: true,
      workerData: { gyp: createRequire(import.meta.url).resolve('node-gyp-build'), root: new URL('..', import.meta.url).pathname },
    });
    await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    // The worker's own event loop has descriptors too: at least the 3 of KVM are more.
    expect(fds()).toBeGreaterThanOrEqual(before.fds + 3);
    expect(kvmMappings(GUEST_BYTES)).toBe(before.mappings + 2);
    expect(timers()).toBe(before.timers + 1);
    await worker.terminate();
    expect({ fds: fds(), mappings: kvmMappings(GUEST_BYTES), timers: timers() }).toEqual(before);
  });
});
