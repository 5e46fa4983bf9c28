// Guest memory handed from a retired platform to the next: nothing the first
// guest (or its Sentry) wrote reaches the second, which runs normally on it.
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Stop } from '../platform.js';
import { Reg } from '../registers.js';
import { KvmPlatform } from './platform.js';
import { KEEP_BACKED_BYTES } from './spare-memory.js';
import { DATA_VA, newTask, run } from './test-support.js';

const MEMORY = 64 << 20;
const PAGE = 4096;

// Fills the data page with 0xa5 from ring 3, then calls getpid.
const WRITE = `
  mov $${DATA_VA}, %rdi
  mov $512, %ecx
  movabs $0xa5a5a5a5a5a5a5a5, %rax
  rep stosq
  mov $39, %eax
  syscall
  ud2
`;

// ORs every byte of the data page into rdi, then calls getpid.
const READ = `
  mov $${DATA_VA}, %rsi
  mov $512, %ecx
  xor %edi, %edi
1:
  or (%rsi), %rdi
  add $8, %rsi
  dec %ecx
  jnz 1b
  mov $39, %eax
  syscall
  ud2
`;

function platform(options: ConstructorParameters<typeof KvmPlatform>[0]): KvmPlatform {
  const p = new KvmPlatform(options);
  onTestFinished(() => p.close());
  return p;
}

/** Every user and table frame `p` can still hand out; throws at the first one that is not all zero. */
function expectAllHandedOutZero(p: KvmPlatform): number {
  let frames = 0;
  const check = (f: number) => {
    const page = p.memory.bytes.subarray(f, f + PAGE);
    if (page.some((b) => b !== 0)) throw new Error(`frame 0x${f.toString(16)} holds the last guest's bytes`);
    frames++;
  };
  for (let f = p.memory.allocate(1); f >= 0; f = p.memory.allocate(1)) check(f);
  for (let f = p.memory.allocateTable(); f >= 0; f = p.memory.allocateTable()) check(f);
  return frames;
}

describe.skipIf(announceKvmSkip())('spare guest memory', () => {
  it("gives the next platform zeroed frames only, and the next guest none of the last one's bytes", () => {
    const first = platform({ memoryBytes: MEMORY });
    const ctx = first.newContext();
    const writer = newTask(first, ctx, WRITE);
    expect(run(ctx, writer)).toBe(Stop.Syscall);
    const data = first.memory.bytes.subarray(0, MEMORY);
    // What a Sentry keeps in guest memory too: file pages, page tables, its own copies.
    const used: number[] = [];
    for (let i = 0; i < 512; i++) used.push(first.memory.allocate(1));
    for (let i = 0; i < 64; i++) used.push(first.memory.allocateTable());
    for (const f of used) data.fill(0x5a, f, f + PAGE);
    expect(data.includes(0xa5)).toBe(true); // the guest's own store is in memory

    const spare = first.retire()!;
    expect(first.memory.bytes.length).toBe(0); // a stale reference reaches nothing
    expect(first.retire()).toBeUndefined();

    const second = platform({ memoryBytes: MEMORY, spare });
    expect(spare.taken).toBe(true);
    const ctx2 = second.newContext();
    const reader = newTask(second, ctx2, READ);
    expect(run(ctx2, reader)).toBe(Stop.Syscall);
    expect(reader.regs.getBig(Reg.rdi)).toBe(0n);
    // Without the zeroing this would fail: the same frames, first fit, were the first guest's.
    expect(expectAllHandedOutZero(second)).toBeGreaterThan(used.length);
  });

  it('zeroes them whatever the next layout: old table frames in the new user region too', () => {
    for (const [before, after] of [
      [16 << 20, 8 << 20],
      [8 << 20, 16 << 20],
    ]) {
      const first = platform({ memoryBytes: MEMORY, tableBytes: before });
      const used: number[] = [];
      for (let i = 0; i < 256; i++) used.push(first.memory.allocateTable(), first.memory.allocate(1));
      for (const f of used) first.memory.bytes.fill(0x5a, f, f + PAGE);
      const second = platform({ memoryBytes: MEMORY, tableBytes: after, spare: first.retire()! });
      expect(expectAllHandedOutZero(second)).toBeGreaterThan(used.length);
    }
  });

  it('is taken once, by a platform of its size', () => {
    const first = platform({ memoryBytes: MEMORY });
    const spare = first.retire()!;
    expect(() => platform({ memoryBytes: 2 * MEMORY, spare })).toThrow(/spare guest memory has 67108864 bytes/);
    platform({ memoryBytes: MEMORY, spare });
    expect(() => platform({ memoryBytes: MEMORY, spare })).toThrow(/already taken/);
  });

  it('gives the host back a memory the last guest filled beyond the bound, which then reads as zero', () => {
    const first = platform({ memoryBytes: 4 * KEEP_BACKED_BYTES });
    const pages = KEEP_BACKED_BYTES / PAGE + 1;
    const f = first.memory.allocate(pages);
    first.memory.bytes.fill(0x77, f, f + pages * PAGE);
    const spare = first.retire()!;
    const second = platform({ memoryBytes: 4 * KEEP_BACKED_BYTES, spare });
    // Zero before any frame is handed out (and zeroed): the pages went back to the host.
    expect(second.memory.bytes.subarray(f, f + pages * PAGE).every((b) => b === 0)).toBe(true);
    expect(second.memory.allocate(pages)).toBe(f);
  });
});
