// Guest output to the runner's own descriptors (tsv run's stdout and
// stderr) without ever blocking the Node thread: a pipe whose reader stops
// reading must stall the writing guest, not the process and every other
// sandbox in it.
//
// A write is first tried at once, without blocking, on a description of
// our own: a host pipe or terminal is reopened through /proc/self/fd with
// O_NONBLOCK, which changes nothing for the other processes sharing the
// caller's description; a regular file or a device that does not block is
// written as it is. When the host takes everything (the usual case) the
// bytes are there before the write system call returns, as before. What it
// cannot take yet is copied and handed to an asynchronous writer — libuv's
// event loop for a pipe, its thread pool otherwise — and the write counts
// as done, as bytes left in a pipe buffer do. Until that writer finishes,
// every output of the group answers -EAGAIN, so a blocking guest write
// parks (the protocol of stream.ts) and at most one write's bytes wait in
// the host at a time; one writer at a time for stdout and stderr keeps
// them in the order the guest wrote them. The run drains the group before
// it reports the exit, so output written just before exiting is kept.
//
// When the program ends, killed or not, the group is ended: later writes
// fail, drain() no longer waits (a reader that never reads cannot hold the
// end of the run), and what still waits goes on to the host -- it was
// written, as bytes in a pipe buffer outlive their writer -- until it is
// taken or the reader goes; our descriptors are released after it. So a
// process whose stdout reader stops reading lives until it reads again, as
// it would with those bytes in Node's own process.stdout.
//
// An asynchronous write that fails (EPIPE: the reader has gone) is
// reported by the output's next write, as Linux reports a writeback error.
// A host socket cannot be reopened: it is written from the thread pool
// only, and a socket or terminal that stops reading holds one pool thread
// until it reads again (the sandbox still ends when killed).
import { closeSync, constants, fstatSync, openSync, type Stats, write, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { isatty } from 'node:tty';
import { E, hostErrno } from '../errno.js';

/** How long to wait before trying again a descriptor that was not writable (a non-blocking one in the thread pool). */
const RETRY_MS = 10;

/** The outputs of one sandbox: one asynchronous write at a time among them. */
export class HostOutputs {
  readonly #outputs: HostOutput[] = [];
  #busy = false;
  #ended = false;
  #watchers = new Set<() => void>();
  #idle: (() => void)[] = [];

  /** A writer to host descriptor `fd`, which stays the caller's. */
  open(fd: number): HostOutput {
    const o = new HostOutput(this, fd);
    this.#outputs.push(o);
    return o;
  }

  /** Nothing is still on its way to the host: a write may start. */
  get ready(): boolean {
    return !this.#busy;
  }

  /** The program has ended: nothing more is taken. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Calls `onChange` once, when the group is next ready; the result forgets it. */
  watch(onChange: () => void): () => void {
    const once = (): void => onChange();
    this.#watchers.add(once);
    return () => this.#watchers.delete(once);
  }

  /** Resolves when everything written so far has reached the host or failed, or at end(). */
  drain(): Promise<void> {
    return this.#busy ? new Promise((resolve) => this.#idle.push(resolve)) : Promise.resolve();
  }

  /**
   * The program has ended: later writes fail with EIO and drain() resolves
   * now; what still waits goes on to the host, then each output releases
   * the descriptor of our own (at once when nothing waits).
   */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (!this.#busy) for (const o of this.#outputs) o.release();
    this.#settle();
  }

  /** For HostOutput: runs `start`, the group being busy until it calls `done`. */
  hold(start: (done: () => void) => void): void {
    this.#busy = true;
    start(() => {
      if (!this.#ended) {
        this.#settle();
        return;
      }
      this.#busy = false;
      for (const o of this.#outputs) o.release();
    });
  }

  #settle(): void {
    this.#busy = false;
    const watchers = this.#watchers;
    const idle = this.#idle;
    this.#watchers = new Set();
    this.#idle = [];
    for (const w of watchers) w();
    for (const resolve of idle) resolve();
  }
}

/** One host descriptor, written without blocking (see the top of this file). */
export class HostOutput {
  readonly #group: HostOutputs;
  /** The caller's descriptor. */
  readonly #fd: number;
  /** Where a write is tried at once: a reopened non-blocking description, the caller's descriptor, or -1 (a socket). */
  #now = -1;
  /** `#now` is ours to close. */
  #own = false;
  /** A pipe: waits for room through libuv (a Socket over `#now`, made at the first wait). */
  #pipe = false;
  #socket: Socket | null = null;
  /** A failed asynchronous write, or fstat's error: what the next write returns. */
  #error = 0;

  constructor(group: HostOutputs, fd: number) {
    this.#group = group;
    this.#fd = fd;
    let st: Stats;
    try {
      st = fstatSync(fd);
    } catch (e) {
      this.#error = hostErrno(e);
      return;
    }
    if (st.isFIFO() || isatty(fd)) {
      const own = reopenNonBlocking(fd);
      if (own >= 0) {
        this.#now = own;
        this.#own = true;
        this.#pipe = st.isFIFO();
      }
    } else if (!st.isSocket()) {
      this.#now = fd; // a regular file, or a device that does not block
    }
  }

  /** A write would not wait: the group is ready, or an error is waiting to be reported. */
  get ready(): boolean {
    return this.#error !== 0 || this.#group.ready;
  }

  watch(onChange: () => void): () => void {
    return this.#group.watch(onChange);
  }

  /** Writes `len` bytes of `buf`: len (all taken, some maybe still on their way), -EAGAIN (the group is busy) or -errno. */
  write(buf: Uint8Array, len: number): number {
    if (this.#group.ended) return -E.EIO;
    if (this.#error !== 0) return this.#error;
    if (!this.#group.ready) return -E.EAGAIN;
    let n = 0;
    if (this.#now >= 0) {
      n = tryWrite(this.#now, buf, len);
      if (n === len) return len;
      if (n === -E.EAGAIN) n = 0;
      else if (n < 0) return n;
    }
    const rest = buf.slice(n, len); // the caller reuses its buffer
    this.#group.hold((done) => this.#writeLater(rest, done));
    return len;
  }

  #writeLater(bytes: Uint8Array, done: () => void): void {
    const finish = (err: number): void => {
      if (err < 0 && this.#error === 0) this.#error = err;
      done();
    };
    if (this.#pipe) {
      this.#socket ??= this.#pipeSocket();
      this.#socket.write(bytes, (e) => finish(e ? hostErrno(e) : 0));
      return;
    }
    const fd = this.#now >= 0 ? this.#now : this.#fd;
    writeAll(fd, bytes, finish);
  }

  /** libuv owns `#now` from here on: it closes it when the socket is destroyed. */
  #pipeSocket(): Socket {
    const s = new Socket({ fd: this.#now, readable: false, writable: true });
    s.on('error', (e) => {
      if (this.#error === 0) this.#error = hostErrno(e);
    });
    s.on('close', () => {
      this.#now = -1;
      this.#own = false;
    });
    return s;
  }

  /** For HostOutputs: closes our descriptor (or the pipe's socket over it), once nothing is written there. */
  release(): void {
    if (this.#socket !== null) {
      this.#socket.destroy();
      this.#now = -1;
      this.#own = false;
    }
    if (!this.#own) return;
    try {
      closeSync(this.#now);
    } catch {
      // already gone: nothing to release
    }
    this.#own = false;
    this.#now = -1;
  }
}

/** A description of our own of `fd`'s pipe or terminal, non-blocking; -errno when it cannot be had (no reader left, no /proc). */
function reopenNonBlocking(fd: number): number {
  try {
    return openSync(`/proc/self/fd/${fd}`, constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    return hostErrno(e);
  }
}

function tryWrite(fd: number, buf: Uint8Array, len: number): number {
  try {
    return writeSync(fd, buf, 0, len);
  } catch (e) {
    return hostErrno(e);
  }
}

/** Writes all of `bytes` from the thread pool, trying again later when `fd` is not writable. */
function writeAll(fd: number, bytes: Uint8Array, done: (err: number) => void): void {
  let off = 0;
  const next = (): void => {
    if (off === bytes.length) {
      done(0);
      return;
    }
    write(fd, bytes, off, bytes.length - off, null, (e, n) => {
      if (e !== null && e.code !== 'EAGAIN') {
        done(hostErrno(e));
        return;
      }
      if (e === null && n > 0) {
        off += n;
        next();
      } else {
        setTimeout(next, RETRY_MS);
      }
    });
  };
  next();
}
