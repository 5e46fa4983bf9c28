// Decoding a KVM_EXIT_HLT: which stub halted, and what ring 3 was doing.
//
// Every guest entry into ring 0 ends in one `hlt` of src/ring0.S, so RIP at
// the exit names the stub: LSTAR + 1 (a SYSCALL that ran in real ring 0, as
// on VMX/SVM) or vector v's stub (RIP = stub + 5). For a vector, the CPU's
// frame plus the stub's two pushes sit on the IST stack at exactly stack
// top - FRAME_SIZE; anything else (a different RSP, a frame from ring 0)
// means the kernel itself faulted and is reported as TRAP_UNKNOWN.
//
// On this machine's PVM host a user SYSCALL instead faults fetching the
// supervisor-only LSTAR page: #PF (error 0x15) with CR2 = LSTAR, frame RIP =
// LSTAR, frame CS/SS/RSP the user's, RCX/R11 already loaded, and frame
// RFLAGS already masked by SFMASK, so IF = 0. Ring 3 always runs with IF = 1,
// which tells it apart from a program jumping to LSTAR (an ordinary #PF, as
// on hardware). Both SYSCALL forms decode to TRAP_SYSCALL.
//
// All guest values are data: the decoder reads fixed offsets inside the
// kernel region only, never follows a guest pointer, and allocates nothing.
import {
  IDT_VECTORS,
  KERNEL_VA_HI,
  LSTAR_LO,
  MAX_VCPUS,
  RFLAGS_IF,
  STUB_GPA,
  STUB_HLT_OFFSET,
  STUB_STRIDE,
  STUB_VECTORS_OFFSET,
  USER_CS,
  USER_DS,
  istStackTop,
} from './layout.js';

export const TRAP_UNKNOWN = 0;
export const TRAP_SYSCALL = 1;
export const TRAP_EXCEPTION = 2;

/** The IST-stack frame at RSP when a vector stub halts (byte offsets). */
export const FRAME_VECTOR = 0;
export const FRAME_ERROR = 8;
export const FRAME_RIP = 16;
export const FRAME_CS = 24;
export const FRAME_RFLAGS = 32;
export const FRAME_RSP = 40;
export const FRAME_SS = 48;
export const FRAME_SIZE = 56;

/** Byte offsets in struct kvm_regs / kvm_sregs (the Linux KVM ABI). */
export const KVM_REGS_RCX = 16;
export const KVM_REGS_RSP = 48;
export const KVM_REGS_R11 = 88;
export const KVM_REGS_RIP = 128;
export const KVM_REGS_RFLAGS = 136;
export const KVM_SREGS_CS_SELECTOR = 12;
export const KVM_SREGS_CR2 = 232;

export const VECTOR_PF = 14;

/** RIP (low half) at the HLT exit of vector 0's stub; vector v adds v * STUB_STRIDE. */
const VECTOR0_EXIT_RIP = STUB_GPA + STUB_VECTORS_OFFSET + STUB_HLT_OFFSET + 1;

/**
 * What ring 3 was doing when it entered the kernel. 64-bit values the guest
 * controls (RIP, RSP, fault address) come as u32 halves so that no value is
 * rounded; the getters combine them when a JS number suffices (< 2^53).
 */
export class Trap {
  kind = TRAP_UNKNOWN;
  /** Exception vector, or -1 for a SYSCALL that halted at LSTAR + 1. */
  vector = -1;
  errorCode = 0;
  /** User RIP: the faulting instruction (or the next one for #BP/#OF); for a SYSCALL, RCX. */
  ripLo = 0;
  ripHi = 0;
  cs = 0;
  /** User RFLAGS as the CPU saved it; for a SYSCALL, R11. Sanitise with userRflags() before resuming. */
  rflags = 0;
  rspLo = 0;
  rspHi = 0;
  ss = 0;
  /** CR2 for a #PF, else 0. */
  addrLo = 0;
  addrHi = 0;

  get rip(): number {
    return this.ripHi * 0x1_0000_0000 + this.ripLo;
  }

  get rsp(): number {
    return this.rspHi * 0x1_0000_0000 + this.rspLo;
  }

  get addr(): number {
    return this.addrHi * 0x1_0000_0000 + this.addrLo;
  }

  reset(): void {
    this.kind = TRAP_UNKNOWN;
    this.vector = -1;
    this.errorCode = this.ripLo = this.ripHi = this.cs = this.rflags = 0;
    this.rspLo = this.rspHi = this.ss = this.addrLo = this.addrHi = 0;
  }
}

/**
 * Decodes a KVM_EXIT_HLT of vCPU `cpu`. `state` holds struct kvm_regs at
 * `regsAt` and struct kvm_sregs at `sregsAt` (kvm_run's sync-regs area, with
 * REGS and SREGS valid); `mem` is guest-physical memory from GPA 0. Fills
 * `out` and returns its kind.
 *
 * For TRAP_SYSCALL the host resumes at out.rip (RCX) with
 * userRflags(out.rflags) (R11) and out.rsp, the arguments in RAX, RDI, RSI,
 * RDX, R10, R8, R9. RCX and R11 are guest values like any other: check
 * that RIP is a canonical user address and sanitise RFLAGS (userRflags).
 */
export function decodeTrap(cpu: number, state: DataView, regsAt: number, sregsAt: number, mem: DataView, out: Trap): number {
  out.reset();
  if (state.getUint32(regsAt + KVM_REGS_RIP + 4, true) !== KERNEL_VA_HI) return TRAP_UNKNOWN;
  const rip = state.getUint32(regsAt + KVM_REGS_RIP, true);
  const rspLo = state.getUint32(regsAt + KVM_REGS_RSP, true);
  const rspHi = state.getUint32(regsAt + KVM_REGS_RSP + 4, true);

  if (rip === LSTAR_LO + 1) {
    // SYSCALL ran in ring 0 and halted: RSP is still the user's.
    out.rspLo = rspLo;
    out.rspHi = rspHi;
    return syscall(state, regsAt, out);
  }

  const rel = rip - VECTOR0_EXIT_RIP;
  const vector = rel / STUB_STRIDE;
  if (rel < 0 || rel % STUB_STRIDE !== 0 || vector >= IDT_VECTORS) return TRAP_UNKNOWN;
  out.vector = vector;
  if (!(cpu >= 0 && cpu < MAX_VCPUS && Number.isInteger(cpu))) return TRAP_UNKNOWN;
  const frame = istStackTop(cpu) - FRAME_SIZE;
  // Only a trap from ring 3 switches to an empty stack and leaves RSP here.
  if (rspHi !== KERNEL_VA_HI || rspLo !== frame || mem.getUint32(frame + FRAME_VECTOR, true) !== vector) {
    return TRAP_UNKNOWN;
  }
  out.errorCode = mem.getUint32(frame + FRAME_ERROR, true);
  out.ripLo = mem.getUint32(frame + FRAME_RIP, true);
  out.ripHi = mem.getUint32(frame + FRAME_RIP + 4, true);
  out.cs = mem.getUint16(frame + FRAME_CS, true);
  out.rflags = mem.getUint32(frame + FRAME_RFLAGS, true);
  out.rspLo = mem.getUint32(frame + FRAME_RSP, true);
  out.rspHi = mem.getUint32(frame + FRAME_RSP + 4, true);
  out.ss = mem.getUint16(frame + FRAME_SS, true);

  if (vector === VECTOR_PF) {
    out.addrLo = state.getUint32(sregsAt + KVM_SREGS_CR2, true);
    out.addrHi = state.getUint32(sregsAt + KVM_SREGS_CR2 + 4, true);
    if (
      out.addrHi === KERNEL_VA_HI &&
      out.addrLo === LSTAR_LO &&
      out.ripHi === KERNEL_VA_HI &&
      out.ripLo === LSTAR_LO &&
      (out.rflags & RFLAGS_IF) === 0
    ) {
      // The SYSCALL's own fetch at LSTAR faulted (PVM): user RSP is in the frame.
      out.vector = -1;
      out.errorCode = out.addrLo = out.addrHi = 0;
      return syscall(state, regsAt, out);
    }
  }
  if ((out.cs & 3) !== 3) return TRAP_UNKNOWN; // the kernel faulted: nothing to resume
  out.kind = TRAP_EXCEPTION;
  return TRAP_EXCEPTION;
}

/**
 * True when a KVM_EXIT_INTR (a kick or the tick) stopped the vCPU on its
 * way into ring 0, where the host must let it run on instead of taking
 * ring 3's registers from it:
 * - in ring 0, inside a stub before its hlt;
 * - on this PVM host, between a user SYSCALL and the fetch fault it takes
 *   at LSTAR. That shows ring 3 at RIP = LSTAR, RCX/R11 loaded and RFLAGS
 *   masked by SFMASK: IF = 0, which ring 3 never runs with. The fault is
 *   already queued in KVM; were the host to resume elsewhere (say at RCX),
 *   KVM would still deliver it there, as a #PF at LSTAR with the new RIP.
 *   Let it run, and the exit is the ordinary TRAP_SYSCALL.
 * A program that jumped to LSTAR keeps IF = 1: it stopped between two
 * instructions, like anywhere else in ring 3.
 */
export function enteringKernel(state: DataView, regsAt: number, sregsAt: number): boolean {
  if ((state.getUint16(sregsAt + KVM_SREGS_CS_SELECTOR, true) & 3) !== 3) return true;
  return (
    state.getUint32(regsAt + KVM_REGS_RIP + 4, true) === KERNEL_VA_HI &&
    state.getUint32(regsAt + KVM_REGS_RIP, true) === LSTAR_LO &&
    (state.getUint32(regsAt + KVM_REGS_RFLAGS, true) & RFLAGS_IF) === 0
  );
}

function syscall(state: DataView, regsAt: number, out: Trap): number {
  out.ripLo = state.getUint32(regsAt + KVM_REGS_RCX, true);
  out.ripHi = state.getUint32(regsAt + KVM_REGS_RCX + 4, true);
  out.rflags = state.getUint32(regsAt + KVM_REGS_R11, true);
  out.cs = USER_CS;
  out.ss = USER_DS;
  out.kind = TRAP_SYSCALL;
  return TRAP_SYSCALL;
}
