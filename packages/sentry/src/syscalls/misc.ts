// getrandom and prctl: small calls C runtimes make at start-up (malloc's
// tcache seed, thread names, "no new privileges").
import { E } from '../errno.js';
import { hostRandom } from '../host-random.js';
import type { SyscallArgs } from '../kernel/args.js';
import { NSIG } from '../kernel/signals.js';
import type { Task } from '../kernel/task.js';
import { writeU32, writeU64 } from './structs.js';
import type { SyscallSpec } from '../kernel/syscall-table.js';

export const GRND_NONBLOCK = 1;
export const GRND_RANDOM = 2;
export const GRND_INSECURE = 4;
/** The most getrandom returns per call; a shorter count is allowed, and callers loop. */
export const GETRANDOM_MAX = 32 << 20;
const CHUNK = 64 << 10;
const PAGE = 4096;

/**
 * Fills [buf, buf + len) with random bytes as Linux does: chunk by chunk,
 * stopping at the first page it cannot write. Returns the bytes written, or
 * -EFAULT when not even the first could be.
 */
function fillRandom(t: Task, buf: number, len: number): number {
  const scratch = new Uint8Array(Math.min(len, CHUNK));
  let done = 0;
  while (done < len) {
    const n = Math.min(CHUNK, len - done);
    const chunk = hostRandom(scratch.subarray(0, n));
    if (t.mm.copyOut(buf + done, chunk) < 0) {
      // Find how far the writable part reaches, page by page.
      let ok = 0;
      while (ok < n) {
        const step = Math.min(PAGE - ((buf + done + ok) % PAGE), n - ok);
        if (t.mm.copyOut(buf + done + ok, chunk.subarray(ok, ok + step)) < 0) break;
        ok += step;
      }
      done += ok;
      return done === 0 ? -E.EFAULT : done;
    }
    done += n;
  }
  return done;
}

function getrandom(t: Task, a: SyscallArgs): number {
  const flags = a.uint(2);
  if ((flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) !== 0) return -E.EINVAL;
  if ((flags & (GRND_RANDOM | GRND_INSECURE)) === (GRND_RANDOM | GRND_INSECURE)) return -E.EINVAL;
  const len = Math.min(a.size(1), GETRANDOM_MAX);
  if (len === 0) return 0;
  const buf = a.ptr(0);
  if (buf <= 0) return -E.EFAULT;
  return fillRandom(t, buf, len);
}

export const PR_SET_PDEATHSIG = 1;
export const PR_GET_PDEATHSIG = 2;
export const PR_GET_DUMPABLE = 3;
export const PR_SET_DUMPABLE = 4;
export const PR_GET_KEEPCAPS = 7;
export const PR_SET_KEEPCAPS = 8;
export const PR_SET_NAME = 15;
export const PR_GET_NAME = 16;
export const PR_GET_SECCOMP = 21;
export const PR_CAPBSET_READ = 23;
export const PR_GET_TIMERSLACK = 30;
export const PR_SET_TIMERSLACK = 29;
export const PR_SET_CHILD_SUBREAPER = 36;
export const PR_GET_CHILD_SUBREAPER = 37;
export const PR_SET_NO_NEW_PRIVS = 38;
export const PR_GET_NO_NEW_PRIVS = 39;
export const PR_GET_TID_ADDRESS = 40;
export const PR_SET_THP_DISABLE = 41;
export const PR_GET_THP_DISABLE = 42;
/** TASK_COMM_LEN: comm holds 15 bytes and a NUL. */
export const TASK_COMM_LEN = 16;
/** CAP_LAST_CAP of Linux 6.x (CAP_CHECKPOINT_RESTORE). */
const CAP_LAST_CAP = 40;
/** The default timer slack, ns. */
const TIMER_SLACK_NS = 50_000;

interface PrctlState {
  dumpable: number;
  keepCaps: number;
  noNewPrivs: number;
  thpDisable: number;
  timerSlack: number;
}

const states = new WeakMap<Task, PrctlState>();

function stateOf(t: Task): PrctlState {
  let s = states.get(t);
  if (s === undefined) {
    s = { dumpable: 1, keepCaps: 0, noNewPrivs: 0, thpDisable: 0, timerSlack: TIMER_SLACK_NS };
    states.set(t, s);
  }
  return s;
}

/** PR_SET_NAME: up to 15 bytes, stopping at a NUL; bytes past a fault are not needed. */
function setName(t: Task, addr: number): number {
  if (addr <= 0) return -E.EFAULT;
  const name = new Uint8Array(TASK_COMM_LEN - 1);
  const one = new Uint8Array(1);
  let len = 0;
  for (; len < name.length; len++) {
    if (t.mm.copyIn(addr + len, one) < 0) return -E.EFAULT;
    if (one[0] === 0) break;
    name[len] = one[0]!;
  }
  t.comm = new TextDecoder('latin1').decode(name.subarray(0, len));
  return 0;
}

function getName(t: Task, addr: number): number {
  const out = new Uint8Array(TASK_COMM_LEN);
  const bytes = Uint8Array.from(t.comm, (c) => c.charCodeAt(0) & 0xff);
  out.set(bytes.subarray(0, TASK_COMM_LEN - 1));
  return addr <= 0 || t.mm.copyOut(addr, out) < 0 ? -E.EFAULT : 0;
}

/** A 0-or-1 setting: stores it, or -EINVAL for anything else. */
function setFlag(s: PrctlState, key: 'dumpable' | 'keepCaps' | 'thpDisable', v: number): number {
  if (v !== 0 && v !== 1) return -E.EINVAL;
  s[key] = v;
  return 0;
}

function prctl(t: Task, a: SyscallArgs): number {
  const s = stateOf(t);
  const arg2 = a.u64(1);
  const restZero = a.u64(2) === 0 && a.u64(3) === 0 && a.u64(4) === 0;
  switch (a.int(0)) {
    case PR_SET_PDEATHSIG:
      if (arg2 > NSIG) return -E.EINVAL;
      t.pdeathSignal = arg2;
      return 0;
    case PR_GET_PDEATHSIG:
      return writeU32(t.mm, a.ptr(1), t.pdeathSignal);
    case PR_GET_DUMPABLE:
      return s.dumpable;
    case PR_SET_DUMPABLE:
      return setFlag(s, 'dumpable', arg2);
    case PR_GET_KEEPCAPS:
      return s.keepCaps;
    case PR_SET_KEEPCAPS:
      return setFlag(s, 'keepCaps', arg2);
    case PR_SET_NAME:
      return setName(t, a.ptr(1));
    case PR_GET_NAME:
      return getName(t, a.ptr(1));
    case PR_GET_SECCOMP:
      return 0;
    case PR_CAPBSET_READ:
      return arg2 <= CAP_LAST_CAP ? 1 : -E.EINVAL;
    case PR_SET_TIMERSLACK:
      s.timerSlack = arg2 === 0 ? TIMER_SLACK_NS : arg2;
      return 0;
    case PR_GET_TIMERSLACK:
      return s.timerSlack;
    case PR_SET_CHILD_SUBREAPER:
      t.group.subreaper = arg2 !== 0;
      return 0;
    case PR_GET_CHILD_SUBREAPER:
      return writeU32(t.mm, a.ptr(1), t.group.subreaper ? 1 : 0);
    case PR_SET_NO_NEW_PRIVS:
      if (arg2 !== 1 || !restZero) return -E.EINVAL;
      s.noNewPrivs = 1;
      return 0;
    case PR_GET_NO_NEW_PRIVS:
      return arg2 !== 0 || !restZero ? -E.EINVAL : s.noNewPrivs;
    case PR_GET_TID_ADDRESS:
      return writeU64(t.mm, a.ptr(1), t.clearChildTid);
    case PR_SET_THP_DISABLE:
      return restZero ? setFlag(s, 'thpDisable', arg2 === 0 ? 0 : 1) : -E.EINVAL;
    case PR_GET_THP_DISABLE:
      return arg2 !== 0 || !restZero ? -E.EINVAL : s.thpDisable;
    // PR_SET_VMA (anonymous VMA names), seccomp, capabilities beyond reading: not offered.
    default:
      return -E.EINVAL;
  }
}

export const MISC_SYSCALLS: readonly SyscallSpec[] = [
  ['getrandom', ['outbuf', 'size', 'hex'], getrandom],
  ['prctl', ['int', 'hex', 'hex', 'hex', 'hex'], prctl],
];
