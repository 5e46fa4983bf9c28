// ELF64 x86-64 executable parsing: turns a (hostile) file into a LoadPlan that
// says what to map where. Nothing here maps memory; every malformed header is
// -ENOEXEC (or the read's own errno), never an exception.
import { E } from '../errno.js';
import { safeU64 } from '../u64.js';

/** Reads up to `len` bytes at `offset` into `buf`; returns the count (0 at EOF) or -errno. */
export type PreadFn = (buf: Uint8Array, len: number, offset: number) => number;

/** The executable as the loader sees it: a positional reader and the file's size. */
export interface ElfSource {
  pread: PreadFn;
  size: number;
}

const PAGE = 4096;
/** First address a segment may occupy (Linux's default vm.mmap_min_addr). */
export const MIN_LOAD_ADDR = 0x1_0000;
/** End of the user address range (Linux's TASK_SIZE_MAX on 4-level paging). */
export const USER_ADDR_END = 0x7fff_ffff_f000;
/** Where an ET_DYN executable goes when the caller names no base (Linux's ELF_ET_DYN_BASE, no ASLR). */
export const DEFAULT_PIE_BASE = 0x5555_5555_4000;

const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
/** Linux refuses program header tables over 64 KiB. */
const MAX_PHDR_BYTES = 65536;
/** Linux's PATH_MAX bounds PT_INTERP. */
const MAX_INTERP = 4096;

const ET_EXEC = 2;
const ET_DYN = 3;
const EM_X86_64 = 62;
const PT_LOAD = 1;
const PT_INTERP = 3;
const PT_PHDR = 6;
const PT_TLS = 7;
const PT_GNU_STACK = 0x6474e551;
const PF_X = 1;
const PF_W = 2;
const PF_R = 4;

/** One PT_LOAD, page-granular and already biased. Map in plan order: a later segment
 *  replaces a page it shares with the one before (as Linux's MAP_FIXED does). */
export interface LoadSegment {
  /** Page-aligned first address. */
  start: number;
  /** Page-aligned end of the whole segment (file part + bss). */
  end: number;
  /** Page-aligned file offset whose bytes appear at `start`. */
  fileOffset: number;
  /** Bytes mapped from the file at `fileOffset` to `start`; every byte of
   *  [start + fileSize, end) reads as zero, in a writable segment the tail
   *  of the last file page included (so file bytes past p_filesz never leak
   *  into bss; a read-only segment's last page shows the file's next bytes,
   *  as on Linux). */
  fileSize: number;
  /** Linux PROT_* bits: READ 1, WRITE 2, EXEC 4. */
  prot: number;
}

export interface TlsInfo {
  vaddr: number;
  fileSize: number;
  memSize: number;
  align: number;
}

export interface LoadPlan {
  type: 'exec' | 'dyn';
  /** Load bias added to every p_vaddr (0 for ET_EXEC). AT_BASE when this is the interpreter. */
  bias: number;
  /** Lowest mapped address: the page holding the first PT_LOAD. */
  base: number;
  /** Page-aligned end of the highest segment. */
  end: number;
  /** Entry point (biased). */
  entry: number;
  /** Address of the program headers in the loaded image (AT_PHDR). */
  phdr: number;
  phent: number;
  phnum: number;
  segments: LoadSegment[];
  /** PT_GNU_STACK asked for an executable stack (absent header: not executable, as on x86-64 Linux). */
  execStack: boolean;
  tls: TlsInfo | null;
  /** Initial program break: page-aligned end of the highest segment. */
  brk: number;
  /** PT_INTERP path without its NUL, or null for a static executable. */
  interpreter: Uint8Array | null;
}

export interface LoadOptions {
  /** Where to put an ET_DYN image's first page (page-aligned; raised to the
   *  segments' largest p_align). Ignored for ET_EXEC. */
  base?: number;
}

interface Phdr {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  align: number;
}

const ENOEXEC = -E.ENOEXEC;
const pageDown = (a: number): number => a - (a % PAGE);
const pageUp = (a: number): number => pageDown(a + PAGE - 1);

/** Reads exactly `len` bytes at `offset`, or returns -errno (-ENOEXEC when the file is short). */
function readExact(src: ElfSource, len: number, offset: number): Uint8Array | number {
  if (offset + len > src.size) return ENOEXEC;
  const buf = new Uint8Array(len);
  let done = 0;
  while (done < len) {
    const n = src.pread(buf.subarray(done), len - done, offset + done);
    if (n < 0) return n;
    if (n === 0 || !Number.isInteger(n) || n > len - done) return ENOEXEC;
    done += n;
  }
  return buf;
}

function isPow2(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && (BigInt(n) & BigInt(n - 1)) === 0n;
}

function protOf(flags: number): number {
  return (flags & PF_R ? 1 : 0) | (flags & PF_W ? 2 : 0) | (flags & PF_X ? 4 : 0);
}

/**
 * Validates an ELF64 x86-64 executable and plans its mapping. ET_EXEC and
 * ET_DYN (PIE, static-PIE, or an interpreter loaded at `opts.base`) are
 * accepted; a PT_INTERP is reported in `interpreter`, not followed.
 */
export function loadElf(src: ElfSource, opts: LoadOptions = {}): LoadPlan | number {
  if (!Number.isSafeInteger(src.size) || src.size < EHDR_SIZE) return ENOEXEC;
  const eb = readExact(src, EHDR_SIZE, 0);
  if (typeof eb === 'number') return eb;
  const eh = new DataView(eb.buffer);
  if (eh.getUint32(0, false) !== 0x7f454c46) return ENOEXEC; // "\x7fELF"
  if (eb[4] !== 2 || eb[5] !== 1 || eb[6] !== 1) return ENOEXEC; // ELFCLASS64, LSB, EV_CURRENT
  if (eb[7] !== 0 && eb[7] !== 3) return ENOEXEC; // ELFOSABI_NONE / GNU
  const type = eh.getUint16(16, true);
  if (type !== ET_EXEC && type !== ET_DYN) return ENOEXEC;
  if (eh.getUint16(18, true) !== EM_X86_64 || eh.getUint32(20, true) !== 1) return ENOEXEC;
  const eEntry = safeU64(eh, 24);
  const phoff = safeU64(eh, 32);
  const phent = eh.getUint16(54, true);
  const phnum = eh.getUint16(56, true);
  if (phent !== PHDR_SIZE || phnum === 0 || phnum * PHDR_SIZE > MAX_PHDR_BYTES) return ENOEXEC;
  const phBytes = phnum * PHDR_SIZE;
  if (phoff > src.size - phBytes) return ENOEXEC;

  const pb = readExact(src, phBytes, phoff);
  if (typeof pb === 'number') return pb;
  const pv = new DataView(pb.buffer);
  const phdrs: Phdr[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = i * PHDR_SIZE;
    phdrs.push({
      type: pv.getUint32(o, true),
      flags: pv.getUint32(o + 4, true),
      offset: safeU64(pv, o + 8),
      vaddr: safeU64(pv, o + 16),
      filesz: safeU64(pv, o + 32),
      memsz: safeU64(pv, o + 40),
      align: safeU64(pv, o + 48),
    });
  }

  // An empty PT_LOAD maps nothing (Linux skips it too).
  const loads = phdrs.filter((p) => p.type === PT_LOAD && (p.memsz !== 0 || p.filesz !== 0));
  if (loads.length === 0) return ENOEXEC;
  let maxAlign = PAGE;
  let prevEnd = 0;
  for (const p of loads) {
    if (p.filesz > p.memsz) return ENOEXEC;
    if (p.offset > src.size || p.filesz > src.size - p.offset) return ENOEXEC;
    if (p.vaddr % PAGE !== p.offset % PAGE) return ENOEXEC;
    if (p.align > 1 && (!isPow2(p.align) || p.vaddr % p.align !== p.offset % p.align)) return ENOEXEC;
    if (p.vaddr >= USER_ADDR_END || p.memsz > USER_ADDR_END - p.vaddr) return ENOEXEC;
    if (p.vaddr < prevEnd) return ENOEXEC; // unordered or overlapping
    prevEnd = p.vaddr + p.memsz;
    if (p.align > maxAlign) maxAlign = p.align;
  }
  const first = loads[0]!;
  const last = loads[loads.length - 1]!;
  const lo = pageDown(first.vaddr);
  const hi = pageUp(last.vaddr + last.memsz);

  let bias = 0;
  if (type === ET_DYN) {
    const want = opts.base ?? DEFAULT_PIE_BASE;
    if (!Number.isSafeInteger(want) || want < 0) return -E.EINVAL;
    const align = Math.min(maxAlign, 2 ** 30); // a hostile 2^62 p_align must not push the image out of range
    const start = Math.ceil(want / align) * align;
    bias = start - lo;
  }
  if (lo + bias < MIN_LOAD_ADDR || hi + bias > USER_ADDR_END) return ENOEXEC;

  const inLoad = (a: number, len: number): boolean => loads.some((p) => a >= p.vaddr && len <= p.memsz && a - p.vaddr <= p.memsz - len);
  if (!inLoad(eEntry, 1)) return ENOEXEC;

  let phdrAddr: number | null = null;
  let interpreter: Uint8Array | null = null;
  let execStack = false;
  let tls: TlsInfo | null = null;
  const seen = new Set<number>();
  for (const p of phdrs) {
    if (p.type === PT_INTERP || p.type === PT_PHDR || p.type === PT_TLS || p.type === PT_GNU_STACK) {
      if (seen.has(p.type)) return ENOEXEC;
      seen.add(p.type);
    }
    if (p.type === PT_INTERP) {
      if (p.filesz < 2 || p.filesz > MAX_INTERP) return ENOEXEC;
      const ib = readExact(src, p.filesz, p.offset);
      if (typeof ib === 'number') return ib;
      const nul = ib.indexOf(0);
      if (nul !== ib.length - 1) return ENOEXEC;
      interpreter = ib.subarray(0, nul);
    } else if (p.type === PT_PHDR) {
      if (!inLoad(p.vaddr, phBytes)) return ENOEXEC;
      phdrAddr = p.vaddr + bias;
    } else if (p.type === PT_GNU_STACK) {
      execStack = (p.flags & PF_X) !== 0;
    } else if (p.type === PT_TLS) {
      if (p.filesz > p.memsz || (p.align > 1 && !isPow2(p.align)) || !inLoad(p.vaddr, p.memsz)) return ENOEXEC;
      tls = { vaddr: p.vaddr + bias, fileSize: p.filesz, memSize: p.memsz, align: p.align };
    }
  }
  if (phdrAddr === null) {
    // The PT_LOAD whose file bytes include the header table maps it; otherwise
    // fall back to Linux's historic first-segment-address + e_phoff.
    const holder = loads.find((p) => phoff >= p.offset && phoff - p.offset <= p.filesz - phBytes);
    phdrAddr = (holder ? holder.vaddr + (phoff - holder.offset) : first.vaddr - first.offset + phoff) + bias;
  }

  const segments = loads.map((p): LoadSegment => {
    const start = pageDown(p.vaddr);
    return {
      start: start + bias,
      end: pageUp(p.vaddr + p.memsz) + bias,
      fileOffset: p.offset - (p.vaddr - start),
      fileSize: p.filesz === 0 ? 0 : p.filesz + (p.vaddr - start),
      prot: protOf(p.flags),
    };
  });

  return {
    type: type === ET_EXEC ? 'exec' : 'dyn',
    bias,
    base: lo + bias,
    end: hi + bias,
    entry: eEntry + bias,
    phdr: phdrAddr,
    phent,
    phnum,
    segments,
    execStack,
    tls,
    brk: hi + bias,
    interpreter,
  };
}
