// Loading a program into a fresh process image: its segments, the dynamic
// loader its PT_INTERP names (at a base of its own, as Linux places it), the
// initial stack (argv, envp, auxv), the vDSO and the registers it starts
// with. Every failure is a negative errno (ENOEXEC for a bad ELF, ELIBBAD for
// a bad interpreter, E2BIG for oversized arguments, ENOMEM past the memory
// limit).
import { PROT_NONE, PROT_WRITE, Reg, type Platform, type Registers } from '@tsv/platform';
import { E } from '../errno.js';
import { hostRandom } from '../host-random.js';
import { buildInitialStack, loadElf, type LoadPlan } from '../loader/index.js';
import { MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, MemoryManager, type MemoryManagerOptions } from '../mm/index.js';
import { mappedFile } from '../syscalls/filemap.js';
import { release } from '../kernel/fdtable.js';
import type { ExecImageArgs, ExecFile, ImageLoader } from '../kernel/task-exec.js';
import type { MemoryAccount } from '../mm/index.js';
import { BASELINE_CPU, HWCAP2_FSGSBASE } from '../proc/cpu-flags.js';
import type { OpenedProgram } from './program.js';
import { VdsoPages } from './vdso-pages.js';

const PAGE = 4096;
/** What the initial stack mapping has below the arguments; it grows down on demand up to RLIMIT_STACK. */
const INITIAL_STACK = 128 << 10;
/** Bytes below the initial stack made resident with it: what a program's start-up uses before its first call deep enough to fault. */
const STACK_HEADROOM = 16 << 10;

const pageUp = (n: number) => Math.ceil(n / PAGE) * PAGE;

/**
 * Room for argv and envp (strings and pointers) under stack limit `stack`,
 * as Linux's bprm_stack_limits: a quarter of it, at most 6 MiB (3/4 of the
 * default 8 MiB) and at least 128 KiB.
 */
const argLimit = (stack: number): number => Math.max(Math.min(6 << 20, Math.floor(stack / 4)), 128 << 10);

export interface ExecImage {
  plan: LoadPlan;
  /** Where the vDSO is mapped (0 when there is none). */
  vdso: number;
}

/** Maps the program's segments (mapImage) and starts the program break after them. */
function mapSegments(mm: MemoryManager, program: OpenedProgram, plan: LoadPlan): number {
  const r = mapImage(mm, program, plan);
  if (r < 0) return r;
  mm.setBrk(plan.brk);
  return 0;
}

/**
 * Maps each segment as Linux's elf_map does: its file pages as a private
 * mapping of the file with the segment's protection (read-only pages share
 * the file's cached frames across processes and execs: mm/filecache.ts),
 * the rest as anonymous memory, and in a writable segment the bytes between
 * the end of its file part and the end of that page zeroed (padzero).
 */
function mapImage(mm: MemoryManager, program: OpenedProgram, plan: LoadPlan): number {
  const file = mappedFile(program.file);
  if (typeof file === 'number') return file;
  for (const seg of plan.segments) {
    const fileEnd = seg.start + seg.fileSize;
    const anonStart = pageUp(fileEnd);
    if (seg.fileSize > 0) {
      const r = mm.mmap(seg.start, seg.fileSize, seg.prot, MAP_PRIVATE | MAP_FIXED, file, seg.fileOffset);
      if (r < 0) return r;
      if (anonStart > fileEnd && (seg.prot & PROT_WRITE) !== 0) {
        const w = mm.copyOut(fileEnd, new Uint8Array(anonStart - fileEnd));
        if (w < 0) return w;
      }
    }
    if (seg.end > anonStart) {
      const a = mm.mmap(anonStart, seg.end - anonStart, seg.prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, null, 0);
      if (a < 0) return a;
    }
  }
  return 0;
}

/**
 * Opens the dynamic loader a PT_INTERP names, held for the caller, who
 * releases it (kernel/fdtable.ts: its mappings keep it open). Like execve,
 * resolved from the process's root whatever the working directory.
 */
export type InterpreterOpener = (path: string) => OpenedProgram | number;

/**
 * Maps the interpreter where a top-down mmap of its whole span would go
 * (Linux's placement of ld.so) and returns its plan. A broken interpreter is
 * ELIBBAD, as Linux's load_elf_binary reports it; one that itself names an
 * interpreter is refused the same way (Linux does not chain them).
 */
function mapInterpreter(mm: MemoryManager, open: InterpreterOpener, path: Uint8Array): LoadPlan | number {
  const interp = open(Buffer.from(path).toString('latin1'));
  if (typeof interp === 'number') return interp;
  try {
    const src = { pread: (b: Uint8Array, l: number, o: number) => interp.file.pread(b, l, o), size: interp.size };
    const probe = loadElf(src, { base: 0x1_0000 });
    if (typeof probe === 'number') return probe === -E.ENOEXEC ? -E.ELIBBAD : probe;
    if (probe.interpreter !== null || probe.type !== 'dyn') return -E.ELIBBAD;
    const span = probe.end - probe.base;
    // A placement probe: PROT_NONE, so nothing is populated only to be unmapped again.
    const hint = mm.mmap(0, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, null, 0);
    if (hint < 0) return hint;
    mm.munmap(hint, span);
    const plan = loadElf(src, { base: hint });
    if (typeof plan === 'number') return -E.ELIBBAD;
    const m = mapImage(mm, interp, plan);
    return m < 0 ? m : plan;
  } finally {
    release(interp.file); // the opener's reference (openExecutable): the mappings hold their own
  }
}

export type { ExecImageArgs as ExecArgs } from '../kernel/task-exec.js';

/**
 * Loads `program` into `mm` and sets `regs` to start it. Returns the image
 * description, or a negative errno.
 */
export function execProgram(
  mm: MemoryManager,
  platform: Platform,
  program: OpenedProgram,
  args: ExecImageArgs,
  regs: Registers,
  openInterpreter: InterpreterOpener,
  vdsoPages: VdsoPages,
): ExecImage | number {
  const plan = loadElf({ pread: (b, l, o) => program.file.pread(b, l, o), size: program.size });
  if (typeof plan === 'number') return plan;
  const m = mapSegments(mm, program, plan);
  if (m < 0) return m;
  const interp = plan.interpreter === null ? null : mapInterpreter(mm, openInterpreter, plan.interpreter);
  if (typeof interp === 'number') return interp;
  const vdso = vdsoPages.map(mm);
  if (vdso < 0) return vdso;
  const top = mm.stackTop;
  const random = new Uint8Array(16);
  hostRandom(random);
  const cpu = platform.guestCpu?.() ?? BASELINE_CPU;
  const stack = buildInitialStack({
    top,
    argv: args.argv,
    envp: args.env,
    execfn: new Uint8Array(Buffer.from(program.path)),
    random,
    image: { phdr: plan.phdr, phent: plan.phent, phnum: plan.phnum, entry: plan.entry },
    vdso: vdso > 0 ? vdso : undefined,
    interpBase: interp?.base,
    cred: { uid: args.uid, euid: args.uid, gid: args.gid, egid: args.gid },
    hwcap: cpu.cpuid(1)[3], // Linux's AT_HWCAP: CPUID.1:EDX
    hwcap2: cpu.fsgsbase ? HWCAP2_FSGSBASE : 0,
    argLimit: argLimit(args.stackLimit),
  });
  if (typeof stack === 'number') return stack;
  // Linux's setup_arg_pages: the arguments' pages and 128 KiB more, within the stack limit.
  const used = pageUp(top - stack.sp);
  const size = Math.max(used, Math.min(used + INITIAL_STACK, Math.floor(args.stackLimit / PAGE) * PAGE));
  const s = mm.mapStack(top, size, Math.min(size, top - stack.sp + STACK_HEADROOM));
  if (s < 0) return s;
  const w = mm.copyOut(stack.sp, stack.bytes);
  if (w < 0) return w;
  for (let r = 0; r < 27; r++) regs.set(r, 0);
  regs.set(Reg.rip, interp?.entry ?? plan.entry);
  regs.set(Reg.rsp, stack.sp);
  regs.set(Reg.eflags, 0x202);
  regs.set(Reg.cs, 0x33);
  regs.set(Reg.ss, 0x2b);
  return { plan, vdso };
}

/**
 * The kernel's ImageLoader: each execve builds its image in a fresh memory
 * manager on `platform`, charged to the sandbox's `account`, with the
 * sandbox's one set of vDSO pages.
 */
export function elfLoader(
  platform: Platform,
  account: MemoryAccount,
  options: Omit<MemoryManagerOptions, 'memory' | 'addressSpace'> = {},
): ImageLoader {
  const vdso = new VdsoPages(platform.guestTsc === undefined ? undefined : () => platform.guestTsc!());
  return {
    load(file: ExecFile, args: ExecImageArgs, regs: Registers, openInterpreter: InterpreterOpener) {
      const mm = MemoryManager.forPlatform(platform, { ...options, account, stackLimit: args.stackLimit });
      const image = execProgram(mm, platform, file, args, regs, openInterpreter, vdso);
      if (typeof image === 'number') {
        mm.release();
        return image;
      }
      return mm;
    },
  };
}
