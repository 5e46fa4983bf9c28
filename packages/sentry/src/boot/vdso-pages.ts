// The [vvar] and [vdso] pages of a sandbox's processes. Each exec maps them
// as read-only private mappings of two in-memory files, so their frames come
// from the page cache (mm/filecache.ts): written once, shared by every
// process and charged once, where building them per exec cost two frames,
// their copies and a TSC read each time. The cache drops a file's pages
// when its last mapping goes unless someone holds them: this does, for the
// files new processes map. A process that makes them writable
// and stores gets its own copy (Linux lets a debugger patch its vDSO), and
// MADV_DONTNEED gives the pages back as they were.
//
// The vvar page is a sample of the TSC and the clocks that the vDSO
// extrapolates from. A sample older than VVAR_MAX_AGE_MS is replaced for the
// execs that follow, by a new file: a running process keeps the sample it
// started with, so its clocks never jump, and a new one starts at most that
// old a sample, so its clocks stay as close to the host's as a process's own
// sample did before.
import { PROT_EXEC, PROT_READ } from '@tsv/platform';
import { loadVdso, VVAR_DEFAULT_CLOCKS, VVAR_SIZE, writeVvar } from '../loader/index.js';
import { type FilePages, MAP_ANONYMOUS, MAP_PRIVATE, type MappedFile, type MemoryManager, PROT_NONE } from '../mm/index.js';

const PAGE = 4096;
/** How old a vvar sample new processes are given at most. */
export const VVAR_MAX_AGE_MS = 1000;

/** A read-only in-memory file of `bytes`, named as /proc/<pid>/maps shows its mapping. */
function memoryFile(name: string, bytes: Uint8Array): MappedFile {
  return {
    name,
    writable: false,
    size: () => bytes.length,
    pread(buf, len, offset) {
      const n = Math.max(0, Math.min(len, bytes.length - offset));
      buf.set(bytes.subarray(offset, offset + n));
      return n;
    },
  };
}

/** A simultaneous reading of the guest's TSC and its rate (Platform.guestTsc). */
export type TscSampler = () => { tsc: bigint; tscKhz: number };

export class VdsoPages {
  readonly #guestTsc: TscSampler | undefined;
  #vdso: MappedFile | undefined;
  #vdsoLength = 0;
  #vvar: MappedFile | undefined;
  #sampledAt = 0;
  /** The cached pages of the vvar and vDSO files new processes map, held (one reference each) while they are. */
  readonly #held: (FilePages | undefined)[] = [undefined, undefined];

  /** `guestTsc`: the platform's; without one the guest has no usable TSC, and no vDSO. */
  constructor(guestTsc: TscSampler | undefined) {
    this.#guestTsc = guestTsc;
  }

  /** Maps [vvar][vDSO] into `mm`; the vDSO's address, 0 without a TSC to sample, or -errno. */
  map(mm: MemoryManager): number {
    if (this.#guestTsc === undefined) return 0;
    const vdso = this.#image();
    const vvar = this.#sample();
    const len = VVAR_SIZE + this.#vdsoLength;
    // A placement probe: PROT_NONE, so nothing is populated only to be unmapped again.
    const base = mm.mmap(0, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, null, 0);
    if (base < 0) return base;
    mm.munmap(base, len);
    this.#hold(0, mm.cachedPages(vvar));
    this.#hold(1, mm.cachedPages(vdso));
    const v = mm.mapSpecial(base, vvar, VVAR_SIZE, PROT_READ, '[vvar]');
    if (v < 0) return v;
    return mm.mapSpecial(base + VVAR_SIZE, vdso, this.#vdsoLength, PROT_READ | PROT_EXEC, '[vdso]');
  }

  /** Holds `fp` in slot `i` instead of what the slot held, which the cache may then drop with its last mapping. */
  #hold(i: number, fp: FilePages): void {
    const old = this.#held[i];
    if (fp === old) return;
    fp.ref(null);
    this.#held[i] = fp;
    old?.unref(null);
  }

  #image(): MappedFile {
    if (this.#vdso === undefined) {
      const image = loadVdso();
      this.#vdso = memoryFile('[vdso]', image.bytes);
      this.#vdsoLength = image.pages * PAGE;
    }
    return this.#vdso;
  }

  /** The vvar file new processes map: the current sample, or a new one when it is VVAR_MAX_AGE_MS old. */
  #sample(): MappedFile {
    const now = performance.now();
    if (this.#vvar !== undefined && now - this.#sampledAt < VVAR_MAX_AGE_MS) return this.#vvar;
    const sample = this.#guestTsc!();
    const page = new Uint8Array(VVAR_SIZE);
    const mono = process.hrtime.bigint();
    writeVvar(new DataView(page.buffer), 0, {
      tscKhz: sample.tscKhz,
      tsc: sample.tsc,
      realtimeNs: BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6)),
      monotonicNs: mono,
      boottimeNs: mono,
      clocks: VVAR_DEFAULT_CLOCKS,
    });
    this.#vvar = memoryFile('[vvar]', page);
    this.#sampledAt = now;
    return this.#vvar;
  }
}
