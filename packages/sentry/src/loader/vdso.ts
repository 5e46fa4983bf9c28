// The vDSO image (built from vdso/vdso.c into gen/vdso.so by vdso/build.sh)
// and the host side of its vvar page. Layout contract with vdso/vvar.h:
// the vvar page sits immediately below the image; the guest maps it read-only.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PAGE = 4096;
/** The vvar page starts this many bytes from the vDSO base (one page below it). */
export const VVAR_OFFSET = -PAGE;
export const VVAR_SIZE = PAGE;

/** Clock ids the vDSO answers by default: REALTIME, MONOTONIC, MONOTONIC_RAW,
 *  REALTIME_COARSE, MONOTONIC_COARSE, BOOTTIME (bit i = clock id i). */
export const VVAR_DEFAULT_CLOCKS = (1 << 0) | (1 << 1) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7);

// struct vvar field offsets (vdso/vvar.h asserts the same numbers).
const SEQ = 0;
const CLOCK_MASK = 4;
const TSC_BASE = 8;
const MULT = 16;
const SHIFT = 24;
const REALTIME = 32;
const MONOTONIC = 40;
const BOOTTIME = 48;
const TZ_WEST = 56;
const TZ_DST = 60;
const VVAR_BYTES = 64;

export interface VdsoImage {
  /** The ELF shared object, zero-padded to whole pages; map it read+execute at the vDSO base. */
  bytes: Uint8Array;
  pages: number;
  /** Offset of the vvar page from the vDSO base (negative: it comes first). */
  vvarOffset: number;
}

/** A simultaneous sample of the guest-visible TSC and the clocks, plus the TSC rate. */
export interface VvarParams {
  /** TSC frequency in kHz (KVM_GET_TSC_KHZ, or the PVM MSR 0x4b564d13). */
  tscKhz: number;
  /** TSC value at which the times below were taken. */
  tsc: bigint;
  realtimeNs: bigint;
  monotonicNs: bigint;
  /** Defaults to monotonicNs: a sandbox never suspends. */
  boottimeNs?: bigint;
  /** Clock ids answered without a syscall (default VVAR_DEFAULT_CLOCKS). */
  clocks?: number;
  tzMinutesWest?: number;
  tzDstTime?: number;
}

const U64_LIMIT = 1n << 64n;
/** Fixed-point precision target; lowered only for TSC rates so slow that mult would overflow 64 bits. */
const MAX_SHIFT = 48n;

/** mult and shift such that ns = (ticks * mult) >> shift. */
function scale(tscKhz: number): { mult: bigint; shift: bigint } {
  for (let shift = MAX_SHIFT; ; shift--) {
    const mult = (1_000_000n << shift) / BigInt(tscKhz);
    if (mult < U64_LIMIT) return { mult, shift };
  }
}

function u64(name: string, v: bigint): bigint {
  if (typeof v !== 'bigint' || v < 0n || v >= U64_LIMIT) throw new RangeError(`vvar ${name} out of range`);
  return v;
}

/**
 * Publishes a new time sample to the vvar page at `offset` in `view`, inside
 * the sequence lock the vDSO checks. `null` turns the vDSO off: every call
 * then makes the real system call. The page's remaining bytes are left alone.
 * Throws RangeError on host bugs (a bad rate or sample), never for guest input.
 */
export function writeVvar(view: DataView, offset: number, params: VvarParams | null): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset % 8 !== 0 || offset + VVAR_BYTES > view.byteLength) {
    throw new RangeError('vvar offset outside the view');
  }
  const set64 = (at: number, v: bigint): void => view.setBigUint64(offset + at, v, true);
  const seq = view.getUint32(offset + SEQ, true);
  const publish = (v: number): void => {
    if (view.buffer instanceof SharedArrayBuffer) {
      // A release store, so a vCPU on another thread sees the fields before an even seq.
      Atomics.store(new Int32Array(view.buffer, view.byteOffset + offset + SEQ, 1), 0, v | 0);
    } else view.setUint32(offset + SEQ, v >>> 0, true);
  };
  if (params === null) {
    publish(seq + 1);
    view.setUint32(offset + CLOCK_MASK, 0, true);
    publish(seq + 2);
    return;
  }
  const { tscKhz } = params;
  if (!Number.isSafeInteger(tscKhz) || tscKhz <= 0 || tscKhz >= 2 ** 32) throw new RangeError('vvar tscKhz out of range');
  const clocks = params.clocks ?? VVAR_DEFAULT_CLOCKS;
  if (!Number.isInteger(clocks) || clocks < 0 || clocks >= 2 ** 32) throw new RangeError('vvar clocks mask out of range');
  const { mult, shift } = scale(tscKhz);
  const monotonic = u64('monotonicNs', params.monotonicNs);
  const values: Array<[number, bigint]> = [
    [TSC_BASE, u64('tsc', params.tsc)],
    [MULT, mult],
    [REALTIME, u64('realtimeNs', params.realtimeNs)],
    [MONOTONIC, monotonic],
    [BOOTTIME, u64('boottimeNs', params.boottimeNs ?? monotonic)],
  ];

  publish(seq + 1);
  view.setUint32(offset + CLOCK_MASK, clocks >>> 0, true);
  for (const [at, v] of values) set64(at, v);
  view.setUint32(offset + SHIFT, Number(shift), true);
  view.setInt32(offset + TZ_WEST, params.tzMinutesWest ?? 0, true);
  view.setInt32(offset + TZ_DST, params.tzDstTime ?? 0, true);
  publish(seq + 2);
}

/** Where the build puts the image, seen from src/loader/ (tests) and from dist/ (the bundle). */
function candidates(): string[] {
  return ['../../gen/vdso.so', '../gen/vdso.so'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
}

let cached: VdsoImage | null = null;

/**
 * Reads the vDSO built by `vdso/build.sh` (once; later calls share the result).
 * Throws if the package was not built: that is an installation error, not a guest one.
 */
export function loadVdso(path?: string): VdsoImage {
  if (path === undefined && cached) return cached;
  let file: Uint8Array | null = null;
  for (const p of path === undefined ? candidates() : [path]) {
    try {
      file = readFileSync(p);
      break;
    } catch {
      // try the next location
    }
  }
  if (!file) throw new Error(`vDSO image not found (run "sh vdso/build.sh" in @tsv/sentry): ${candidates().join(', ')}`);
  const elfDyn = file.length >= 64 && file[0] === 0x7f && file[1] === 0x45 && file[2] === 0x4c && file[3] === 0x46 && file[16] === 3;
  if (!elfDyn) throw new Error('vDSO image is not an ELF shared object');
  const pages = Math.ceil(file.length / PAGE);
  const bytes = new Uint8Array(pages * PAGE);
  bytes.set(file);
  const image: VdsoImage = { bytes, pages, vvarOffset: VVAR_OFFSET };
  if (path === undefined) cached = image;
  return image;
}
