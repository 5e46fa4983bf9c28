// The x86-64 rt_sigframe, laid out as Linux's arch/x86/kernel/signal_64.c
// builds it, and its reading back by rt_sigreturn:
//
//   struct rt_sigframe { char *pretcode; struct ucontext uc; struct siginfo info; }
//   struct ucontext    { u64 uc_flags; ucontext *uc_link; stack_t uc_stack;
//                        struct sigcontext uc_mcontext; sigset_t uc_sigmask; }
//
// followed (above it) by the FPU state, 64-byte aligned (signal-fpu.ts).
// Offsets are checked against glibc's ucontext_t/siginfo_t by the tests.
import { Reg, type Registers } from '@tsv/platform';
import { fpuFrameSize, restoreFpuFrame, saveFpuFrame } from './signal-fpu.js';
import { SA_ONSTACK, SA_RESTORER, SA_SIGINFO, type SigAction, type SigInfo, SS_AUTODISARM } from './signals.js';
import type { Task } from './task.js';

export const FRAME_PRETCODE = 0;
export const FRAME_UC = 8;
export const FRAME_INFO = 312;
export const FRAME_SIZE = 440;
export const UC_FLAGS = 0;
export const UC_LINK = 8;
export const UC_STACK = 16;
export const UC_MCONTEXT = 40;
export const UC_SIGMASK = 296;
/** struct sigcontext, from uc_mcontext: the general registers in this order, 8 bytes each. */
export const SC_REGS: readonly number[] = [
  Reg.r8,
  Reg.r9,
  Reg.r10,
  Reg.r11,
  Reg.r12,
  Reg.r13,
  Reg.r14,
  Reg.r15,
  Reg.rdi,
  Reg.rsi,
  Reg.rbp,
  Reg.rbx,
  Reg.rdx,
  Reg.rax,
  Reg.rcx,
  Reg.rsp,
  Reg.rip,
  Reg.eflags,
];
export const SC_CS = 144;
export const SC_SS = 150;
export const SC_ERR = 152;
export const SC_TRAPNO = 160;
export const SC_OLDMASK = 168;
export const SC_CR2 = 176;
export const SC_FPSTATE = 184;
export const SIGINFO_SIZE = 128;
/** sizeof(struct kernel_siginfo): what the kernel keeps of a siginfo; the rest of the 128 bytes reads as zero. */
export const KERNEL_SIGINFO_SIZE = 48;

export const UC_SIGCONTEXT_SS = 2;
export const UC_STRICT_RESTORE_SS = 4;
const USER_CS = 0x33;
const USER_DS = 0x2b;
const RED_ZONE = 128;
const TWO32 = 2 ** 32;
const USER_LIMIT = 2 ** 47;
const DF = 0x400;
const TF = 0x100;
const RF = 0x1_0000;
/** The RFLAGS bits sigreturn takes from the frame (Linux's FIX_EFLAGS). */
const FIX_EFLAGS = 0x4_0000 | 0x800 | DF | TF | 0x80 | 0x40 | 0x10 | 0x4 | 0x1 | RF;

/**
 * siginfo_t as the kernel writes it: signo, errno, code, then the union at
 * 16 (pid/uid, the fault address, or the sender's own bytes).
 */
export function encodeSigInfo(info: SigInfo, out: DataView, at = 0): void {
  out.setInt32(at, info.signo, true);
  out.setInt32(at + 4, info.errno ?? 0, true);
  out.setInt32(at + 8, info.code, true);
  if (info.fields !== undefined) {
    new Uint8Array(out.buffer, out.byteOffset + at + 16, info.fields.length).set(info.fields);
  } else if (info.addr !== undefined) {
    out.setUint32(at + 16, info.addr % TWO32, true);
    out.setUint32(at + 20, Math.floor(info.addr / TWO32), true);
  } else {
    out.setInt32(at + 16, info.pid ?? 0, true);
    out.setUint32(at + 20, info.uid ?? 0, true);
  }
}

function putU64(v: DataView, at: number, x: number): void {
  v.setUint32(at, x % TWO32, true);
  v.setUint32(at + 4, Math.floor(x / TWO32), true);
}

function getU64(v: DataView, at: number): number {
  return v.getUint32(at + 4, true) * TWO32 + v.getUint32(at, true);
}

/** Where a frame goes: the frame itself (the handler's RSP) and its FPU area. */
export interface FramePlace {
  frame: number;
  fpstate: number;
}

/**
 * get_sigframe(): below the red zone, or at the top of the alternate stack
 * when the action asks for it and the task is not already on it; the FPU
 * area 64-byte aligned, the frame under it placed so that RSP + 8 is
 * 16-byte aligned at handler entry, as after a call. A stack pointer that
 * is no user address (kernel half, non-canonical) is not on the alternate
 * stack, so an SA_ONSTACK handler still gets its frame there, as on Linux.
 * null when the frame would go below such a stack pointer, or would
 * overflow the alternate stack.
 */
export function placeFrame(t: Task, action: SigAction): FramePlace | null {
  const s = t.signals;
  // Exact below 2^53; beyond, it stays far above any alternate stack, which is all that is asked of it.
  const rsp = t.regs.get(Reg.rsp);
  const userSp = t.regs.getHi(Reg.rsp) < USER_LIMIT / TWO32;
  const nested = s.onAltStack(rsp);
  let sp = rsp - RED_ZONE;
  let entering = false;
  if ((action.flags & SA_ONSTACK) !== 0 && s.altSize !== 0 && !s.onAltStack(sp)) {
    sp = s.altSp + s.altSize;
    entering = true;
  } else if (!userSp) {
    return null;
  }
  const fpstate = Math.floor((sp - fpuFrameSize(t.fpu.bytes)) / 64) * 64;
  const frame = Math.floor((fpstate - FRAME_SIZE) / 16) * 16 - 8;
  if ((nested || entering) && !(frame > s.altSp && frame - s.altSp <= s.altSize)) return null;
  if (frame <= 0) return null;
  return { frame, fpstate };
}

/** What the frame records besides the registers. */
export interface FrameContext {
  info: SigInfo;
  action: SigAction;
  /** The mask to restore at sigreturn (the one before delivery, or rt_sigsuspend's saved one). */
  maskLo: number;
  maskHi: number;
}

/**
 * Writes the frame for `ctx` at `place` and points the registers at the
 * handler. Returns the bytes written for the FPU area (the caller may need
 * to refresh them, see Kernel), or null when the frame cannot be written —
 * no SA_RESTORER, or the stack is not writable — and the caller forces
 * SIGSEGV. The FPU state of the handler and the mask are the caller's.
 */
export function writeFrame(t: Task, place: FramePlace, ctx: FrameContext): Uint8Array | null {
  const { action, info } = ctx;
  if ((action.flags & SA_RESTORER) === 0 || action.handler >= USER_LIMIT) return null;
  const regs = t.regs;
  const s = t.signals;
  const { frame, fpstate } = place;
  const fpSize = fpuFrameSize(t.fpu.bytes);
  const bytes = new Uint8Array(fpstate + fpSize - frame);
  const v = new DataView(bytes.buffer);
  const fpu = bytes.subarray(fpstate - frame);
  const fpFlag = saveFpuFrame(t.fpu.bytes, fpu);

  putU64(v, FRAME_PRETCODE, action.restorer);
  const uc = FRAME_UC;
  putU64(v, uc + UC_FLAGS, fpFlag | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS);
  putU64(v, uc + UC_STACK, s.altSp);
  v.setUint32(uc + UC_STACK + 8, s.altFlags, true);
  putU64(v, uc + UC_STACK + 16, s.altSize);
  const sc = uc + UC_MCONTEXT;
  SC_REGS.forEach((r, i) => {
    v.setUint32(sc + i * 8, regs.getLo(r), true);
    v.setUint32(sc + i * 8 + 4, regs.getHi(r), true);
  });
  v.setUint16(sc + SC_CS, USER_CS, true);
  v.setUint16(sc + SC_SS, USER_DS, true);
  putU64(v, sc + SC_ERR, s.trapErr);
  putU64(v, sc + SC_TRAPNO, s.trapno);
  v.setUint32(sc + SC_OLDMASK, ctx.maskLo, true);
  v.setUint32(sc + SC_OLDMASK + 4, ctx.maskHi, true);
  putU64(v, sc + SC_CR2, s.cr2);
  putU64(v, sc + SC_FPSTATE, fpstate);
  v.setUint32(uc + UC_SIGMASK, ctx.maskLo, true);
  v.setUint32(uc + UC_SIGMASK + 4, ctx.maskHi, true);
  if ((action.flags & SA_SIGINFO) !== 0) encodeSigInfo(info, v, FRAME_INFO);
  if (t.mm.copyOut(frame, bytes) < 0) return null;

  regs.set(Reg.rdi, info.signo);
  regs.set(Reg.rsi, frame + FRAME_INFO);
  regs.set(Reg.rdx, frame + FRAME_UC);
  regs.set(Reg.rax, 0);
  regs.set(Reg.rip, action.handler);
  regs.set(Reg.rsp, frame);
  regs.set(Reg.orig_rax, -1);
  regs.setHalves(Reg.eflags, regs.getLo(Reg.eflags) & ~(DF | RF | TF), 0);
  if ((s.altFlags & SS_AUTODISARM) !== 0) s.resetAltStack();
  return fpu.slice();
}

/** Copies a 64-bit register from the frame as two halves (exact for any value). */
function loadReg(regs: Registers, r: number, v: DataView, at: number): void {
  regs.setHalves(r, v.getUint32(at, true), v.getUint32(at + 4, true));
}

/**
 * rt_sigreturn: restores the registers, the mask, the alternate stack and
 * the FPU state from the frame the handler returned from (its RSP is just
 * above pretcode). `initFpu` is the image for a frame without FPU state,
 * `validFeatures` the XSAVE components the platform accepts. false for an
 * unreadable or invalid frame: the caller raises SIGSEGV.
 */
export function readFrame(t: Task, initFpu: () => Uint8Array, validFeatures: number): boolean {
  const regs = t.regs;
  const frame = regs.get(Reg.rsp) - 8;
  if (regs.getHi(Reg.rsp) >= USER_LIMIT / TWO32 || frame <= 0) return false;
  const bytes = new Uint8Array(FRAME_SIZE);
  if (t.mm.copyIn(frame, bytes) < 0) return false;
  const v = new DataView(bytes.buffer);
  const uc = FRAME_UC;
  const sc = uc + UC_MCONTEXT;
  t.signals.setMask(v.getUint32(uc + UC_SIGMASK, true), v.getUint32(uc + UC_SIGMASK + 4, true));
  const flags = regs.getLo(Reg.eflags);
  SC_REGS.forEach((r, i) => {
    if (r !== Reg.eflags) loadReg(regs, r, v, sc + i * 8);
  });
  const saved = v.getUint32(sc + SC_REGS.indexOf(Reg.eflags) * 8, true);
  regs.setHalves(Reg.eflags, (flags & ~FIX_EFLAGS) | (saved & FIX_EFLAGS), 0);
  regs.set(Reg.orig_rax, -1);
  // Returning to a non-canonical address would fault in IRET: Linux's result is SIGSEGV too.
  if (regs.getHi(Reg.rip) >= USER_LIMIT / TWO32) return false;
  const fpstate = getU64(v, sc + SC_FPSTATE);
  const image = fpstate === 0 ? initFpu() : restoreFpuFrame(t.mm, fpstate, t.fpu.bytes, validFeatures);
  if (image === null) return false;
  t.setFpu({ bytes: image });
  // restore_altstack(): as sigaltstack(2) from the restored stack pointer; its errors are ignored.
  t.signals.setAltStack(getU64(v, uc + UC_STACK), v.getUint32(uc + UC_STACK + 8, true), getU64(v, uc + UC_STACK + 16), regs.get(Reg.rsp));
  return true;
}
