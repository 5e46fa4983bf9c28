// Test scaffolding for the KVM platform: a platform with a small guest, and
// ring-3 programs assembled from source and mapped at CODE_VA.
import { assemble } from '@tsv/testing';
import { onTestFinished } from 'vitest';
import { PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE, type StopReason } from '../platform.js';
import { Reg, Registers } from '../registers.js';
import type { KvmAddressSpace } from './address-space.js';
import type { KvmContext } from './context.js';
import { KvmPlatform } from './platform.js';

export const CODE_VA = 0x40_0000;
export const DATA_VA = 0x60_0000;
export const STACK_TOP = 0x7fff_0000_0000;
export const STACK_SIZE = 0x10000;

export interface Task {
  as: KvmAddressSpace;
  regs: Registers;
  fpu: { bytes: Uint8Array };
}

/** A platform with a small guest and one context, closed when the current test ends (call it inside a test). */
export function newPlatform(memoryBytes = 64 << 20): { platform: KvmPlatform; ctx: KvmContext } {
  const platform = new KvmPlatform({ memoryBytes });
  onTestFinished(() => platform.close());
  return { platform, ctx: platform.newContext() };
}

/** Maps `bytes` into fresh frames at `va` with `prot`; returns the frames' physical address. */
export function mapBytes(platform: KvmPlatform, as: KvmAddressSpace, va: number, bytes: Uint8Array, prot: number, size = 0): number {
  const len = Math.max(size, Math.ceil(bytes.length / PAGE_SIZE) * PAGE_SIZE, PAGE_SIZE);
  const frame = platform.memory.allocate(len / PAGE_SIZE);
  if (frame < 0) throw new Error('out of guest memory');
  platform.memory.bytes.set(bytes, frame);
  as.map(va, len, frame, prot);
  return frame;
}

/** A task running `source` (AT&T, assembled at CODE_VA) with a stack and an RW data page at DATA_VA. */
export function newTask(platform: KvmPlatform, ctx: KvmContext, source: string, as = platform.newAddressSpace()): Task {
  mapBytes(platform, as, CODE_VA, assemble(source, { origin: CODE_VA }).bytes, PROT_READ | PROT_EXEC);
  mapBytes(platform, as, STACK_TOP - STACK_SIZE, new Uint8Array(0), PROT_READ | PROT_WRITE, STACK_SIZE);
  mapBytes(platform, as, DATA_VA, new Uint8Array(0), PROT_READ | PROT_WRITE);
  const regs = new Registers();
  regs.set(Reg.rip, CODE_VA);
  regs.set(Reg.rsp, STACK_TOP);
  regs.set(Reg.eflags, 0x202);
  return { as, regs, fpu: ctx.newFpuState() };
}

export function run(ctx: KvmContext, t: Task): StopReason {
  return ctx.switch(t.as, t.regs, t.fpu);
}
