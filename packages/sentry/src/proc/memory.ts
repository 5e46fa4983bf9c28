// A process's memory figures for status, stat and statm, computed from what
// its memory manager exposes: the VMAs (as /proc/<pid>/maps lists them),
// the fault count and, once the memory manager counts them, resident pages.
// Linux's rules: data is private writable memory that is not stack; stack
// is grows-down mappings; exec_vm is executable memory that is neither
// writable nor stack, of which the program's text is "Exe" and the rest
// (the dynamic loader, libraries) "Lib".
//
// The program's text is told apart as the lowest executable mapping without
// a name (Linux places a program below the dynamic loader and libraries;
// [vdso] is named).
// Peaks (VmPeak, VmHWM) are the largest values /proc has seen: the memory
// manager keeps no high-water mark.
import { formatMaps, PROT_EXEC, PROT_WRITE, type Vma, VMA_GROWSDOWN, VMA_LOCKED, VMA_SHARED } from '../mm/index.js';

const PAGE = 4096;

/** What /proc reads of a task's memory manager (MemoryManager has all of it; a test double may have some). */
export interface MemorySource {
  /** The VMAs in address order. */
  readonly vmas?: readonly Vma[];
  /** Page faults resolved. */
  readonly stats?: { readonly faults: number };
  /** Pages resident now, when the memory manager counts them. */
  readonly residentPages?: number;
}

/** Sizes in bytes, as status prints them in kB and statm in pages. */
export interface MemoryFigures {
  size: number;
  peak: number;
  locked: number;
  rss: number;
  rssPeak: number;
  data: number;
  stack: number;
  exe: number;
  lib: number;
  /** The program's text [start, end), 0 and 0 when it cannot be told (stat's startcode and endcode). */
  codeStart: number;
  codeEnd: number;
  faults: number;
}

/** Largest size and resident set seen per memory manager (a new image after exec starts afresh, as on Linux). */
const peaks = new WeakMap<object, { size: number; rss: number }>();

export function memoryFigures(mm: MemorySource): MemoryFigures {
  let size = 0;
  let locked = 0;
  let data = 0;
  let stack = 0;
  let execVm = 0;
  let text: Vma | undefined;
  for (const v of mm.vmas ?? []) {
    const len = v.end - v.start;
    size += len;
    if ((v.flags & VMA_LOCKED) !== 0) locked += len;
    const writable = (v.prot & PROT_WRITE) !== 0;
    const grows = (v.flags & VMA_GROWSDOWN) !== 0;
    if (grows) stack += len;
    else if (writable && (v.flags & VMA_SHARED) === 0) data += len;
    if ((v.prot & PROT_EXEC) !== 0 && !writable && !grows) {
      execVm += len;
      if (text === undefined && v.name === '') text = v;
    }
  }
  const rss = (mm.residentPages ?? 0) * PAGE;
  const seen = peaks.get(mm) ?? { size: 0, rss: 0 };
  seen.size = Math.max(seen.size, size);
  seen.rss = Math.max(seen.rss, rss);
  peaks.set(mm, seen);
  const exe = text === undefined ? 0 : text.end - text.start;
  return {
    size,
    peak: seen.size,
    locked,
    rss,
    rssPeak: seen.rss,
    data,
    stack,
    exe,
    lib: execVm - exe,
    codeStart: text?.start ?? 0,
    codeEnd: text?.end ?? 0,
    faults: mm.stats?.faults ?? 0,
  };
}

/** /proc/<pid>/maps. */
export function mapsText(mm: MemorySource): string {
  return formatMaps(mm.vmas ?? []);
}
