// The FPU part of a signal frame, as Linux's copy_fpstate_to_sigframe and
// __fpu_restore_sig treat it on x86-64. A task's FPU image is the
// platform's XSAVE area in the standard (non-compacted) format, as
// KVM_GET_XSAVE returns it: the 512-byte FXSAVE legacy area, the 64-byte
// XSAVE header, then each component at its architectural offset. A frame
// holds the first XSTATE_SIZE bytes of it with the software-reserved bytes
// (fpx_sw_bytes) describing it and FP_XSTATE_MAGIC2 after it. An image of
// only 512 bytes (a platform without XSAVE) is saved as a bare FXSAVE area,
// as Linux does on such a CPU.
import type { UserMemory } from './usercopy.js';

export const FXSAVE_SIZE = 512;
/** x87 | SSE | AVX | AVX-512 (opmask, ZMM_Hi256, Hi16_ZMM): what the platform may enable in XCR0. */
export const USER_XFEATURES = 0xe7;
/** End of the last AVX-512 component: the frame's xstate size (Linux: fpu_user_cfg.max_size). */
export const XSTATE_SIZE = 2688;
export const FP_XSTATE_MAGIC1 = 0x4650_5853;
export const FP_XSTATE_MAGIC2 = 0x4650_5845;
const MAGIC2_SIZE = 4;
/** struct _fpx_sw_bytes inside the FXSAVE area. */
const SW_BYTES = 464;
const HEADER = 512;
const HEADER_END = 576;
const MXCSR = 24;
const MXCSR_MASK = 28;
/** Linux's fallback when the CPU reports no MXCSR_MASK. */
const MXCSR_DEFAULT_MASK = 0xffbf;
/** [offset, size] of components 2..7 in the standard format. */
const COMPONENTS: readonly (readonly [bit: number, offset: number, size: number])[] = [
  [2, 576, 256],
  [3, 960, 64],
  [4, 1024, 64],
  [5, 1088, 64],
  [6, 1152, 512],
  [7, 1664, 1024],
];

export const UC_FP_XSTATE = 1;

/** Whether images like `image` are saved in the XSAVE format (else a bare FXSAVE area). */
export function isXsave(image: Uint8Array): boolean {
  return image.length >= XSTATE_SIZE;
}

/** Bytes the frame reserves for the FPU state of a task with this image (64-byte alignment is the caller's). */
export function fpuFrameSize(image: Uint8Array): number {
  return isXsave(image) ? XSTATE_SIZE + MAGIC2_SIZE : FXSAVE_SIZE;
}

function bv(image: Uint8Array): number {
  const v = new DataView(image.buffer, image.byteOffset, image.byteLength);
  return v.getUint32(HEADER, true);
}

/** The XSTATE_BV of a platform image (components in use), 0 for a bare FXSAVE image. */
export function xstateFeatures(image: Uint8Array): number {
  return isXsave(image) ? bv(image) : 0;
}

/**
 * Writes the frame's FPU area for `image` into `out` (fpuFrameSize bytes)
 * and returns the uc_flags bit it calls for. FP and SSE are always marked
 * present, as Linux does for legacy compatibility.
 */
export function saveFpuFrame(image: Uint8Array, out: Uint8Array): number {
  if (!isXsave(image)) {
    out.set(image.subarray(0, FXSAVE_SIZE));
    return 0;
  }
  out.set(image.subarray(0, XSTATE_SIZE));
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  v.setUint32(HEADER, (v.getUint32(HEADER, true) | 3) >>> 0, true);
  out.fill(0, SW_BYTES, FXSAVE_SIZE);
  v.setUint32(SW_BYTES, FP_XSTATE_MAGIC1, true);
  v.setUint32(SW_BYTES + 4, XSTATE_SIZE + MAGIC2_SIZE, true);
  v.setUint32(SW_BYTES + 8, USER_XFEATURES, true);
  v.setUint32(SW_BYTES + 16, XSTATE_SIZE, true);
  v.setUint32(XSTATE_SIZE, FP_XSTATE_MAGIC2, true);
  return UC_FP_XSTATE;
}

/**
 * The FPU image to resume with after rt_sigreturn, read from the frame's
 * FPU area at `addr`: a copy of `ref` (the task's current image, which
 * gives the format and the CPU's MXCSR mask) with the frame's state in it.
 * `valid` is the set of components the platform is known to accept (seen
 * in images it produced); others the guest marks present are dropped, so a
 * forged frame can never make the platform refuse the image. null means the
 * frame is bad (unreadable, misaligned, reserved bits set): the caller
 * raises SIGSEGV, as Linux does.
 */
export function restoreFpuFrame(mm: UserMemory, addr: number, ref: Uint8Array, valid: number): Uint8Array | null {
  const xsave = isXsave(ref);
  if (addr % (xsave ? 64 : 16) !== 0) return null;
  const legacy = new Uint8Array(FXSAVE_SIZE);
  if (mm.copyIn(addr, legacy) < 0) return null;
  const lv = new DataView(legacy.buffer);
  const rv = new DataView(ref.buffer, ref.byteOffset, ref.byteLength);
  const mxcsrMask = rv.getUint32(MXCSR_MASK, true) || MXCSR_DEFAULT_MASK;
  if ((lv.getUint32(MXCSR, true) & ~mxcsrMask) !== 0) return null;
  const image = ref.slice();
  image.set(legacy.subarray(0, SW_BYTES));
  if (!xsave) return image;
  const iv = new DataView(image.buffer);
  let features = 3;
  const size = lv.getUint32(SW_BYTES + 16, true);
  if (
    lv.getUint32(SW_BYTES, true) === FP_XSTATE_MAGIC1 &&
    size >= HEADER_END &&
    size <= XSTATE_SIZE &&
    size <= lv.getUint32(SW_BYTES + 4, true)
  ) {
    const full = new Uint8Array(size + MAGIC2_SIZE);
    if (mm.copyIn(addr, full) < 0) return null;
    const fv = new DataView(full.buffer);
    if (fv.getUint32(size, true) === FP_XSTATE_MAGIC2) {
      if (fv.getUint32(HEADER + 4, true) !== 0 || full.subarray(HEADER + 8, HEADER_END).some((b) => b !== 0)) return null;
      const present = fv.getUint32(HEADER, true);
      // XRSTOR faults on a component XCR0 does not enable.
      if ((present & ~USER_XFEATURES) !== 0) return null;
      features = present & lv.getUint32(SW_BYTES + 8, true) & (valid | 3);
      for (const [b, off, len] of COMPONENTS) {
        if ((features & (1 << b)) !== 0 && off + len <= size) image.set(full.subarray(off, off + len), off);
        else features &= ~(1 << b);
      }
    }
  }
  iv.setUint32(HEADER, features >>> 0, true);
  image.fill(0, HEADER + 4, HEADER_END);
  return image;
}
