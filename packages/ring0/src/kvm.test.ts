// The image on real KVM: boot straight into ring 3 through KVM_SET_SREGS,
// let the test programs (src/testdata/user.S) trap, and check what the host
// decodes. Skipped only when /dev/kvm does not exist.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announceKvmSkip } from '@tsv/testing';
import { constant, Kvm, runOffsets, type Vcpu, type Vm, type GuestMemory } from '@tsv/kvm-sys';
import { decodeTrap, KVM_REGS_RIP, KVM_REGS_RSP, KVM_REGS_RFLAGS, Trap, TRAP_EXCEPTION, TRAP_SYSCALL, TRAP_UNKNOWN } from './exits.js';
import { writeKernelImage, type KernelImage } from './image.js';
import {
  CR4_PROTECTIONS,
  IDT_GPA,
  kernelVa,
  LSTAR,
  LSTAR_LO,
  KERNEL_VA_HI,
  REVOKE_ENTRY_LO,
  STUB_GPA,
  userRflags,
  USER_DS,
  USER_CS,
  kernelStackTop,
} from './layout.js';
import { PageTables } from './pagetable.js';
import { PTE_NX, PTE_RW, PTE_US } from './pte.js';
import { segment, SEGMENTS, writeUserSegments } from './segments.js';
import { TestFrames, USER_TEST, USER_TEST_CODE } from './test-support.js';

const MEM_SIZE = 16 << 20;
const CODE_VA = 0x40_0000;
const STACK_TOP = 0x7fff_f000_0000;
const SYNC = 1 | 2; // KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS
const REGS = runOffsets['s.regs.regs']!;
const SREGS = runOffsets['s.regs.sregs']!;
const RAX = 0;
const RDI = 40;
const RSI = 32;
const RDX = 24;
const R10 = 80;
const R8 = 64;
const R9 = 72;
const R12 = 96;
const R13 = 104;
const RBX = 8;

describe.skipIf(announceKvmSkip())('ring 0 on real KVM (upper-half kernel)', () => {
  let kvm: Kvm;
  let vm: Vm;
  let mem: GuestMemory;
  let image: KernelImage;
  let frames: TestFrames;
  let pt: PageTables;
  const trap = new Trap();
  const HLT = constant('KVM_EXIT_HLT');

  beforeAll(() => {
    kvm = Kvm.open();
    vm = kvm.createVm();
    mem = vm.createGuestMemory(MEM_SIZE);
    vm.mapMemory(0, 0, mem);
    image = writeKernelImage(mem, 2);
    frames = new TestFrames(MEM_SIZE);
    pt = new PageTables(mem, frames, image.sharedEntries);
    const code = frames.alloc();
    mem.bytes.set(USER_TEST_CODE, code);
    expect(pt.map(CODE_VA, 0x1000, code, PTE_US)).toBe(0);
    for (let va = STACK_TOP - 0x4000; va < STACK_TOP; va += 0x1000) {
      expect(pt.map(va, 0x1000, frames.alloc(), PTE_US | PTE_RW | PTE_NX)).toBe(0);
    }
  });

  afterAll(() => {
    vm?.destroy();
    kvm?.close();
  });

  // KVM never frees a vCPU id before the VM goes, so each id is created once.
  const vcpus = new Map<number, Vcpu>();
  function vcpuFor(id: number): Vcpu {
    let vcpu = vcpus.get(id);
    if (vcpu === undefined) {
      vcpu = vm.createVcpu(id);
      vcpu.setCpuid(kvm.supportedCpuid());
      vcpu.setMsrs(image.msrs);
      vcpu.setSyncRegs(SYNC);
      vcpus.set(id, vcpu);
    }
    return vcpu;
  }

  /** The image's special registers for vCPU `cpu`, with SMEP, SMAP and UMIP on (this host accepts all three). */
  function imageSregs(vcpu: Vcpu, cpu: number) {
    const s = { ...vcpu.getSregs(), ...image.sregs(cpu, pt.root) };
    for (const bit of CR4_PROTECTIONS) s.cr4 |= BigInt(bit);
    return s;
  }

  /** vCPU `cpu` in ring 3 at test program `entry`, with sync regs on. */
  function userVcpu(entry: keyof typeof USER_TEST, regs: Record<string, bigint> = {}, cpu = 0): Vcpu {
    const vcpu = vcpuFor(cpu);
    vcpu.setSregs({ ...imageSregs(vcpu, cpu), cs: segment(SEGMENTS.userCode), ss: segment(SEGMENTS.userData) });
    vcpu.setRegs({ rip: BigInt(CODE_VA + USER_TEST[entry]), rsp: BigInt(STACK_TOP - 0x100), rflags: 0x202n, r13: 0n, ...regs });
    return vcpu;
  }

  function runToTrap(vcpu: Vcpu, cpu = 0): number {
    const reason = vcpu.run();
    expect(reason).toBe(HLT);
    return decodeTrap(cpu, vcpu.runView, REGS, SREGS, mem.view, trap);
  }

  const reg = (vcpu: Vcpu, off: number) => vcpu.runView.getBigUint64(REGS + off, true);

  /** Host-side return from a system call: RIP = RCX, RFLAGS = R11, RSP from the trap, RAX = result. */
  function returnFromSyscall(vcpu: Vcpu, result: bigint): void {
    const v = vcpu.runView;
    v.setBigUint64(REGS + RAX, result, true);
    v.setUint32(REGS + KVM_REGS_RIP, trap.ripLo, true);
    v.setUint32(REGS + KVM_REGS_RIP + 4, trap.ripHi, true);
    v.setUint32(REGS + KVM_REGS_RSP, trap.rspLo, true);
    v.setUint32(REGS + KVM_REGS_RSP + 4, trap.rspHi, true);
    v.setBigUint64(REGS + KVM_REGS_RFLAGS, BigInt(userRflags(trap.rflags)), true);
    writeUserSegments(v, SREGS);
    vcpu.markDirty(SYNC);
  }

  it('delivers a user SYSCALL to the host with the caller registers, and resumes ring 3', () => {
    const vcpu = userVcpu('user_syscall_loop');
    expect(runToTrap(vcpu)).toBe(TRAP_SYSCALL);
    expect(reg(vcpu, RAX)).toBe(39n);
    expect([RDI, RSI, RDX, R10, R8, R9].map((o) => reg(vcpu, o))).toEqual([0x11n, 0x22n, 0x33n, 0x44n, 0x55n, 0x66n]);
    // Return address: the instruction after the 2-byte SYSCALL.
    expect(trap.rip).toBe(CODE_VA + USER_TEST.user_syscall_ret);
    expect(trap.rsp).toBe(STACK_TOP - 0x100);
    expect(trap.rflags & 0x200).toBe(0x200);
    for (let i = 1n; i <= 3n; i++) {
      returnFromSyscall(vcpu, 1000n + i);
      expect(runToTrap(vcpu)).toBe(TRAP_SYSCALL);
      expect(reg(vcpu, R12)).toBe(1000n + i); // the program saw our result
      expect(reg(vcpu, R13)).toBe(i);
    }
  });

  it('times the SYSCALL -> HLT exit -> host -> ring 3 round trip', () => {
    const vcpu = userVcpu('user_syscall_loop');
    expect(runToTrap(vcpu)).toBe(TRAP_SYSCALL);
    const n = 2000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      returnFromSyscall(vcpu, 7n);
      if (vcpu.run() !== HLT || decodeTrap(0, vcpu.runView, REGS, SREGS, mem.view, trap) !== TRAP_SYSCALL) {
        throw new Error(`round trip ${i}: not a system call`);
      }
    }
    const ns = Number(process.hrtime.bigint() - t0) / n;
    expect(reg(vcpu, R13)).toBe(BigInt(n));
    console.log(`@tsv/ring0: SYSCALL round trip through the host: ${(ns / 1000).toFixed(1)} us (${n} iterations)`);
  });

  /** Runs test program `entry` to its first trap; expects an exception. */
  function exceptionOf(entry: keyof typeof USER_TEST, regs: Record<string, bigint> = {}, cpu = 0): Trap {
    const vcpu = userVcpu(entry, regs, cpu);
    expect(runToTrap(vcpu, cpu)).toBe(TRAP_EXCEPTION);
    expect(trap.cs).toBe(USER_CS);
    expect(trap.ss).toBe(USER_DS);
    expect(trap.rsp).toBe(STACK_TOP - 0x100);
    return trap;
  }

  it('ud2 arrives as vector 6 at the faulting instruction', () => {
    const t = exceptionOf('user_ud2');
    expect([t.vector, t.errorCode, t.rip]).toEqual([6, 0, CODE_VA + USER_TEST.user_ud2]);
    expect(t.rflags & 0x200).toBe(0x200);
  });

  it('int3 arrives as vector 3 (DPL-3 gate) after the instruction', () => {
    const t = exceptionOf('user_int3');
    expect([t.vector, t.rip]).toEqual([3, CODE_VA + USER_TEST.user_int3_next]);
  });

  it('privileged instructions and INT through DPL-0 gates are #GP', () => {
    let t = exceptionOf('user_hlt');
    expect([t.vector, t.errorCode, t.rip]).toEqual([13, 0, CODE_VA + USER_TEST.user_hlt]);
    // Beyond the IDT limit: #GP(0x80 * 8 + 2) on hardware; this PVM host raises #UD instead.
    t = exceptionOf('user_int80');
    expect([
      [13, 0x80 * 8 + 2],
      [6, 0],
    ]).toContainEqual([t.vector, t.errorCode]);
    expect(t.rip).toBe(CODE_VA + USER_TEST.user_int80);
  });

  it('user loads and stores to kernel pages fault and change nothing', () => {
    const stackVa = kernelVa(kernelStackTop(0) - 8);
    // Read of the (readable-for-ring-0) IDT: #PF, error P|U = 5.
    let t = exceptionOf('user_load', { rdi: kernelVa(IDT_GPA) });
    expect([t.vector, t.errorCode, t.rip]).toEqual([14, 5, CODE_VA + USER_TEST.user_load]);
    expect([t.addrHi, t.addrLo]).toEqual([KERNEL_VA_HI, IDT_GPA]);
    // Write to the kernel stack: #PF, error P|W|U = 7, memory untouched.
    const before = mem.view.getBigUint64(kernelStackTop(0) - 8, true);
    t = exceptionOf('user_store', { rdi: stackVa, rsi: 0x4141_4141n });
    expect([t.vector, t.errorCode, t.addrLo]).toEqual([14, 7, kernelStackTop(0) - 8]);
    expect(mem.view.getBigUint64(kernelStackTop(0) - 8, true)).toBe(before);
    // Store to the stub code page.
    t = exceptionOf('user_store', { rdi: kernelVa(STUB_GPA), rsi: 0n });
    expect([t.vector, t.errorCode]).toEqual([14, 7]);
    expect(mem.bytes[STUB_GPA]).toBe(0xf4);
  });

  it('a jump to LSTAR is a #PF (fetch from a kernel page), not a system call', () => {
    const t = exceptionOf('user_jump', { rdi: LSTAR });
    expect([t.vector, t.errorCode, t.ripHi, t.ripLo, t.addrLo]).toEqual([14, 0x15, KERNEL_VA_HI, LSTAR_LO, LSTAR_LO]);
  });

  it('each vCPU traps onto its own kernel stack', () => {
    const t = exceptionOf('user_ud2', {}, 1);
    expect(t.vector).toBe(6);
    // The same exit read as vCPU 0's is not where vCPU 0's frame would be.
    expect(decodeTrap(0, vcpuFor(1).runView, REGS, SREGS, mem.view, new Trap())).toBe(TRAP_UNKNOWN);
  });

  it('resumes ring 3 at the faulting instruction once the host maps the page', () => {
    const va = 0x1234_5000;
    const vcpu = userVcpu('user_load', { rdi: BigInt(va + 8) });
    expect(runToTrap(vcpu)).toBe(TRAP_EXCEPTION);
    expect([trap.vector, trap.errorCode, trap.addr]).toEqual([14, 4, va + 8]); // user read, not present
    const frame = frames.alloc();
    mem.view.setBigUint64(frame + 8, 0x5eed_f00dn, true);
    expect(pt.map(va, 0x1000, frame, PTE_US | PTE_NX)).toBe(0);
    const v = vcpu.runView;
    v.setUint32(REGS + KVM_REGS_RIP, trap.ripLo, true);
    v.setUint32(REGS + KVM_REGS_RIP + 4, trap.ripHi, true);
    v.setUint32(REGS + KVM_REGS_RSP, trap.rspLo, true);
    v.setUint32(REGS + KVM_REGS_RSP + 4, trap.rspHi, true);
    v.setBigUint64(REGS + KVM_REGS_RFLAGS, BigInt(userRflags(trap.rflags)), true);
    writeUserSegments(v, SREGS);
    vcpu.markDirty(SYNC);
    expect(runToTrap(vcpu)).toBe(TRAP_SYSCALL);
    expect(reg(vcpu, RAX)).toBe(0xbadn);
    expect(reg(vcpu, RBX)).toBe(0x5eed_f00dn);
  });

  it('ring 3 cannot leave 64-bit mode: far transfers to 0x23 are #GP(0x20), an IRET to 0x2b stays in 64-bit code', () => {
    const inProgram = (t: Trap) => t.rip >= CODE_VA && t.rip < CODE_VA + 0x1000;
    for (const entry of ['user_iret', 'user_lret', 'user_ljmp', 'user_lcall'] as const) {
      const vcpu = userVcpu(entry, { rdi: 0x23n });
      // Before the GDT closed it, each of these reached 32-bit code whose SYSCALL entered ring 0 at CSTAR's low half.
      expect(runToTrap(vcpu), entry).toBe(TRAP_EXCEPTION);
      expect([trap.vector, trap.errorCode, trap.cs], entry).toEqual([13, 0x20, USER_CS]);
      expect(inProgram(trap), entry).toBe(true);
    }
    // PVM's IRET loads any DPL-3 descriptor as code, in the mode its L/D bits say: the user data descriptor has L = 1.
    let vcpu = userVcpu('user_iret', { rdi: 0x2bn });
    const kind = runToTrap(vcpu);
    if (kind === TRAP_EXCEPTION) expect([trap.vector, trap.errorCode]).toEqual([13, 0x28]);
    else expect([kind, reg(vcpu, RAX)]).toEqual([TRAP_SYSCALL, 0xbadn]); // a 64-bit SYSCALL, through LSTAR
    vcpu = userVcpu('user_iret', { rdi: BigInt(USER_CS) });
    expect(runToTrap(vcpu)).toBe(TRAP_SYSCALL);
    expect(reg(vcpu, RAX)).toBe(0xbadn);
  });

  it('UMIP: SGDT, SIDT, SLDT, STR and SMSW in ring 3 are #GP(0)', () => {
    for (const entry of ['user_sgdt', 'user_sidt', 'user_sldt', 'user_str', 'user_smsw'] as const) {
      const t = exceptionOf(entry);
      expect([t.vector, t.errorCode, t.rip], entry).toEqual([13, 0, CODE_VA + USER_TEST[entry]]);
    }
  });

  /** vCPU 0 in ring 0 at `rip` on its kernel stack, as the host runs its routines. */
  function kernelVcpu(rip: bigint, regs: Record<string, bigint> = {}): Vcpu {
    const vcpu = vcpuFor(0);
    vcpu.setSregs(imageSregs(vcpu, 0));
    vcpu.setRegs({ rip, rsp: kernelVa(kernelStackTop(0)), rflags: 2n, ...regs });
    return vcpu;
  }

  const cr2 = (vcpu: Vcpu) => vcpu.runView.getBigUint64(SREGS + 232, true);

  it('SMEP: ring 0 does not run a user page; SMAP: ring 0 does not read one', () => {
    // Without SMEP ring 0 would halt inside the user page (RIP = user_hlt_ring0 + 1).
    let vcpu = kernelVcpu(BigInt(CODE_VA + USER_TEST.user_hlt_ring0));
    expect(runToTrap(vcpu)).toBe(TRAP_UNKNOWN);
    expect([trap.vector, cr2(vcpu)]).toEqual([14, BigInt(CODE_VA + USER_TEST.user_hlt_ring0)]);
    // The revoke routine reads its list at RDI: a user address faults on the first load.
    vcpu = kernelVcpu(kernelVa(REVOKE_ENTRY_LO), { rdi: BigInt(CODE_VA), rsi: 1n });
    expect(runToTrap(vcpu)).toBe(TRAP_UNKNOWN);
    expect([trap.vector, cr2(vcpu)]).toEqual([14, BigInt(CODE_VA)]);
  });

  it('a fault in ring 0 decodes as unknown', () => {
    const vcpu = vcpuFor(0);
    vcpu.setSregs(imageSregs(vcpu, 0));
    // Ring 0 jumps to an unmapped kernel address on vCPU 0's stack layout.
    vcpu.setRegs({ rip: kernelVa(0x7000), rsp: kernelVa(kernelStackTop(0)), rflags: 2n });
    expect(runToTrap(vcpu, 0)).toBe(TRAP_UNKNOWN);
    expect(trap.vector).toBe(14);
    expect(trap.cs).toBe(0x10);
  });
});
