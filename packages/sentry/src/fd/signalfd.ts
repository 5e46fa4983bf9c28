// signalfd: pending signals read through a descriptor (Linux fs/signalfd.c).
//
// A read takes pending signals of the descriptor's mask from the reading
// thread and its process (the thread's own first, as dequeue_signal), as
// many 128-byte struct signalfd_siginfo as fit (EINVAL below 128 bytes);
// with none it would block (EAGAIN, stream.ts protocol) and only the first
// waits. Readiness: POLLIN while a signal of the mask is pending for the
// reader. Who the reader is (Linux: `current`) is the `reader` function's
// answer: the syscall layer decides it. Every signal queued to a task
// whose handlers the reader uses notifies the watchers (Linux's
// sighand->signalfd_wqh), so a parked reader wakes and looks again.
//
// SIGKILL and SIGSTOP are never in the mask. Memory: each signalfd is
// charged SIGNALFD_COST to the sandbox's account.
import { E } from '../errno.js';
import { encodeSigInfo, SIGINFO_SIZE } from '../kernel/signal-frame.js';
import type { SigInfo } from '../kernel/signals.js';
import type { MemoryAccount } from '../mm/account.js';
import { O_RDWR } from '../vfs/index.js';
import { AnonStream } from './anon.js';
import { POLLIN, type Watchers } from './readiness.js';

/** Host bytes charged per signalfd: its mask, description and table slot. */
export const SIGNALFD_COST = 256;
/** sizeof(struct signalfd_siginfo). */
export const SIGNALFD_SIGINFO_SIZE = 128;
/** SIGKILL and SIGSTOP: never taken through a signalfd. */
const UNBLOCKABLE_LO = ((1 << 8) | (1 << 18)) >>> 0;

/** The signal state a signalfd reads (a task's SignalState). */
export interface SignalSource {
  /** Signals pending for the thread or its process (bit sig-1). */
  readonly pendingLo: number;
  readonly pendingHi: number;
  /** Takes the next pending signal not in `notLo/notHi`. */
  dequeue(notLo: number, notHi: number): SigInfo | undefined;
  /** Whose watchers hear of every queued signal. */
  readonly handlers: { readonly queued: Watchers };
}

export class SignalFd extends AnonStream {
  readonly anonName = '[signalfd]';
  #lo = 0;
  #hi = 0;
  readonly #reader: () => SignalSource;
  readonly #account: MemoryAccount | null;

  constructor(lo: number, hi: number, flags: number, reader: () => SignalSource, account: MemoryAccount | null) {
    super(O_RDWR | flags);
    this.setMask(lo, hi);
    this.#reader = reader;
    this.#account = account;
  }

  /** signalfd on an existing descriptor: the new mask, SIGKILL and SIGSTOP left out. */
  setMask(lo: number, hi: number): void {
    this.#lo = (lo & ~UNBLOCKABLE_LO) >>> 0;
    this.#hi = hi >>> 0;
  }

  protected override readAt(buf: Uint8Array, len: number): number {
    const room = Math.floor(len / SIGNALFD_SIGINFO_SIZE);
    if (room === 0) return -E.EINVAL;
    const src = this.#reader();
    let n = 0;
    while (n < room) {
      const info = src.dequeue(~this.#lo >>> 0, ~this.#hi >>> 0);
      if (info === undefined) break;
      encodeSignalfdSiginfo(info, buf.subarray(n * SIGNALFD_SIGINFO_SIZE, (n + 1) * SIGNALFD_SIGINFO_SIZE));
      n++;
    }
    return n === 0 ? -E.EAGAIN : n * SIGNALFD_SIGINFO_SIZE;
  }

  override readiness(): number {
    const src = this.#reader();
    return ((src.pendingLo & this.#lo) | (src.pendingHi & this.#hi)) !== 0 ? POLLIN : 0;
  }

  override watch(onChange: () => void): () => void {
    return this.#reader().handlers.queued.add(onChange);
  }

  /** Linux's signalfd_show_fdinfo: the mask as 16 hex digits. */
  fdinfo(): string {
    return `sigmask:\t${this.#hi.toString(16).padStart(8, '0')}${this.#lo.toString(16).padStart(8, '0')}\n`;
  }

  protected override release(): void {
    this.#account?.uncharge(SIGNALFD_COST);
  }
}

/** A new signalfd; -ENOMEM when `account` cannot take SIGNALFD_COST more. */
export function newSignalFd(lo: number, hi: number, flags: number, reader: () => SignalSource, account?: MemoryAccount): SignalFd | number {
  if (account && !account.charge(SIGNALFD_COST)) return -E.ENOMEM;
  return new SignalFd(lo, hi, flags, reader, account ?? null);
}

const SIGILL = 4;
const SIGTRAP = 5;
const SIGBUS = 7;
const SIGFPE = 8;
const SIGSEGV = 11;
const SIGCHLD = 17;
const SIGPOLL = 29;
const SIGSYS = 31;
const SI_KERNEL = 0x80;
const SI_TIMER = -2;
const SI_SIGIO = -5;
/** The last si_code of SIGPOLL (POLL_HUP). */
const NSIGPOLL = 6;

type Layout = 'kill' | 'timer' | 'poll' | 'fault' | 'chld' | 'rt' | 'sys';

/** Which union member a siginfo carries (Linux's siginfo_layout). */
function layoutOf(sig: number, code: number): Layout {
  if (code > 0 && code < SI_KERNEL) {
    if (sig === SIGILL || sig === SIGFPE || sig === SIGSEGV || sig === SIGBUS || sig === SIGTRAP) return 'fault';
    if (sig === SIGCHLD) return 'chld';
    if (sig === SIGSYS) return 'sys';
    return sig === SIGPOLL || code <= NSIGPOLL ? 'poll' : 'kill';
  }
  if (code === SI_TIMER) return 'timer';
  if (code === SI_SIGIO) return 'poll';
  return code < 0 ? 'rt' : 'kill';
}

const raw = new DataView(new ArrayBuffer(SIGINFO_SIZE));

/**
 * struct signalfd_siginfo for `info` into `out` (128 bytes): signo, errno
 * and code, then the fields of its layout, as Linux's signalfd_copyinfo.
 */
export function encodeSignalfdSiginfo(info: SigInfo, out: Uint8Array): void {
  new Uint8Array(raw.buffer).fill(0);
  encodeSigInfo(info, raw);
  out.fill(0);
  const o = new DataView(out.buffer, out.byteOffset, SIGNALFD_SIGINFO_SIZE);
  o.setUint32(0, raw.getUint32(0, true), true); // ssi_signo
  o.setInt32(4, raw.getInt32(4, true), true); // ssi_errno
  o.setInt32(8, raw.getInt32(8, true), true); // ssi_code
  const u32 = (to: number, from: number) => o.setUint32(to, raw.getUint32(from, true), true);
  const u64 = (to: number, from: number) => o.setBigUint64(to, raw.getBigUint64(from, true), true);
  switch (layoutOf(info.signo, info.code)) {
    case 'kill':
      u32(12, 16); // ssi_pid
      u32(16, 20); // ssi_uid
      break;
    case 'timer':
      u32(24, 16); // ssi_tid
      u32(32, 20); // ssi_overrun
      u64(48, 24); // ssi_ptr
      u32(44, 24); // ssi_int
      break;
    case 'poll':
      u32(28, 16); // ssi_band
      u32(20, 24); // ssi_fd
      break;
    case 'fault':
      u64(72, 16); // ssi_addr
      break;
    case 'chld':
      u32(12, 16);
      u32(16, 20);
      u32(40, 24); // ssi_status
      u64(56, 32); // ssi_utime
      u64(64, 40); // ssi_stime
      break;
    case 'rt':
      u32(12, 16);
      u32(16, 20);
      u64(48, 24);
      u32(44, 24);
      break;
    case 'sys':
      u64(88, 16); // ssi_call_addr
      u32(84, 24); // ssi_syscall
      u32(96, 28); // ssi_arch
      break;
  }
}
