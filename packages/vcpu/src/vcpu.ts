// One virtual CPU running the ring-0 image of @tsv/ring0, entered and left
// through kvm_run's sync-regs area: exactly one ioctl (KVM_RUN) per exit.
//
// The caller owns the ring-3 register contents: before run() it writes the
// general registers into `regs` (struct kvm_regs, as u32 halves) and calls
// enterUser(); after run() it reads them back (for a syscall or exception,
// the user RIP/RSP/RFLAGS are in `trap`, not in `regs`, which then hold the
// stub's values).
// The global `performance` is a lazy getter in Node: import it once.
import { performance } from 'node:perf_hooks';
import {
  constant,
  encodeRegs,
  encodeSregs,
  type Kvm,
  KvmError,
  runOffsets,
  type Sregs,
  type Vcpu as KvmVcpu,
  type Vm,
  XSAVE_SIZE,
} from '@tsv/kvm-sys';
import {
  CR4_OSXSAVE,
  CR4_PROTECTIONS,
  decodeTrap,
  enteringKernel,
  KERNEL_PML4_GPA,
  KERNEL_VA_HI,
  type KernelImage,
  kernelStackTop,
  LSTAR_LO,
  type PhysicalMemory,
  RFLAGS_FIXED,
  SEGMENTS,
  SREGS_CS,
  SREGS_SS,
  Trap,
  TRAP_EXCEPTION,
  TRAP_SYSCALL,
  writeKvmSegment,
  writeUserSegments,
} from '@tsv/ring0';
import { Exit, type ExitKind, KVM_EXIT_NAMES, VcpuStats } from './exit.js';
import { StateMachine, VcpuState } from './state.js';

const SYNC_REGS = constant('KVM_SYNC_X86_REGS');
const SYNC_SREGS = constant('KVM_SYNC_X86_SREGS');
const EXIT_HLT = constant('KVM_EXIT_HLT');
const EXIT_INTR = constant('KVM_EXIT_INTR');
const REGS_AT = runOffsets['s.regs.regs']!;
const SREGS_AT = runOffsets['s.regs.sregs']!;
const DIRTY_AT = runOffsets['kvm_dirty_regs']!;

/** Byte offsets inside struct kvm_sregs used on every entry. */
const SREGS_FS_BASE = 72;
const SREGS_GS_BASE = 96;
const SREGS_CR2 = 232;
const SREGS_CR3 = 240;

/** Index of each register in struct kvm_regs (u64 units). */
export const KvmReg = {
  rax: 0,
  rbx: 1,
  rcx: 2,
  rdx: 3,
  rsi: 4,
  rdi: 5,
  rsp: 6,
  rbp: 7,
  r8: 8,
  r9: 9,
  r10: 10,
  r11: 11,
  r12: 12,
  r13: 13,
  r14: 14,
  r15: 15,
  rip: 16,
  rflags: 17,
} as const;

/** struct kvm_segment images of the user CS and SS, copied in at every entry. */
const USER_SEGMENTS = new DataView(new ArrayBuffer(SREGS_SS + 24));
writeUserSegments(USER_SEGMENTS, 0);
const USER_CS = new Uint8Array(USER_SEGMENTS.buffer, SREGS_CS, 24);
const USER_SS = new Uint8Array(USER_SEGMENTS.buffer, SREGS_SS, 24);

const IA32_TSC = 0x10;

/** XSAVE features this vCPU enables in XCR0, as far as KVM supports them: x87, SSE, AVX, AVX-512. */
const XCR0_WANTED = 0x7n | 0xe0n;

export class VirtualCpu {
  readonly index: number;
  /** The last trap into ring 0 (valid after Exit.Syscall / Exit.Exception). */
  readonly trap = new Trap();
  /** struct kvm_regs in kvm_run: two u32 per register (index KvmReg.x * 2, low half first). */
  readonly regs: Uint32Array;
  readonly stats: VcpuStats;
  /** What the last Exit.Unexpected was. */
  unexpected = '';
  /** The kvm_run exit reason of the last run(). */
  kvmExitReason = 0;
  /** The CR4 protections of CR4_PROTECTIONS (SMEP, SMAP, UMIP) this host accepted and the vCPU runs with. */
  readonly protections: number;
  readonly #cpu: KvmVcpu;
  readonly #run: DataView;
  readonly #mem: DataView;
  readonly #sm = new StateMachine();
  /** kvm_run's sync sregs as u32 (the per-entry fields are written through it). */
  readonly #sregs32: Uint32Array;
  readonly #runBytes: Uint8Array;
  /** Set at an Exit.Interrupt: KVM may still hold an exception for ring 3's instruction at #heldRip (in #heldCr3). */
  #held = false;
  #heldRipLo = 0;
  #heldRipHi = 0;
  #heldCr3 = 0;
  /** The caller's registers while #dropHeldException borrows kvm_run. */
  readonly #savedRegs = new Uint32Array(36);

  /** `stats` may be shared with other vCPUs run by the same thread (see VcpuStats). */
  constructor(kvm: Kvm, vm: Vm, image: KernelImage, memory: PhysicalMemory, index: number, stats = new VcpuStats()) {
    this.index = index;
    this.stats = stats;
    this.#mem = memory.view;
    const cpu = vm.createVcpu(index);
    this.#cpu = cpu;
    try {
      const cpuid = kvm.supportedCpuid();
      cpu.setCpuid(cpuid);
      const hasXsave = cpuid.some((e) => e.function === 1 && (e.ecx & (1 << 26)) !== 0);
      const s = cpu.getSregs();
      Object.assign(s, image.sregs(index));
      if (hasXsave) s.cr4 |= BigInt(CR4_OSXSAVE);
      cpu.setSregs(s);
      this.protections = enableProtections(cpu, s);
      cpu.setMsrs(image.msrs);
      if (hasXsave) {
        const leafD = cpuid.find((e) => e.function === 0xd && e.index === 0);
        const supported = BigInt(leafD?.eax ?? 3) | (BigInt(leafD?.edx ?? 0) << 32n);
        cpu.setXcrs([{ xcr: 0, value: XCR0_WANTED & supported }]);
      }
      cpu.setSyncRegs(SYNC_REGS | SYNC_SREGS);
      // KVM fills the sync area only at an exit; until the first one it must
      // already hold the full state, since enterUser() marks it all dirty.
      encodeSregs(cpu.getSregs(), cpu.runBytes, SREGS_AT);
      encodeRegs(cpu.getRegs(), cpu.runBytes, REGS_AT);
    } catch (e) {
      cpu.close();
      throw e;
    }
    this.#run = cpu.runView;
    this.#runBytes = cpu.runBytes;
    this.regs = new Uint32Array(cpu.kvmRun, REGS_AT, 36);
    this.#sregs32 = new Uint32Array(cpu.kvmRun, SREGS_AT, 312 / 4);
  }

  get state(): string {
    return this.#sm.state;
  }

  /**
   * Makes the next run() enter ring 3: user CS/SS, page-table root `cr3` and
   * the FS/GS bases (as u32 halves), with the general registers the caller
   * put in `regs`.
   */
  enterUser(cr3: number, fsLo: number, fsHi: number, gsLo: number, gsHi: number): void {
    const k = this.regs;
    if (this.#held && (k[KvmReg.rip * 2] !== this.#heldRipLo || k[KvmReg.rip * 2 + 1] !== this.#heldRipHi || cr3 !== this.#heldCr3)) {
      this.#savedRegs.set(k);
      this.#dropHeldException();
      k.set(this.#savedRegs);
    }
    const b = this.#runBytes;
    b.set(USER_CS, SREGS_AT + SREGS_CS);
    b.set(USER_SS, SREGS_AT + SREGS_SS);
    const s = this.#sregs32;
    s[SREGS_CR3 >> 2] = cr3;
    s[(SREGS_CR3 >> 2) + 1] = 0;
    s[SREGS_FS_BASE >> 2] = fsLo;
    s[(SREGS_FS_BASE >> 2) + 1] = fsHi;
    s[SREGS_GS_BASE >> 2] = gsLo;
    s[(SREGS_GS_BASE >> 2) + 1] = gsHi;
    this.#run.setUint32(DIRTY_AT, SYNC_REGS | SYNC_SREGS, true);
  }

  /** Continues after an interrupt exactly where the guest was: nothing is reloaded. */
  resume(): void {
    this.#run.setUint32(DIRTY_AT, 0, true);
  }

  /** The FS/GS bases as the guest last left them (it may change them with WRFSBASE). */
  baseLo(gs: boolean): number {
    return this.#sregs32[(gs ? SREGS_GS_BASE : SREGS_FS_BASE) >> 2]!;
  }

  baseHi(gs: boolean): number {
    return this.#sregs32[((gs ? SREGS_GS_BASE : SREGS_FS_BASE) >> 2) + 1]!;
  }

  /**
   * Runs the guest to its next exit, decoded. An interrupt that stops it on
   * its way into ring 0 is not an exit of its own: the vCPU runs on to the
   * trap it was taking (see enteringKernel), so Exit.Interrupt always
   * leaves ring 3 between two instructions.
   */
  run(): ExitKind {
    let reason: number;
    for (;;) {
      reason = this.#runOnce();
      if (reason !== EXIT_INTR || !enteringKernel(this.#run, REGS_AT, SREGS_AT)) break;
      this.stats.interrupts++;
      this.resume();
    }
    const stats = this.stats;
    this.kvmExitReason = reason;
    this.#held = reason === EXIT_INTR;
    if (reason === EXIT_HLT) {
      const kind = decodeTrap(this.index, this.#run, REGS_AT, SREGS_AT, this.#mem, this.trap);
      if (kind === TRAP_SYSCALL) {
        stats.syscalls++;
        return Exit.Syscall;
      }
      if (kind === TRAP_EXCEPTION) {
        stats.exceptions++;
        return Exit.Exception;
      }
      return this.#unexpected(`a trap in kernel mode (vector ${this.trap.vector})`);
    }
    if (reason === EXIT_INTR) {
      stats.interrupts++;
      this.#heldRipLo = this.regs[KvmReg.rip * 2]!;
      this.#heldRipHi = this.regs[KvmReg.rip * 2 + 1]!;
      this.#heldCr3 = this.#sregs32[SREGS_CR3 >> 2]!;
      return Exit.Interrupt;
    }
    this.trap.reset();
    return this.#unexpected(`KVM exit ${KVM_EXIT_NAMES[reason] ?? reason}`);
  }

  /** One KVM_RUN of the user state: the exit reason. */
  #runOnce(): number {
    const stats = this.stats;
    if (stats.exitedAt !== 0) stats.hostNs += (performance.now() - stats.exitedAt) * 1e6;
    const reason = this.#enter();
    stats.exitedAt = performance.now();
    stats.runs++;
    return reason;
  }

  /** KVM_RUN through the state machine; a failed ioctl leaves the vCPU dead. */
  #enter(): number {
    this.#sm.to(VcpuState.InGuest);
    let reason: number;
    try {
      reason = this.#cpu.run();
    } catch (e) {
      this.#sm.to(VcpuState.Dead);
      throw e;
    }
    this.#sm.to(VcpuState.InHost);
    return reason;
  }

  /** Describes an exit nothing in ring 3 explains, in `unexpected` and in `trap` (RIP and CR2 where the vCPU stopped). */
  #unexpected(what: string): ExitKind {
    this.stats.unexpected++;
    const t = this.trap;
    t.ripLo = this.#run.getUint32(REGS_AT + KvmReg.rip * 8, true);
    t.ripHi = this.#run.getUint32(REGS_AT + KvmReg.rip * 8 + 4, true);
    t.addrLo = this.#sregs32[SREGS_CR2 >> 2]!;
    t.addrHi = this.#sregs32[(SREGS_CR2 >> 2) + 1]!;
    const hex = (hi: number, lo: number) => `0x${((BigInt(hi) << 32n) | BigInt(lo)).toString(16)}`;
    this.unexpected = `${what} at rip ${hex(t.ripHi, t.ripLo)} (cr2 ${hex(t.addrHi, t.addrLo)})`;
    return Exit.Unexpected;
  }

  /**
   * Runs a ring-0 routine of the stub to completion: RIP = kernel VA of
   * `entryLo`, RDI = `rdiHi:rdiLo`, RSI = `rsi` (below 2^32), on this vCPU's
   * kernel stack. It must end in the `hlt` whose exit shows RIP low half `exitLo`;
   * anything else is a PlatformError-worthy failure and throws. The user
   * state in kvm_run is overwritten: call enterUser() afterwards.
   */
  callKernel(entryLo: number, exitLo: number, rdiLo: number, rdiHi: number, rsi: number): void {
    if (this.#held) this.#dropHeldException();
    const reason = this.#runKernel(entryLo, rdiLo, rdiHi, rsi);
    const ripLo = this.#run.getUint32(REGS_AT + KvmReg.rip * 8, true);
    if (reason !== EXIT_HLT || ripLo !== exitLo) {
      this.#unexpected(`ring-0 routine 0x${entryLo.toString(16)} ended with KVM exit ${KVM_EXIT_NAMES[reason] ?? reason}`);
      throw new Error(`vCPU ${this.index}: ${this.unexpected}`);
    }
  }

  /**
   * On this PVM host an interrupt exit can fall after an instruction of ring
   * 3 faulted and before KVM delivered the exception. KVM keeps it and
   * delivers it at the next entry, wherever RIP then points: a signal
   * handler or another task would take a page fault none of its
   * instructions made. So before the vCPU runs anything but the instruction
   * it stopped at, it halts once in ring 0 (at LSTAR's hlt): a held
   * exception lands on its stub there and is dropped. The instruction
   * faults again when it runs again. Overwrites kvm_run's state.
   */
  #dropHeldException(): void {
    this.#held = false;
    const reason = this.#runKernel(LSTAR_LO, 0, 0, 0);
    if (reason !== EXIT_HLT) {
      this.#unexpected(`ring-0 halt ended with KVM exit ${KVM_EXIT_NAMES[reason] ?? reason}`);
      throw new Error(`vCPU ${this.index}: ${this.unexpected}`);
    }
  }

  /** Runs ring 0 from kernel VA `entryLo` on the kernel stack and the kernel-only root until an exit other than an interrupt. */
  #runKernel(entryLo: number, rdiLo: number, rdiHi: number, rsi: number): number {
    const k = this.regs;
    k.fill(0);
    k[KvmReg.rip * 2] = entryLo;
    k[KvmReg.rip * 2 + 1] = KERNEL_VA_HI;
    k[KvmReg.rsp * 2] = kernelStackTop(this.index);
    k[KvmReg.rsp * 2 + 1] = KERNEL_VA_HI;
    k[KvmReg.rflags * 2] = RFLAGS_FIXED;
    k[KvmReg.rdi * 2] = rdiLo;
    k[KvmReg.rdi * 2 + 1] = rdiHi;
    k[KvmReg.rsi * 2] = rsi;
    writeKvmSegment(this.#run, SREGS_AT + SREGS_CS, SEGMENTS.kernelCode);
    writeKvmSegment(this.#run, SREGS_AT + SREGS_SS, SEGMENTS.kernelData);
    // The kernel-only root: the last user root loaded may have been freed
    // (its frame quarantined or reused) since; routines need only the kernel half.
    this.#sregs32[SREGS_CR3 >> 2] = KERNEL_PML4_GPA;
    this.#sregs32[(SREGS_CR3 >> 2) + 1] = 0;
    this.#run.setUint32(DIRTY_AT, SYNC_REGS | SYNC_SREGS, true);
    let reason: number;
    // A kick or the tick may interrupt the routine (or land before it starts):
    // it then simply continues from where it was, nothing reloaded.
    do {
      reason = this.#enter();
      this.stats.kernelRuns++;
      if (reason === EXIT_INTR) this.resume();
    } while (reason === EXIT_INTR);
    return reason;
  }

  /**
   * The vCPU goes idle (the kernel waits, or the task leaves it): the time
   * until the next run() is not counted as host time per exit.
   */
  park(): void {
    if (this.#sm.state === VcpuState.InHost) this.#sm.to(VcpuState.Idle);
    this.stats.exitedAt = 0;
  }

  /** Saves the FPU/SSE/AVX state (XSAVE image, XSAVE_SIZE bytes) into `into`. */
  saveFpu(into: Uint8Array): void {
    this.#cpu.getXsave(into);
  }

  restoreFpu(from: Uint8Array): void {
    this.#cpu.setXsave(from);
  }

  /** The FPU state of a freshly reset vCPU, which a new task starts with. */
  initialFpu(): Uint8Array {
    return this.#cpu.getXsave(new Uint8Array(XSAVE_SIZE));
  }

  kick(): void {
    this.#cpu.kick();
  }

  /** The guest's time stamp counter now (IA32_TSC) and its frequency: for the vDSO's clock. */
  readTsc(): { tsc: bigint; tscKhz: number } {
    const [msr] = this.#cpu.getMsrs([IA32_TSC]);
    return { tsc: msr!.data, tscKhz: this.#cpu.getTscKhz() };
  }

  /** Kicks this vCPU every `periodNs` (0 stops it): the preemption tick. */
  setTick(periodNs: number): void {
    if (periodNs > 0) this.#cpu.startTick(periodNs);
    else this.#cpu.stopTick();
  }

  close(): void {
    if (this.#sm.state !== VcpuState.Dead) this.#sm.to(VcpuState.Dead);
    this.#cpu.close();
  }
}

/**
 * Turns on each CR4 protection KVM_SET_SREGS accepts on top of `s` (which
 * the vCPU already holds), and returns the bits that took. A host whose
 * KVM refuses one (its CPUID lacks it) runs without it; README of
 * @tsv/ring0 says what still protects ring 0 then.
 */
function enableProtections(cpu: KvmVcpu, s: Sregs): number {
  let enabled = 0;
  for (const bit of CR4_PROTECTIONS) {
    try {
      cpu.setSregs({ ...s, cr4: s.cr4 | BigInt(enabled | bit) });
      enabled |= bit;
    } catch (e) {
      if (!(e instanceof KvmError && e.code === 'EINVAL')) throw e;
    }
  }
  if (enabled !== 0) s.cr4 |= BigInt(enabled);
  return enabled;
}
