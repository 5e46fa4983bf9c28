// --strace: each system call printed as strace prints it — name, decoded
// arguments, result or errno name. Strings and buffers are read from guest
// memory with the same checked copies the handlers use; a bad pointer prints
// as its address.
import { errnoName } from '../errno.js';
import { type ArgKind, type RetKind, SyscallTable } from './syscall-table.js';
import type { SyscallArgs } from './args.js';
import { restartName } from './restart.js';
import type { UserMemory } from './usercopy.js';

const SHOW_BYTES = 32;
const AT_FDCWD = -100;

const OFLAGS: [number, string][] = [
  [0o100, 'O_CREAT'],
  [0o200, 'O_EXCL'],
  [0o400, 'O_NOCTTY'],
  [0o1000, 'O_TRUNC'],
  [0o2000, 'O_APPEND'],
  [0o4000, 'O_NONBLOCK'],
  [0o10000, 'O_DSYNC'],
  [0o200000, 'O_DIRECTORY'],
  [0o400000, 'O_NOFOLLOW'],
  [0o2000000, 'O_CLOEXEC'],
  [0o10000000, 'O_PATH'],
];
const PROT: [number, string][] = [
  [1, 'PROT_READ'],
  [2, 'PROT_WRITE'],
  [4, 'PROT_EXEC'],
];
const MAPFLAGS: [number, string][] = [
  [0x01, 'MAP_SHARED'],
  [0x02, 'MAP_PRIVATE'],
  [0x10, 'MAP_FIXED'],
  [0x20, 'MAP_ANONYMOUS'],
  [0x100, 'MAP_GROWSDOWN'],
  [0x4000, 'MAP_NORESERVE'],
  [0x8000, 'MAP_POPULATE'],
  [0x20000, 'MAP_STACK'],
  [0x100000, 'MAP_FIXED_NOREPLACE'],
];
const CLOCKS = [
  'CLOCK_REALTIME',
  'CLOCK_MONOTONIC',
  'CLOCK_PROCESS_CPUTIME_ID',
  'CLOCK_THREAD_CPUTIME_ID',
  'CLOCK_MONOTONIC_RAW',
  'CLOCK_REALTIME_COARSE',
  'CLOCK_MONOTONIC_COARSE',
  'CLOCK_BOOTTIME',
];
const WHENCE = ['SEEK_SET', 'SEEK_CUR', 'SEEK_END', 'SEEK_DATA', 'SEEK_HOLE'];

function flags(v: number, names: [number, string][], zero: string): string {
  const out: string[] = [];
  let rest = v >>> 0;
  for (const [bit, name] of names) {
    if ((rest & bit) === bit) {
      out.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (rest !== 0) out.push(`0x${rest.toString(16)}`);
  return out.length > 0 ? out.join('|') : zero;
}

/** Printable form of guest bytes, C-escaped, truncated like strace. */
export function quote(bytes: Uint8Array, total = bytes.length): string {
  let s = '"';
  for (const b of bytes.subarray(0, SHOW_BYTES)) {
    if (b === 0x22 || b === 0x5c) s += `\\${String.fromCharCode(b)}`;
    else if (b === 0x0a) s += '\\n';
    else if (b === 0x09) s += '\\t';
    else if (b >= 0x20 && b < 0x7f) s += String.fromCharCode(b);
    else s += `\\${b.toString(8)}`;
  }
  return `${s}"${total > SHOW_BYTES ? '...' : ''}`;
}

function hex(a: SyscallArgs, i: number): string {
  return `0x${((BigInt(a.hi(i)) << 32n) | BigInt(a.uint(i))).toString(16)}`;
}

function pointer(a: SyscallArgs, i: number): string {
  return a.u64(i) === 0 ? 'NULL' : hex(a, i);
}

function bytesAt(mem: UserMemory, addr: number, len: number): string {
  if (addr <= 0) return addr === 0 ? 'NULL' : '(bad address)';
  const n = Math.max(0, Math.min(len, SHOW_BYTES));
  const buf = new Uint8Array(n);
  return mem.copyIn(addr, buf) < 0 ? `0x${addr.toString(16)}` : quote(buf, len);
}

function arg(kind: ArgKind, a: SyscallArgs, i: number, mem: UserMemory, result: number | undefined): string {
  switch (kind) {
    case 'int':
    case 'fd':
      return String(a.int(i));
    case 'dirfd':
      return a.int(i) === AT_FDCWD ? 'AT_FDCWD' : String(a.int(i));
    case 'uint':
      return String(a.uint(i));
    case 'size':
      return String(a.size(i));
    case 'off':
      return String(a.i64(i));
    case 'hex':
      return hex(a, i);
    case 'ptr':
      return pointer(a, i);
    case 'path': {
      const p = a.ptr(i);
      if (p <= 0) return pointer(a, i);
      const s = mem.readCString(p, 4096);
      return typeof s === 'number' ? hex(a, i) : quote(s);
    }
    case 'inbuf':
      return bytesAt(mem, a.ptr(i), a.size(i + 1));
    case 'outbuf':
      return result !== undefined && result >= 0 ? bytesAt(mem, a.ptr(i), result) : pointer(a, i);
    case 'oflags': {
      const v = a.uint(i);
      const acc = ['O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_ACCMODE'][v & 3]!;
      const rest = flags(v & ~3, OFLAGS, '');
      return rest ? `${acc}|${rest}` : acc;
    }
    case 'mode':
      return `0${a.uint(i).toString(8)}`;
    case 'prot':
      return flags(a.uint(i), PROT, 'PROT_NONE');
    case 'mapflags':
      return flags(a.uint(i), MAPFLAGS, '0');
    case 'signal':
      return String(a.int(i));
    case 'clock':
      return CLOCKS[a.int(i)] ?? String(a.int(i));
    case 'whence':
      return WHENCE[a.int(i)] ?? String(a.int(i));
    case 'atflags':
      return hex(a, i);
  }
}

/** The call part: `openat(AT_FDCWD, "/etc/passwd", O_RDONLY)`. Output buffers need the result. */
export function formatCall(nr: number, kinds: readonly ArgKind[] | undefined, a: SyscallArgs, mem: UserMemory, result?: number): string {
  const name = SyscallTable.nameOf(nr);
  if (kinds === undefined) return `${name}(${[0, 1, 2, 3, 4, 5].map((i) => hex(a, i)).join(', ')})`;
  return `${name}(${kinds.map((k, i) => arg(k, a, i, mem, result)).join(', ')})`;
}

/** The result part: `= 3`, `= 0x7f00...`, `= -1 ENOENT`. */
export function formatResult(result: number, kind: RetKind): string {
  const restart = restartName(result);
  if (restart !== undefined) return `= ? ${restart}`;
  if (result < 0 && result >= -4095) return `= -1 ${errnoName(result)}`;
  if (kind === 'void') return '= ?';
  if (kind === 'hex' || kind === 'ptr') return `= 0x${result.toString(16)}`;
  return `= ${result}`;
}
