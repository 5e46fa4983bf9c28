// A Context on KVM: one VirtualCpu that runs whichever task switch() is
// given. Registers cross between the task's user_regs_struct and kvm_run's
// sync area as u32 halves (no BigInt, no allocation); FPU state moves only
// when a different task's state is loaded.
import { KERNEL_VA_HI, LSTAR_LO, userRflags } from '@tsv/ring0';
import { Exit, KvmReg, type VirtualCpu } from '@tsv/vcpu';
import {
  ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, type AddressSpace, type Context, type FaultInfo, type FpuState,
  PlatformError, PROT_EXEC, Stop, type StopReason,
} from '../platform.js';
import { Reg, type Registers } from '../registers.js';
import { signalForVector } from '../signals.js';
import { KvmAddressSpace } from './address-space.js';
import type { Revoker } from './revoke.js';

// General registers: [user_regs_struct index, kvm_regs index] pairs, as u32 offsets.
const GPRS: readonly (readonly [number, number])[] = (
  ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const
).map((n) => [Reg[n] * 2, KvmReg[n] * 2] as const);
const USER_GPR = Int32Array.from(GPRS.map((p) => p[0]));
const KVM_GPR = Int32Array.from(GPRS.map((p) => p[1]));

const PF = 14;
const PF_PRESENT = 1;
const PF_WRITE = 2;
const PF_FETCH = 16;

export class KvmContext implements Context {
  readonly fault: FaultInfo = { vector: 0, signal: 0, address: 0, access: 0, protection: false, errorCode: 0 };
  readonly vcpu: VirtualCpu;
  readonly #revoker: Revoker;
  readonly #memory: Uint8Array;
  readonly #initialFpu: Uint8Array;
  readonly #onRelease: () => void;
  #fpu: FpuState | undefined;

  constructor(vcpu: VirtualCpu, memory: Uint8Array, revoker: Revoker, onRelease: () => void = () => {}) {
    this.vcpu = vcpu;
    this.#memory = memory;
    this.#revoker = revoker;
    this.#onRelease = onRelease;
    this.#initialFpu = vcpu.initialFpu();
  }

  switch(as: AddressSpace, regs: Registers, fpu: FpuState): StopReason {
    if (!(as instanceof KvmAddressSpace)) throw new TypeError('KvmContext.switch: not a KVM address space');
    const vcpu = this.vcpu;
    if (fpu !== this.#fpu) {
      if (this.#fpu !== undefined) vcpu.saveFpu(this.#fpu.bytes);
      vcpu.restoreFpu(fpu.bytes);
      this.#fpu = fpu;
    }
    if (this.#revoker.pending(as)) this.#revoker.revoke(vcpu, as);

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

    for (;;) {
      const kind = vcpu.run();
      if (kind === Exit.Syscall || kind === Exit.Exception) {
        this.#saveGprs(regs);
        const t = vcpu.trap;
        regs.setHalves(Reg.rip, t.ripLo, t.ripHi);
        regs.setHalves(Reg.rsp, t.rspLo, t.rspHi);
        regs.setHalves(Reg.eflags, t.rflags, 0);
        if (kind === Exit.Syscall || this.#isAmbiguousSyscall(as, regs)) {
          regs.setHalves(Reg.orig_rax, u[Reg.rax * 2]!, u[Reg.rax * 2 + 1]!);
          return Stop.Syscall;
        }
        this.#fillFault();
        return Stop.Fault;
      }
      if (kind === Exit.Interrupt) {
        // Interrupted inside the stub (between a trap and its hlt): let it finish.
        if (!vcpu.inUserMode()) {
          vcpu.resume();
          continue;
        }
        this.#saveGprs(regs);
        regs.setHalves(Reg.rip, k[KvmReg.rip * 2]!, k[KvmReg.rip * 2 + 1]!);
        regs.setHalves(Reg.rsp, k[KvmReg.rsp * 2]!, k[KvmReg.rsp * 2 + 1]!);
        regs.setHalves(Reg.eflags, k[KvmReg.rflags * 2]!, 0);
        return Stop.Interrupt;
      }
      throw new PlatformError(`vCPU ${vcpu.index}: ${vcpu.unexpected}`, {
        kvmExitReason: vcpu.kvmExitReason,
        state: vcpu.state,
      });
    }
  }

  /**
   * On PVM a SYSCALL arrives as a fetch fault at LSTAR. The decoder
   * recognises it by RFLAGS.IF = 0 (SFMASK applied), but this host now and
   * then reports IF = 1 for a genuine SYSCALL, which a plain jump to LSTAR
   * would also show. Then: it was a SYSCALL if the two bytes before RCX
   * (where SYSCALL leaves the return address) are the SYSCALL instruction.
   * A program can arrange that with a jump, but then only gets the system
   * call it could have made anyway, resuming at an address it chose.
   * On a match, `regs` is turned into the syscall stop's registers.
   */
  #isAmbiguousSyscall(as: KvmAddressSpace, regs: Registers): boolean {
    const t = this.vcpu.trap;
    if (t.vector !== PF || t.addrHi !== KERNEL_VA_HI || t.addrLo !== LSTAR_LO || t.ripHi !== KERNEL_VA_HI || t.ripLo !== LSTAR_LO) {
      return false;
    }
    const rcx = regs.get(Reg.rcx);
    if (!(rcx >= 2 && rcx < 2 ** 47)) return false;
    const a = as.translate(rcx - 2, PROT_EXEC);
    const b = as.translate(rcx - 1, PROT_EXEC);
    const mem = this.#memory;
    if (a < 0 || b < 0 || mem[a] !== 0x0f || mem[b] !== 0x05) return false;
    regs.setHalves(Reg.rip, regs.getLo(Reg.rcx), regs.getHi(Reg.rcx));
    regs.setHalves(Reg.eflags, regs.getLo(Reg.r11), 0);
    return true;
  }

  #saveGprs(regs: Registers): void {
    const u = regs.u32;
    const k = this.vcpu.regs;
    for (let i = 0; i < USER_GPR.length; i++) {
      u[USER_GPR[i]!] = k[KVM_GPR[i]!]!;
      u[USER_GPR[i]! + 1] = k[KVM_GPR[i]! + 1]!;
    }
    regs.setHalves(Reg.fs_base, this.vcpu.baseLo(false), this.vcpu.baseHi(false));
    regs.setHalves(Reg.gs_base, this.vcpu.baseLo(true), this.vcpu.baseHi(true));
  }

  #fillFault(): void {
    const t = this.vcpu.trap;
    const f = this.fault;
    f.vector = t.vector;
    f.signal = signalForVector(t.vector);
    f.errorCode = t.errorCode;
    if (t.vector === PF) {
      f.address = t.addr;
      f.access = (t.errorCode & PF_FETCH) !== 0 ? ACCESS_EXEC : (t.errorCode & PF_WRITE) !== 0 ? ACCESS_WRITE : ACCESS_READ;
      f.protection = (t.errorCode & PF_PRESENT) !== 0;
    } else {
      f.address = t.rip;
      f.access = 0;
      f.protection = false;
    }
  }

  saveFpu(fpu: FpuState): void {
    if (fpu === this.#fpu) this.vcpu.saveFpu(fpu.bytes);
  }

  pause(): void {
    this.vcpu.park();
  }

  interrupt(): void {
    this.vcpu.kick();
  }

  setPreemption(periodNs: number): void {
    this.vcpu.setTick(periodNs);
  }

  newFpuState(): FpuState {
    return { bytes: this.#initialFpu.slice() };
  }

  release(): void {
    this.vcpu.close();
    this.#onRelease();
  }
}
