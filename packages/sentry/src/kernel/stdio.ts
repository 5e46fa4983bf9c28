// The sandbox's standard streams: guest descriptors 0-2 backed by the
// runner's stdin, stdout and stderr.
//
// Output is written synchronously, in the order the guest wrote it, before
// the write system call returns: nothing is lost or reordered when the guest
// exits right after writing. Input is pulled from a Node stream; a read that
// finds nothing waits (see the blocking protocol in ../fd/waitable.ts).
import { fstatSync, readFileSync, readSync } from 'node:fs';
import { E, hostErrno } from '../errno.js';
import { FileDescription, hostStat, O_RDONLY, O_WRONLY, S_IFCHR, S_IFIFO, type Stat } from '../vfs/index.js';
import { StreamDescription } from '../fd/stream.js';

/** Where guest output goes: a host descriptor, or a function collecting bytes. */
export type OutputSink = (bytes: Uint8Array) => void;

export class OutputStream extends StreamDescription {
  readonly #sink: OutputSink;
  readonly #isTty: boolean;

  constructor(sink: OutputSink, isTty = false) {
    super(O_WRONLY);
    this.#sink = sink;
    this.#isTty = isTty;
  }

  get isTty(): boolean {
    return this.#isTty;
  }

  protected override writeAt(buf: Uint8Array, len: number): number {
    this.#sink(buf.subarray(0, len));
    return len;
  }

  override stat(): Stat | number {
    return streamStat(this.#isTty ? S_IFCHR | 0o620 : S_IFIFO | 0o600);
  }

  override pollReadyWrite(): boolean {
    return true;
  }
}

/** Bytes arriving from the host, buffered until the guest reads them. */
export class InputStream extends StreamDescription {
  readonly #chunks: Uint8Array[] = [];
  #eof = false;
  readonly #isTty: boolean;

  constructor(isTty = false) {
    super(O_RDONLY);
    this.#isTty = isTty;
  }

  get isTty(): boolean {
    return this.#isTty;
  }

  /** Host side: more input. */
  push(bytes: Uint8Array): void {
    if (bytes.length > 0) this.#chunks.push(bytes);
    this.notify();
  }

  /** Host side: no more input. */
  end(): void {
    this.#eof = true;
    this.notify();
  }

  get available(): number {
    let n = 0;
    for (const c of this.#chunks) n += c.length;
    return n;
  }

  protected override readAt(buf: Uint8Array, len: number): number {
    if (this.#chunks.length === 0) return this.#eof ? 0 : -E.EAGAIN;
    let n = 0;
    while (n < len && this.#chunks.length > 0) {
      const c = this.#chunks[0]!;
      const take = Math.min(c.length, len - n);
      buf.set(c.subarray(0, take), n);
      n += take;
      if (take === c.length) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(take);
    }
    return n;
  }

  override pollReadyRead(): boolean {
    return this.#chunks.length > 0 || this.#eof;
  }

  override stat(): Stat | number {
    return streamStat(this.#isTty ? S_IFCHR | 0o620 : S_IFIFO | 0o600);
  }
}

function streamStat(mode: number): Stat {
  return {
    dev: 0xd, ino: 1, mode, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 0, blksize: 4096, blocks: 0,
    atimeSec: 0, atimeNsec: 0, mtimeSec: 0, mtimeNsec: 0, ctimeSec: 0, ctimeNsec: 0,
  };
}

/**
 * Standard input that is a regular host file (`tsv run < file`): a seekable
 * regular file, as the program would see it natively. It reads the runner's
 * own descriptor at this description's offset, which starts where the
 * runner's offset was.
 */
export class HostFileInput extends FileDescription {
  readonly #fd: number;

  constructor(fd: number) {
    super(O_RDONLY);
    this.#fd = fd;
    this.pos = hostOffset(fd);
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
