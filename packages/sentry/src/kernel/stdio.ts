// The sandbox's standard streams: guest descriptors 0-2 backed by the
// runner's stdin, stdout and stderr.
//
// Output goes to a function, which takes the bytes before the write system
// call returns, or to a host descriptor through ../fd/host-output.ts, which
// never blocks the Node thread: when the host cannot take the bytes at once
// a blocking write parks until it can (see the blocking protocol in
// ../fd/stream.ts), and the run drains it before reporting the exit. Either
// way nothing is lost or reordered when the guest exits right after
// writing. Input is pulled from a Node stream; a read that finds nothing
// waits, by the same protocol.
//
// Opening /proc/self/fd/N (/dev/stdin, /dev/stdout) gives a new description
// of the same stream, in the direction the sandbox has it: the guest cannot
// read its output or write its input (EACCES).
import { fstatSync, readFileSync, readSync } from 'node:fs';
import { E, hostErrno } from '../errno.js';
import {
  FileDescription,
  hostStat,
  O_ACCMODE,
  O_RDONLY,
  O_TRUNC,
  O_WRONLY,
  objectStat,
  S_IFCHR,
  S_IFIFO,
  type Stat,
} from '../vfs/index.js';
import type { HostOutput } from '../fd/host-output.js';
import { StreamDescription } from '../fd/stream.js';

/** A function collecting guest output: it takes all the bytes at once. */
export type OutputSink = (bytes: Uint8Array) => void;

/**
 * Bytes the program may still write to the outputs sharing this budget
 * (stdout and stderr together: a judge's output limit). A write is cut at
 * the limit and `exceeded` is called once the program tried to write more
 * (it kills the sandbox, so the program never sees the short write).
 */
export interface OutputBudget {
  remaining: number;
  exceeded(): void;
}

export class OutputStream extends StreamDescription {
  readonly #sink: OutputSink | HostOutput;
  readonly #isTty: boolean;
  /** Shared by the descriptions of the standard streams and their reopenings. */
  #budget: OutputBudget | undefined;

  constructor(sink: OutputSink | HostOutput, isTty = false, flags = O_WRONLY) {
    super(flags);
    this.#sink = sink;
    this.#isTty = isTty;
  }

  override reopen(flags: number): OutputStream | number {
    if ((flags & O_ACCMODE) !== O_WRONLY) return -E.EACCES;
    const o = new OutputStream(this.#sink, this.#isTty, flags);
    o.#budget = this.#budget;
    return o;
  }

  get isTty(): boolean {
    return this.#isTty;
  }

  /** Counts what is written here against `budget` (set before the program runs). */
  limit(budget: OutputBudget): void {
    this.#budget = budget;
  }

  protected override writeAt(buf: Uint8Array, len: number): number {
    const b = this.#budget;
    if (b === undefined || len <= b.remaining) return this.#put(buf, len, b);
    const r = b.remaining > 0 ? this.#put(buf, b.remaining, b) : 0;
    if (r < 0) return r;
    if (b.remaining === 0) b.exceeded();
    return r > 0 ? r : -E.EFBIG;
  }

  #put(buf: Uint8Array, len: number, budget: OutputBudget | undefined): number {
    const sink = this.#sink;
    let r = len;
    if (typeof sink !== 'function') r = sink.write(buf, len);
    else sink(buf.subarray(0, len));
    if (budget !== undefined && r > 0) budget.remaining -= r;
    return r;
  }

  override stat(): Stat | number {
    return streamStat(this.#isTty ? S_IFCHR | 0o620 : S_IFIFO | 0o600);
  }

  override pollReadyWrite(): boolean {
    return typeof this.#sink === 'function' || this.#sink.ready;
  }

  /** A host output tells when it can take more; a function always can (it never answers EAGAIN). */
  override watch(onChange: () => void): () => void {
    return typeof this.#sink === 'function' ? super.watch(onChange) : this.#sink.watch(onChange);
  }
}

/** The bytes behind standard input, shared by every description of it. */
class InputQueue {
  readonly chunks: Uint8Array[] = [];
  eof = false;
  readonly readers = new Set<InputStream>();
}

/** Bytes arriving from the host, buffered until the guest reads them. */
export class InputStream extends StreamDescription {
  readonly #q: InputQueue;
  readonly #isTty: boolean;

  constructor(isTty = false, flags = O_RDONLY, queue = new InputQueue()) {
    super(flags);
    this.#isTty = isTty;
    this.#q = queue;
    queue.readers.add(this);
  }

  get isTty(): boolean {
    return this.#isTty;
  }

  override reopen(flags: number): InputStream | number {
    return (flags & (O_ACCMODE | O_TRUNC)) === O_RDONLY ? new InputStream(this.#isTty, flags, this.#q) : -E.EACCES;
  }

  /** Host side: more input. */
  push(bytes: Uint8Array): void {
    if (bytes.length > 0) this.#q.chunks.push(bytes);
    this.#wakeAll();
  }

  /** Host side: no more input. */
  end(): void {
    this.#q.eof = true;
    this.#wakeAll();
  }

  #wakeAll(): void {
    for (const r of this.#q.readers) r.notify();
  }

  get available(): number {
    let n = 0;
    for (const c of this.#q.chunks) n += c.length;
    return n;
  }

  protected override readAt(buf: Uint8Array, len: number): number {
    const chunks = this.#q.chunks;
    if (chunks.length === 0) return this.#q.eof ? 0 : -E.EAGAIN;
    let n = 0;
    while (n < len && chunks.length > 0) {
      const c = chunks[0]!;
      const take = Math.min(c.length, len - n);
      buf.set(c.subarray(0, take), n);
      n += take;
      if (take === c.length) chunks.shift();
      else chunks[0] = c.subarray(take);
    }
    return n;
  }

  override pollReadyRead(): boolean {
    return this.#q.chunks.length > 0 || this.#q.eof;
  }

  /** The host side keeps pushing to the first description; later ones only stop being woken. */
  override close(): void {
    this.#q.readers.delete(this);
  }

  override stat(): Stat | number {
    return streamStat(this.#isTty ? S_IFCHR | 0o620 : S_IFIFO | 0o600);
  }
}

function streamStat(mode: number): Stat {
  return objectStat(0xd, 1, mode);
}

/**
 * Standard input that is a regular host file (`tsv run < file`): a seekable
 * regular file, as the program would see it natively. It reads the runner's
 * own descriptor at this description's offset, which starts where the
 * runner's offset was.
 */
export class HostFileInput extends FileDescription {
  readonly #fd: number;

  /** `pos` defaults to where the runner's own offset is. */
  constructor(fd: number, flags = O_RDONLY, pos = hostOffset(fd)) {
    super(flags);
    this.#fd = fd;
    this.pos = pos;
  }

  /** A new description at offset 0; the sandbox holds the file read-only, so writing it is EACCES. */
  override reopen(flags: number): HostFileInput | number {
    return (flags & (O_ACCMODE | O_TRUNC)) === O_RDONLY ? new HostFileInput(this.#fd, flags, 0) : -E.EACCES;
  }

  protected override readAt(buf: Uint8Array, len: number, pos: number): number {
    try {
      return readSync(this.#fd, buf, 0, len, pos);
    } catch (e) {
      return hostErrno(e);
    }
  }

  protected override size(): number {
    try {
      return fstatSync(this.#fd).size;
    } catch {
      return 0;
    }
  }

  override stat(): Stat | number {
    try {
      const st = fstatSync(this.#fd, { bigint: true });
      return hostStat(st, Number(st.dev), Number(st.ino));
    } catch (e) {
      return hostErrno(e);
    }
  }
}

/** A host descriptor's file offset (Node has no lseek): from /proc/self/fdinfo, else 0. */
function hostOffset(fd: number): number {
  try {
    const m = /^pos:\s*(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
