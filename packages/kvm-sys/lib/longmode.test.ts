// A 64-bit guest on page tables built here: it computes, stores the result
// in guest memory and exits through MMIO; registers come back via sync_regs.
import { announceKvmSkip, assemble } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { constant, decodeRegs, Kvm, runOffsets, type Segment, type Vcpu, type Vm, type GuestMemory } from './index.js';

const MMIO_GPA = 0xd000_0000n;

/** KVM_RUN until a guest exit: any signal to this thread (Node's own, a loaded host's) may end a run early with KVM_EXIT_INTR, and the guest resumes where it was. */
function runToExit(cpu: Vcpu): number {
  let reason: number;
  do reason = cpu.run();
  while (reason === constant('KVM_EXIT_INTR'));
  return reason;
}
const PROGRAM = `
start:
  xor %eax, %eax          /* rax = sum of i*i for i = 1..1000 */
  mov $1, %ecx
1: mov %rcx, %rdx
  imul %rdx, %rdx
  add %rdx, %rax
  inc %rcx
  cmp $1000, %rcx
  jbe 1b
  mov %rax, 0x5000        /* result into guest memory */
  mov $0x1234, %rbx
  mov %rax, 0x200000      /* MMIO: VA 2 MiB maps a GPA with no memslot */
  hlt
`;

function longModeVcpu(kvm: Kvm, vm: Vm, mem: GuestMemory): Vcpu {
  const q = (gpa: number, v: bigint) => mem.view.setBigUint64(gpa, v, true);
  // PML4 0x1000 -> PDPT 0x2000 -> PD 0x3000: 0-2 MiB RAM, 2-4 MiB the MMIO hole, both 2 MiB pages.
  q(0x1000, 0x2000n | 3n);
  q(0x2000, 0x3000n | 3n);
  q(0x3000, 0x0n | 0x83n);
  q(0x3008, MMIO_GPA | 0x83n);
  const cpu = vm.createVcpu(0);
  cpu.setCpuid(kvm.supportedCpuid());
  const s = cpu.getSregs();
  const seg = (selector: number, type: number, l: number, db: number): Segment => ({
    base: 0n,
    limit: 0xfffff,
    selector,
    type,
    present: 1,
    dpl: 0,
    db,
    s: 1,
    l,
    g: 1,
    avl: 0,
    unusable: 0,
  });
  s.cr3 = 0x1000n;
  s.cr4 = 0x20n; // PAE
  s.cr0 = 0x80000011n; // PG ET PE
  s.efer = 0x500n; // LMA LME
  s.cs = seg(0x8, 0xb, 1, 0);
  s.ds = s.es = s.fs = s.gs = s.ss = seg(0x10, 0x3, 0, 1);
  cpu.setSregs(s);
  cpu.setRegs({ rip: 0x10000n, rsp: 0x8000n, rflags: 2n });
  return cpu;
}

describe.skipIf(announceKvmSkip())('64-bit long-mode guest', () => {
  it('computes, writes guest memory, exits via MMIO; registers via sync_regs', () => {
    const kvm = Kvm.open();
    const vm = kvm.createVm();
    const mem = vm.createGuestMemory(2 << 20);
    vm.mapMemory(0, 0, mem);
    mem.bytes.set(assemble(PROGRAM, { origin: 0x10000 }).bytes, 0x10000);
    const cpu = longModeVcpu(kvm, vm, mem);
    cpu.setSyncRegs(constant('KVM_SYNC_X86_REGS'));

    const want = 333_833_500n; // sum of squares 1..1000
    expect(runToExit(cpu)).toBe(constant('KVM_EXIT_MMIO'));
    const v = cpu.runView;
    expect(v.getBigUint64(runOffsets['mmio.phys_addr']!, true)).toBe(MMIO_GPA);
    expect(v.getUint8(runOffsets['mmio.is_write']!)).toBe(1);
    expect(v.getUint32(runOffsets['mmio.len']!, true)).toBe(8);
    expect(v.getBigUint64(runOffsets['mmio.data']!, true)).toBe(want);
    expect(mem.view.getBigUint64(0x5000, true)).toBe(want);

    const regs = decodeRegs(cpu.runBytes, runOffsets['s.regs.regs']!);
    expect(regs.rax).toBe(want);
    expect(regs.rbx).toBe(0x1234n);
    expect(regs.rcx).toBe(1001n);
    expect(regs.rsp).toBe(0x8000n);
    expect(cpu.getRegs().rax).toBe(want); // sync_regs agrees with KVM_GET_REGS

    // Resume after the MMIO write: the guest reaches its hlt.
    expect(runToExit(cpu)).toBe(constant('KVM_EXIT_HLT'));
    cpu.close();
    vm.destroy();
    kvm.close();
  });

  it('applies registers written to sync_regs when marked dirty', () => {
    const kvm = Kvm.open();
    const vm = kvm.createVm();
    const mem = vm.createGuestMemory(2 << 20);
    vm.mapMemory(0, 0, mem);
    // Store rdi to MMIO, then halt: the host sets rdi and rip through sync_regs.
    mem.bytes.set(assemble('mov %rdi, 0x200000\nhlt', { origin: 0x10000 }).bytes, 0x10000);
    const cpu = longModeVcpu(kvm, vm, mem);
    cpu.setSyncRegs(constant('KVM_SYNC_X86_REGS'));
    mem.bytes.set(assemble('hlt', { origin: 0x20000 }).bytes, 0x20000);
    cpu.setRegs({ rip: 0x20000n });
    expect(runToExit(cpu)).toBe(constant('KVM_EXIT_HLT'));
    const at = runOffsets['s.regs.regs']!;
    cpu.runView.setBigUint64(at + 16 * 8, 0x10000n, true); // rip
    cpu.runView.setBigUint64(at + 5 * 8, 0xfeedn, true); // rdi
    cpu.markDirty(constant('KVM_SYNC_X86_REGS'));
    expect(runToExit(cpu)).toBe(constant('KVM_EXIT_MMIO'));
    expect(cpu.runView.getBigUint64(runOffsets['mmio.data']!, true)).toBe(0xfeedn);
    cpu.close();
    vm.destroy();
    kvm.close();
  });
});
