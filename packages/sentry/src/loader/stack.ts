// The initial process stack, byte for byte as Linux's create_elf_tables()
// builds it: the bytes to copy at [sp, top) and the register value for RSP.
import { E } from '../errno.js';

/** Auxiliary vector keys (include/uapi/linux/auxvec.h, asm/auxvec.h). */
export const AT = {
  NULL: 0,
  PHDR: 3,
  PHENT: 4,
  PHNUM: 5,
  PAGESZ: 6,
  BASE: 7,
  FLAGS: 8,
  ENTRY: 9,
  UID: 11,
  EUID: 12,
  GID: 13,
  EGID: 14,
  PLATFORM: 15,
  HWCAP: 16,
  CLKTCK: 17,
  SECURE: 23,
  RANDOM: 25,
  HWCAP2: 26,
  EXECFN: 31,
  SYSINFO_EHDR: 33,
  MINSIGSTKSZ: 51,
} as const;

/** Largest single argument or environment string, NUL included (Linux MAX_ARG_STRLEN). */
export const MAX_ARG_STRLEN = 32 * 4096;
/** Default room for argv + envp strings and pointers: 1/4 of an 8 MiB stack rlimit, as Linux. */
export const ARG_MAX = 2 * 1024 * 1024;

const PLATFORM = new TextEncoder().encode('x86_64\0');

export interface StackImage {
  /** From the executable's LoadPlan (never the interpreter's). */
  phdr: number;
  phent: number;
  phnum: number;
  entry: number;
}

export interface StackOptions {
  /** Exclusive top of the stack mapping; 16-byte aligned. */
  top: number;
  /** Argument strings without their NULs; an empty argv gets argv[0] = "" as in Linux >= 5.18. */
  argv: readonly Uint8Array[];
  envp: readonly Uint8Array[];
  /** The path execve() was given (AT_EXECFN). */
  execfn: Uint8Array;
  /** 16 bytes for AT_RANDOM (the stack protector and pointer guard seeds). */
  random: Uint8Array;
  image: StackImage;
  /** Interpreter load bias (AT_BASE); 0 for a static executable. */
  interpBase?: number;
  /** vDSO ELF header address (AT_SYSINFO_EHDR); omitted when absent. */
  vdso?: number;
  cred?: { uid: number; euid: number; gid: number; egid: number };
  secure?: boolean;
  /** CPUID.1:EDX as Linux reports it, and the HWCAP2 bits (bit 1: FSGSBASE usable). */
  hwcap?: number;
  hwcap2?: number;
  /** Smallest signal frame the kernel builds (AT_MINSIGSTKSZ). */
  minSigStkSz?: number;
  /** Bytes allowed for argv + envp strings and pointers (default ARG_MAX). */
  argLimit?: number;
}

export interface InitialStack {
  /** Initial RSP: 16-byte aligned, pointing at argc. */
  sp: number;
  /** Contents of [sp, top). */
  bytes: Uint8Array;
  /** Guest ranges of the argument and environment strings (for /proc/pid/cmdline, environ). */
  argStart: number;
  argEnd: number;
  envStart: number;
  envEnd: number;
  /** The auxiliary vector as written, AT_NULL excluded (for /proc/pid/auxv and getauxval). */
  auxv: Array<[number, number]>;
}

/** Builds the initial stack, or -E2BIG when the strings exceed Linux's limits (-EINVAL for a bad top or random). */
export function buildInitialStack(o: StackOptions): InitialStack | number {
  if (!Number.isSafeInteger(o.top) || o.top % 16 !== 0 || o.random.length !== 16) return -E.EINVAL;
  const argv = o.argv.length === 0 ? [new Uint8Array(0)] : o.argv;
  const limit = o.argLimit ?? ARG_MAX;
  const ptrBytes = (argv.length + o.envp.length) * 8;
  if (ptrBytes >= limit) return -E.E2BIG;
  let strBytes = 0;
  for (const s of [...argv, ...o.envp, o.execfn]) {
    if (s.length + 1 > MAX_ARG_STRLEN) return -E.E2BIG;
    strBytes += s.length + 1;
  }
  if (strBytes > limit - ptrBytes) return -E.E2BIG;

  // Strings, from the top down: a NULL word, execfn, envp, argv (each list in
  // ascending order). Then platform and random bytes below a 16-byte boundary.
  let p = o.top - 8;
  const placed: Array<[number, Uint8Array]> = [];
  const put = (s: Uint8Array): number => {
    p -= s.length + 1;
    placed.push([p, s]);
    return p;
  };
  const putAll = (list: readonly Uint8Array[]): number[] => {
    const addrs = new Array<number>(list.length);
    for (let i = list.length - 1; i >= 0; i--) addrs[i] = put(list[i]!);
    return addrs;
  };
  const execfnAddr = put(o.execfn);
  const envAddrs = putAll(o.envp);
  const argAddrs = putAll(argv);
  const argStart = p;
  p -= p % 16;
  p -= PLATFORM.length;
  const platformAddr = p;
  p -= 16;
  const randomAddr = p;

  const auxv: Array<[number, number]> = [];
  if (o.vdso !== undefined) auxv.push([AT.SYSINFO_EHDR, o.vdso]);
  auxv.push(
    [AT.MINSIGSTKSZ, o.minSigStkSz ?? 2048],
    [AT.HWCAP, o.hwcap ?? 0],
    [AT.PAGESZ, 4096],
    [AT.CLKTCK, 100],
    [AT.PHDR, o.image.phdr],
    [AT.PHENT, o.image.phent],
    [AT.PHNUM, o.image.phnum],
    [AT.BASE, o.interpBase ?? 0],
    [AT.FLAGS, 0],
    [AT.ENTRY, o.image.entry],
    [AT.UID, o.cred?.uid ?? 0],
    [AT.EUID, o.cred?.euid ?? 0],
    [AT.GID, o.cred?.gid ?? 0],
    [AT.EGID, o.cred?.egid ?? 0],
    [AT.SECURE, o.secure ? 1 : 0],
    [AT.RANDOM, randomAddr],
    [AT.HWCAP2, o.hwcap2 ?? 0],
    [AT.EXECFN, execfnAddr],
    [AT.PLATFORM, platformAddr],
  );
  const words = 1 + argv.length + 1 + o.envp.length + 1 + 2 * (auxv.length + 1);
  const raw = p - words * 8;
  const sp = raw - (raw % 16); // numbers, not `& ~15`: addresses exceed 32 bits
  if (sp <= 0) return -E.EINVAL;

  const bytes = new Uint8Array(o.top - sp);
  const view = new DataView(bytes.buffer);
  const at = (addr: number): number => addr - sp;
  for (const [addr, s] of placed) bytes.set(s, at(addr)); // NULs are already zero
  bytes.set(PLATFORM, at(platformAddr));
  bytes.set(o.random, at(randomAddr));
  let w = 0;
  const word = (v: number): void => {
    view.setBigUint64(w, BigInt(v), true);
    w += 8;
  };
  word(argv.length);
  for (const a of argAddrs) word(a);
  word(0);
  for (const a of envAddrs) word(a);
  word(0);
  for (const [k, v] of auxv) {
    word(k);
    word(v);
  }
  word(AT.NULL);
  word(0);

  return {
    sp,
    bytes,
    argStart,
    argEnd: envAddrs[0] ?? execfnAddr,
    envStart: envAddrs[0] ?? execfnAddr,
    envEnd: execfnAddr,
    auxv,
  };
}
