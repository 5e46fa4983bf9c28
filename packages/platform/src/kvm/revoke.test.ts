// Taking rights away takes effect before the task runs again, even though
// the guest had the old translation cached (shadow paging: see revoke.ts).
import { REVOKE_LIST_CAPACITY } from '@tsv/ring0';
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { ACCESS_READ, ACCESS_WRITE, PROT_READ, PROT_WRITE, Stop } from '../platform.js';
import { Reg } from '../registers.js';
import { QUARANTINE_BATCH } from './revoke.js';
import { CODE_VA, DATA_VA, mapBytes, newPlatform, newTask, run } from './test-support.js';

// Reads and writes its data page, then makes a syscall with what it read.
const TOUCH = `movabs $${DATA_VA}, %rbx\n1: mov (%rbx), %rdi\nmov %rdi, 8(%rbx)\nmov $1, %eax\nsyscall\njmp 1b`;
// Stores 7 at RBX and makes a syscall, forever.
const WRITE_RBX = `1: movq $7, (%rbx)\nmov $1, %eax\nsyscall\njmp 1b`;
// Reads the word at RBX into RDI and makes a syscall with it, forever.
const READ_RBX = `1: mov (%rbx), %rdi\nmov $1, %eax\nsyscall\njmp 1b`;
const page = (v: number) => {
  const x = new Uint8Array(4096);
  new DataView(x.buffer).setUint32(0, v, true);
  return x;
};

describe.skipIf(announceKvmSkip())('revoking mappings', () => {
  it('unmap, protect and remap take effect at once', () => {
    const p = newPlatform();
    const t = newTask(p.platform, p.ctx, TOUCH);
    mapBytes(p.platform, t.as, DATA_VA, page(11), PROT_READ | PROT_WRITE);
    for (let i = 0; i < 3; i++) expect(run(p.ctx, t)).toBe(Stop.Syscall);
    expect(t.regs.get(Reg.rdi)).toBe(11);

    // Another frame at the same address: the task sees the new contents.
    mapBytes(p.platform, t.as, DATA_VA, page(22), PROT_READ | PROT_WRITE);
    expect(run(p.ctx, t)).toBe(Stop.Syscall);
    expect(t.regs.get(Reg.rdi)).toBe(22);

    // Read-only: the write faults.
    t.as.protect(DATA_VA, 4096, PROT_READ);
    expect(run(p.ctx, t)).toBe(Stop.Fault);
    expect(p.ctx.fault).toMatchObject({ vector: 14, address: DATA_VA + 8, access: ACCESS_WRITE, protection: true });

    // Unmapped: the read faults (restart the program at its first instruction).
    t.as.unmap(DATA_VA, 4096);
    t.regs.set(Reg.rip, CODE_VA);
    expect(run(p.ctx, t)).toBe(Stop.Fault);
    expect(p.ctx.fault).toMatchObject({ vector: 14, address: DATA_VA, access: ACCESS_READ, protection: false });
  });

  it('a revocation made on one vCPU holds on the others (threads of one address space)', () => {
    const p = newPlatform();
    const a = newTask(p.platform, p.ctx, TOUCH);
    const b = { ...newTask(p.platform, p.ctx, TOUCH, a.as), fpu: p.ctx.newFpuState() };
    mapBytes(p.platform, a.as, DATA_VA, page(55), PROT_READ | PROT_WRITE);
    // Each task has a vCPU of its own (its FPU state lives there), and both have the page cached.
    for (let i = 0; i < 3; i++) for (const t of [a, b]) expect(run(p.ctx, t)).toBe(Stop.Syscall);
    expect(p.ctx.vcpus.length).toBe(2);

    a.as.protect(DATA_VA, 4096, PROT_READ); // revoked on a's vCPU, before a runs
    expect(run(p.ctx, a)).toBe(Stop.Fault);
    expect(p.ctx.fault).toMatchObject({ vector: 14, address: DATA_VA + 8, access: ACCESS_WRITE });
    expect(run(p.ctx, b)).toBe(Stop.Fault);
    expect(p.ctx.fault).toMatchObject({ vector: 14, address: DATA_VA + 8, access: ACCESS_WRITE });

    a.as.unmap(DATA_VA, 4096); // now revoked on b's vCPU
    for (const t of [b, a]) {
      t.regs.set(Reg.rip, CODE_VA);
      expect(run(p.ctx, t)).toBe(Stop.Fault);
      expect(p.ctx.fault).toMatchObject({ vector: 14, address: DATA_VA, access: ACCESS_READ });
    }
  });

  it('a kick that lands during the revoke routine does not break it', () => {
    const p = newPlatform();
    const t = newTask(p.platform, p.ctx, TOUCH);
    mapBytes(p.platform, t.as, DATA_VA, page(44), PROT_READ | PROT_WRITE);
    expect(run(p.ctx, t)).toBe(Stop.Syscall);
    t.as.unmap(DATA_VA, 4096);
    p.ctx.interrupt(); // pending: the routine's first KVM_RUN returns at once
    expect(run(p.ctx, t)).toBe(Stop.Fault);
    expect(p.ctx.fault.address).toBe(DATA_VA);
  });

  it('unmapping a whole table and mapping elsewhere does not bring old mappings back', () => {
    const p = newPlatform();
    const t = newTask(p.platform, p.ctx, TOUCH);
    mapBytes(p.platform, t.as, DATA_VA, page(33), PROT_READ | PROT_WRITE);
    expect(run(p.ctx, t)).toBe(Stop.Syscall);
    t.as.unmap(DATA_VA, 4096); // drops the last page of its table
    // New tables for other addresses must not reuse the dropped table's shadow.
    for (let i = 1; i <= 8; i++) mapBytes(p.platform, t.as, DATA_VA + i * (2 << 20), page(100 + i), PROT_READ);
    expect(run(p.ctx, t)).toBe(Stop.Fault);
    expect(p.ctx.fault.address).toBe(DATA_VA);
  });

  it('a freed table frame reused as a table brings none of its old mappings back', () => {
    const p = newPlatform();
    const mem = p.platform.memory;
    const t = newTask(p.platform, p.ctx, READ_RBX);
    const A = 0x1000_5000; // alone in its 2 MiB slot: its own last-level table
    mapBytes(p.platform, t.as, A, page(33), PROT_READ | PROT_WRITE);
    t.regs.set(Reg.rbx, A);
    expect(run(p.ctx, t)).toBe(Stop.Syscall);
    expect(t.regs.get(Reg.rdi)).toBe(33);
    const table = t.as.tables.deepestEntry(A) - ((A / 4096) % 512) * 8;
    t.as.unmap(A, 4096);
    expect(mem.quarantined).toBe(1);
    t.regs.set(Reg.rip, CODE_VA);
    // The switch revoked the directory entry, and the routine forgot the table frame too.
    expect(run(p.ctx, t)).toBe(Stop.Fault);
    expect(mem.quarantined).toBe(0);

    // Make that frame the only free table frame, so the next table is built in it.
    const data = mem.allocate(1);
    mem.bytes.set(page(77), data);
    const held: number[] = [];
    for (let f = mem.allocateTable(); f >= 0; f = mem.allocateTable()) held.push(f);
    expect(held).toContain(table);
    mem.freeTable(table);
    mem.release(mem.takeQuarantined()); // KVM forgot it already: the switch above revoked it
    const B = 0x2000_5000; // same slot index as A, in another 2 MiB region
    t.as.map(B + 4096, 4096, data, PROT_READ);
    expect(t.as.tables.deepestEntry(B + 4096) - (((B + 4096) / 4096) % 512) * 8).toBe(table);

    t.regs.set(Reg.rbx, B + 4096);
    t.regs.set(Reg.rip, CODE_VA);
    expect(run(p.ctx, t)).toBe(Stop.Syscall);
    expect(t.regs.get(Reg.rdi)).toBe(77);
    // Where the frame once mapped A's page, the new table maps nothing.
    t.regs.set(Reg.rbx, B);
    t.regs.set(Reg.rip, CODE_VA);
    expect(run(p.ctx, t)).toBe(Stop.Fault);
    expect(p.ctx.fault.address).toBe(B);
  });

  it('tables freed and built again over and over never run out of frames', () => {
    const p = newPlatform(4 << 20); // about 700 frames above the kernel image
    const t = newTask(p.platform, p.ctx, READ_RBX);
    const data = mapBytes(p.platform, t.as, DATA_VA, page(5), PROT_READ);
    for (let i = 0; i < 1500; i++) {
      // A 1 GiB region of its own each time: a new directory and table, freed by the unmap.
      const va = 0x100_0000_0000 + (i % 1024) * 2 ** 30;
      t.as.map(va, 4096, data, PROT_READ);
      t.regs.set(Reg.rbx, va);
      t.regs.set(Reg.rip, CODE_VA);
      expect(run(p.ctx, t)).toBe(Stop.Syscall);
      expect(t.regs.get(Reg.rdi)).toBe(5);
      t.as.unmap(va, 4096);
    }
    // At most a batch short of one, and the last unmap's table, directory and directory pointer.
    expect(p.platform.memory.quarantined).toBeLessThan(QUARANTINE_BATCH + 3);
  });

  it('forgets quarantined table frames in batches: an entry makes no ring-0 call for fewer', () => {
    const p = newPlatform();
    const mem = p.platform.memory;
    const t = newTask(p.platform, p.ctx, READ_RBX);
    const data = mapBytes(p.platform, t.as, DATA_VA, page(5), PROT_READ);
    t.regs.set(Reg.rbx, DATA_VA);
    expect(run(p.ctx, t)).toBe(Stop.Syscall);
    const stats = p.ctx.vcpu.stats;
    // Other address spaces, each entered once and dropped: their tables go to quarantine.
    let other = 0;
    const dropOne = () => {
      const o = newTask(p.platform, p.ctx, READ_RBX);
      o.as.map(DATA_VA, 4096, data, PROT_READ);
      o.regs.set(Reg.rbx, DATA_VA);
      expect(run(p.ctx, o)).toBe(Stop.Syscall);
      o.as.release();
      other++;
    };
    for (dropOne(); mem.quarantined < QUARANTINE_BATCH; dropOne()) {
      const runs = stats.kernelRuns;
      expect(run(p.ctx, t)).toBe(Stop.Syscall);
      expect(stats.kernelRuns).toBe(runs); // entered with frames waiting, and no routine ran
    }
    const waiting = mem.quarantined;
    const runs = stats.kernelRuns;
    expect(run(p.ctx, t)).toBe(Stop.Syscall);
    expect(mem.quarantined).toBe(0);
    expect(stats.kernelRuns - runs).toBeGreaterThanOrEqual(Math.ceil(waiting / REVOKE_LIST_CAPACITY));
    expect(t.regs.get(Reg.rdi)).toBe(5);
    expect(other).toBeGreaterThan(1);
  });

  it('revokes nothing in an address space no vCPU has entered yet: its first entry sees what it maps now', () => {
    const p = newPlatform();
    const mem = p.platform.memory;
    const stats = p.ctx.vcpu.stats;
    const runs = stats.kernelRuns;
    const t = newTask(p.platform, p.ctx, WRITE_RBX);
    const HUGE = 2 << 20;
    const block = 0x4000_0000;
    t.as.map(block, HUGE, mem.allocate(512, HUGE), PROT_READ | PROT_WRITE);
    t.as.protect(block, 4096, PROT_READ); // narrowed, and the 2 MiB leaf split, before any entry
    t.as.protect(DATA_VA, 4096, PROT_READ);
    t.regs.set(Reg.rbx, DATA_VA);
    expect(run(p.ctx, t)).toBe(Stop.Fault);
    expect(p.ctx.fault).toMatchObject({ address: DATA_VA, access: ACCESS_WRITE, protection: true });
    t.regs.set(Reg.rbx, block);
    t.regs.set(Reg.rip, CODE_VA);
    expect(run(p.ctx, t)).toBe(Stop.Fault);
    expect(p.ctx.fault).toMatchObject({ address: block, access: ACCESS_WRITE, protection: true });
    t.regs.set(Reg.rbx, block + 4096);
    t.regs.set(Reg.rip, CODE_VA);
    expect(run(p.ctx, t)).toBe(Stop.Syscall);
    expect(stats.kernelRuns).toBe(runs);

    // Once entered, narrowing is revoked before the next entry.
    t.as.protect(block + 4096, 4096, PROT_READ);
    t.regs.set(Reg.rip, CODE_VA);
    expect(run(p.ctx, t)).toBe(Stop.Fault);
    expect(p.ctx.fault).toMatchObject({ address: block + 4096, access: ACCESS_WRITE, protection: true });
    expect(stats.kernelRuns).toBeGreaterThan(runs);
  });

  it('narrowing part of a 2 MiB page takes effect: the split is seen by KVM', () => {
    const p = newPlatform();
    const mem = p.platform.memory;
    const t = newTask(p.platform, p.ctx, WRITE_RBX);
    const HUGE = 2 << 20;
    const block = 0x4000_0000; // 2 MiB aligned, alone in its directory
    const frame = mem.allocate(512, HUGE);
    t.as.map(block, HUGE, frame, PROT_READ | PROT_WRITE);
    const page = block + 5 * 4096;
    t.regs.set(Reg.rbx, page);
    expect(run(p.ctx, t)).toBe(Stop.Syscall); // the guest now holds the 2 MiB translation
    expect(mem.view.getUint32(frame + 5 * 4096, true)).toBe(7);

    t.as.protect(page, 4096, PROT_READ); // splits the leaf, narrows one 4 KiB page
    t.regs.set(Reg.rip, CODE_VA);
    expect(run(p.ctx, t)).toBe(Stop.Fault);
    expect(p.ctx.fault).toMatchObject({ address: page, access: ACCESS_WRITE, protection: true });

    t.as.unmap(page + 4096, 4096); // the next page: gone, though its block once was one leaf
    t.regs.set(Reg.rbx, page + 4096);
    t.regs.set(Reg.rip, CODE_VA);
    expect(run(p.ctx, t)).toBe(Stop.Fault);
    expect(p.ctx.fault).toMatchObject({ address: page + 4096, protection: false });

    t.regs.set(Reg.rbx, page + 2 * 4096); // the rest of the block is as it was
    t.regs.set(Reg.rip, CODE_VA);
    expect(run(p.ctx, t)).toBe(Stop.Syscall);
  });
});
