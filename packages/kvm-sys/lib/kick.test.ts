// The kick: a guest spinning forever is made to return from KVM_RUN, by
// another thread or by the periodic tick, and resumes where it was.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { announceKvmSkip, assemble } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { constant, Kvm } from './index.js';

// Counts in ax forever (real mode, no exits).
const SPIN = '1: inc %ax\njmp 1b';

function spinningGuest() {
  const kvm = Kvm.open();
  const vm = kvm.createVm();
  const mem = vm.createGuestMemory(0x10000);
  vm.mapMemory(0, 0, mem);
  mem.bytes.set(assemble(SPIN, { origin: 0x1000, code16: true }).bytes, 0x1000);
  const cpu = vm.createVcpu(0);
  const s = cpu.getSregs();
  s.cs.base = 0n;
  s.cs.selector = 0;
  cpu.setSregs(s);
  cpu.setRegs({ rip: 0x1000n, rflags: 2n, rax: 0n });
  const close = () => {
    cpu.close();
    vm.destroy();
    kvm.close();
  };
  return { cpu, close };
}

const INTR = () => constant('KVM_EXIT_INTR');

describe.skipIf(announceKvmSkip())('kick', () => {
  it('another thread interrupts a spinning guest, which then resumes', async () => {
    const { cpu, close } = spinningGuest();
    const tid = cpu.threadId;
    // The worker loads the same addon and kicks this thread 50 ms after it
    // starts, having set `sent` first.
    const sent = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const load = require(workerData.gyp);
       const native = load(workerData.root);
       setTimeout(() => {
         Atomics.store(workerData.sent, 0, 1);
         parentPort.postMessage(native.kick(workerData.tid));
       }, 50);`,
      {
        eval: true,
        workerData: {
          tid,
          sent,
          gyp: createRequire(import.meta.url).resolve('node-gyp-build'),
          root: new URL('..', import.meta.url).pathname,
        },
      },
    );
    const started = Date.now();
    // Any signal to this thread ends KVM_RUN with EINTR, and Node may send its
    // own (Node 22 does, while a worker starts): the guest is entered again
    // until the kick is under way. It spun at least until then.
    do expect(cpu.run()).toBe(INTR());
    while (Atomics.load(sent, 0) === 0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
    const kicked = await new Promise((r) => worker.once('message', r));
    expect(kicked).toBe(0);
    await worker.terminate();

    const first = cpu.getRegs().rax & 0xffffn;
    expect(first).not.toBe(0n); // it ran
    cpu.startTick(20e6);
    expect(cpu.run()).toBe(INTR()); // resumed, then preempted by the tick
    cpu.stopTick();
    expect(cpu.getRegs().rip).toBeGreaterThanOrEqual(0x1000n);
    expect(cpu.runBytes[0]! + cpu.runBytes[1]!).toBe(0); // immediate_exit cleared
    close();
  });

  it('a kick before KVM_RUN makes the next run return at once', () => {
    const { cpu, close } = spinningGuest();
    cpu.kick();
    expect(cpu.run()).toBe(INTR());
    close();
  });

  it('vCPUs of two VMs share a thread: kicks and ticks reach the right one', () => {
    const a = spinningGuest();
    const b = spinningGuest(); // created last: the thread's binding is b's
    a.cpu.kick();
    expect(a.cpu.run()).toBe(INTR()); // a's own kick, though b was bound
    b.cpu.startTick(10e6);
    expect(b.cpu.run()).toBe(INTR()); // b's tick while b runs
    b.cpu.stopTick();
    a.cpu.startTick(10e6);
    expect(a.cpu.run()).toBe(INTR()); // and a's tick once a runs again
    a.cpu.stopTick();
    a.close();
    b.close();
  });

  it('a kick after the bound vCPU of its thread was closed still stops the next run (a sandbox ending beside another in one worker)', () => {
    const a = spinningGuest();
    const b = spinningGuest(); // the thread's binding is b's
    b.close(); // and goes with b's kvm_run page
    expect(() => a.cpu.kick()).not.toThrow();
    expect(a.cpu.run()).toBe(INTR());
    a.close();
  });

  it('the periodic tick preempts repeatedly, never faster than its period', () => {
    const { cpu, close } = spinningGuest();
    cpu.startTick(10e6);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 5; i++) expect(cpu.run()).toBe(INTR());
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    cpu.stopTick();
    // Five expiries of a 10 ms timer: the last at least 40 ms after the first
    // could fall due. A busy host only makes it later, so there is no upper bound.
    expect(ms).toBeGreaterThan(30);
    close();
  });
});
