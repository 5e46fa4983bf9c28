// A Context on KVM: a few VirtualCpus, one at a time, that run whichever
// task switch() is given -- on the vCPU that holds its FPU state (see
// fpu-homes.ts). Registers cross between the task's user_regs_struct and
// kvm_run's sync area as u32 halves (no BigInt, no allocation).
import { LOWER_HALF_END, userRflags } from '@tsv/ring0';
import { Exit, KvmReg, type VirtualCpu } from '@tsv/vcpu';
import {
  ACCESS_EXEC,
  ACCESS_READ,
  ACCESS_WRITE,
  type AddressSpace,
  type Context,
  type FaultInfo,
  type FpuState,
  PROT_EXEC,
  Stop,
  type StopReason,
} from '../platform.js';
import { Reg, type Registers } from '../registers.js';
import { SIGKILL, signalForVector } from '../signals.js';
import { KvmAddressSpace } from './address-space.js';
import { FpuHomes } from './fpu-homes.js';
import type { Revoker } from './revoke.js';

// General registers: [user_regs_struct index, kvm_regs index] pairs, as u32 offsets.
const GPRS: readonly (readonly [number, number])[] = (
  ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const
).map((n) => [Reg[n] * 2, KvmReg[n] * 2] as const);
const USER_GPR = Int32Array.from(GPRS.map((p) => p[0]));
const KVM_GPR = Int32Array.from(GPRS.map((p) => p[1]));

const UD = 6;
const GP = 13;
const PF = 14;
const PF_PRESENT = 1;
const PF_WRITE = 2;
const PF_FETCH = 16;
/** INT imm8, and the longest x86 instruction. */
const OP_INT_N = 0xcd;
const MAX_INSN = 15;
/** Prefixes that leave INT an INT: segment, operand and address size, REP, REX. */
const INT_PREFIXES = new Set([
  0x26,
  0x2e,
  0x36,
  0x3e,
  0x64,
  0x65,
  0x66,
  0x67,
  0xf2,
  0xf3,
  ...Array.from({ length: 16 }, (_, i) => 0x40 + i),
]);

export class KvmContext implements Context {
  readonly fault: FaultInfo = { vector: 0, signal: 0, address: 0, access: 0, protection: false, errorCode: 0 };
  /** The context's first vCPU; its `stats` count for all of them. */
  readonly vcpu: VirtualCpu;
  readonly #homes: FpuHomes;
  readonly #revoker: Revoker;
  readonly #memory: Uint8Array;
  readonly #initialFpu: Uint8Array;
  readonly #onRelease: () => void;

  /**
   * `moreVcpu` makes another vCPU sharing `vcpu.stats`, or returns undefined
   * when the VM has none left; the context creates up to FPU_HOMES - 1 of them
   * as tasks need them, and closes them on release().
   */
  constructor(
    vcpu: VirtualCpu,
    memory: Uint8Array,
    revoker: Revoker,
    onRelease: () => void = () => {},
    moreVcpu: () => VirtualCpu | undefined = () => undefined,
  ) {
    this.vcpu = vcpu;
    this.#homes = new FpuHomes(vcpu, moreVcpu);
    this.#memory = memory;
    this.#revoker = revoker;
    this.#onRelease = onRelease;
    this.#initialFpu = vcpu.initialFpu();
  }

  /** Every vCPU the context has created so far (the first is `vcpu`). */
  get vcpus(): readonly VirtualCpu[] {
    return this.#homes.vcpus;
  }

  switch(as: AddressSpace, regs: Registers, fpu: FpuState): StopReason {
    if (!(as instanceof KvmAddressSpace)) throw new TypeError('KvmContext.switch: not a KVM address space');
    const vcpu = this.#homes.home(fpu);
    this.#revoker.beforeEntry(vcpu, as);

    const u = regs.u32;
    const k = vcpu.regs;
    for (let i = 0; i < USER_GPR.length; i++) {
      k[KVM_GPR[i]!] = u[USER_GPR[i]!]!;
      k[KVM_GPR[i]! + 1] = u[USER_GPR[i]! + 1]!;
    }
    k[KvmReg.rsp * 2] = u[Reg.rsp * 2]!;
    k[KvmReg.rsp * 2 + 1] = u[Reg.rsp * 2 + 1]!;
    k[KvmReg.rip * 2] = u[Reg.rip * 2]!;
    k[KvmReg.rip * 2 + 1] = u[Reg.rip * 2 + 1]!;
    k[KvmReg.rflags * 2] = userRflags(u[Reg.eflags * 2]!);
    k[KvmReg.rflags * 2 + 1] = 0;
    vcpu.enterUser(as.root, u[Reg.fs_base * 2]!, u[Reg.fs_base * 2 + 1]!, u[Reg.gs_base * 2]!, u[Reg.gs_base * 2 + 1]!);

    const kind = vcpu.run();
    if (kind === Exit.Syscall || kind === Exit.Exception) {
      this.#saveGprs(vcpu, regs);
      const t = vcpu.trap;
      regs.setHalves(Reg.rip, t.ripLo, t.ripHi);
      regs.setHalves(Reg.rsp, t.rspLo, t.rspHi);
      regs.setHalves(Reg.eflags, t.rflags, 0);
      if (kind === Exit.Syscall) {
        regs.setHalves(Reg.orig_rax, u[Reg.rax * 2]!, u[Reg.rax * 2 + 1]!);
        return Stop.Syscall;
      }
      this.#fillFault(vcpu, as);
      return Stop.Fault;
    }
    if (kind === Exit.Interrupt) {
      // Between two ring-3 instructions (vcpu.run lets a trap under way finish).
      this.#saveGprs(vcpu, regs);
      regs.setHalves(Reg.rip, k[KvmReg.rip * 2]!, k[KvmReg.rip * 2 + 1]!);
      regs.setHalves(Reg.rsp, k[KvmReg.rsp * 2]!, k[KvmReg.rsp * 2 + 1]!);
      regs.setHalves(Reg.eflags, k[KvmReg.rflags * 2]!, 0);
      return Stop.Interrupt;
    }
    this.#fillFatal(vcpu);
    return Stop.Fault;
  }

  #saveGprs(vcpu: VirtualCpu, regs: Registers): void {
    const u = regs.u32;
    const k = vcpu.regs;
    for (let i = 0; i < USER_GPR.length; i++) {
      u[USER_GPR[i]!] = k[KVM_GPR[i]!]!;
      u[USER_GPR[i]! + 1] = k[KVM_GPR[i]! + 1]!;
    }
    regs.setHalves(Reg.fs_base, vcpu.baseLo(false), vcpu.baseHi(false));
    regs.setHalves(Reg.gs_base, vcpu.baseLo(true), vcpu.baseHi(true));
  }

  #fillFault(vcpu: VirtualCpu, as: KvmAddressSpace): void {
    const t = vcpu.trap;
    const f = this.fault;
    f.vector = t.vector;
    f.errorCode = t.errorCode;
    if (t.vector === PF) {
      f.address = t.addr;
      f.access = (t.errorCode & PF_FETCH) !== 0 ? ACCESS_EXEC : (t.errorCode & PF_WRITE) !== 0 ? ACCESS_WRITE : ACCESS_READ;
      f.protection = (t.errorCode & PF_PRESENT) !== 0;
    } else {
      f.address = t.rip;
      f.access = 0;
      f.protection = false;
      if (t.vector === UD) this.#intWithoutGate(as, f);
    }
    f.signal = signalForVector(f.vector);
  }

  /**
   * This PVM host raises #UD at an `int N` whose gate ring 3 may not use
   * (every N but 3 and 4) where the CPU raises #GP with error code N * 8 + 2
   * (IDT entry N); Linux reports that (SIGSEGV, trapno 13) in the signal
   * frame. Turns such a #UD into that #GP.
   */
  #intWithoutGate(as: KvmAddressSpace, f: FaultInfo): void {
    let at = f.address;
    while (at - f.address < MAX_INSN - 2 && INT_PREFIXES.has(this.#codeByte(as, at))) at++;
    const n = this.#codeByte(as, at + 1);
    if (this.#codeByte(as, at) !== OP_INT_N || n < 0) return;
    f.vector = GP;
    f.errorCode = n * 8 + 2;
  }

  /** The byte of user code at `va`, or -1 where none is mapped executable. */
  #codeByte(as: KvmAddressSpace, va: number): number {
    if (!(va >= 0 && va < LOWER_HALF_END)) return -1;
    const pa = as.translate(va, PROT_EXEC);
    return pa < 0 ? -1 : this.#memory[pa]!;
  }

  /** Ring 0 trapped, or KVM stopped the guest, in a way no instruction of the task explains: see FaultInfo.signal. */
  #fillFatal(vcpu: VirtualCpu): void {
    const t = vcpu.trap;
    const f = this.fault;
    f.vector = t.vector;
    f.signal = SIGKILL;
    f.errorCode = 0;
    f.address = t.vector === PF ? t.addr : t.rip;
    f.access = 0;
    f.protection = false;
  }

  saveFpu(fpu: FpuState): void {
    this.#homes.save(fpu);
  }

  dropFpu(fpu: FpuState): void {
    this.#homes.drop(fpu);
  }

  pause(): void {
    for (const v of this.#homes.vcpus) v.park();
  }

  /** Kicks every vCPU: whichever runs next (or runs now) stops. */
  interrupt(): void {
    for (const v of this.#homes.vcpus) v.kick();
  }

  /** One tick serves every vCPU: it signals the thread, and the kick marks the vCPU bound to it (the one running or about to). */
  setPreemption(periodNs: number): void {
    this.vcpu.setTick(periodNs);
  }

  newFpuState(): FpuState {
    return { bytes: this.#initialFpu.slice() };
  }

  release(): void {
    for (const v of this.#homes.vcpus) v.close();
    this.#onRelease();
  }
}
