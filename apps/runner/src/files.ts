// Files in and out of the sandbox's writable layer, without a host volume:
// the caller places input files before the program runs (Sandbox `files`)
// and reads what it wrote after it ended (result.readFile). Paths are guest
// paths, resolved inside the sandbox like the program's own; every failure
// is a Linux errno turned into a one-line SandboxError or `undefined`.
import { type Cred, describeErrno, E, O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY, ROOT_CRED, type Vfs } from '@tsv/sentry';
import { SandboxError } from './sandbox-error.js';

/**
 * A file to place: its contents, or contents, a mode (default 0644) and an
 * owner: the program's user (default), or 'root', for a file the program
 * may read but, unless its mode lets it, not change (a container engine's
 * bound /etc/hosts, say). Directories made for it have the same owner.
 */
export type FileSpec = string | Uint8Array | { content: string | Uint8Array; mode?: number; owner?: 'program' | 'root' };

const CHUNK = 1 << 16;

/** Writes each file (its missing parent directories made 0755); throws SandboxError (125) naming the one that failed. */
export function placeFiles(vfs: Vfs, files: Readonly<Record<string, FileSpec>>): void {
  for (const [path, spec] of Object.entries(files)) {
    const { content, mode, owner } = typeof spec === 'string' || spec instanceof Uint8Array ? { content: spec } : spec;
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    // A file is owned by whoever makes it (the Sentry has no chown): root's are made with root's credentials.
    const cred = owner === 'root' ? ROOT_CRED : undefined;
    const r = placeFile(vfs, path, bytes, (mode ?? 0o644) & 0o7777, cred);
    if (r < 0) throw new SandboxError(`files: ${path}: ${describeErrno(r)}`, 125);
  }
}

/** `cred`: whose the file and the directories made are (default: the program's, the Vfs's own). */
function placeFile(vfs: Vfs, path: string, bytes: Uint8Array, mode: number, cred: Cred | undefined): number {
  if (!path.startsWith('/')) return -E.ENOENT; // a guest path is absolute
  const parts = path.split('/').filter((p) => p !== '');
  for (let i = 1; i < parts.length; i++) {
    const r = vfs.mkdir(`/${parts.slice(0, i).join('/')}`, 0o755, { umask: 0, cred });
    if (r < 0 && r !== -E.EEXIST) return r;
  }
  const f = vfs.open(path, O_CREAT | O_WRONLY | O_TRUNC, mode, { umask: 0, cred });
  if (typeof f === 'number') return f;
  try {
    for (let at = 0; at < bytes.length; ) {
      const n = f.write(bytes.subarray(at), bytes.length - at);
      if (n <= 0) return n < 0 ? n : -E.EIO; // nothing taken
      at += n;
    }
    const chmod = vfs.chmod(path, mode, { cred }); // the mode as given, whatever the file had
    return chmod < 0 ? chmod : 0;
  } finally {
    f.close();
  }
}

/** The contents of guest file `path`, or undefined when it cannot be read (missing, a directory, no permission). */
export function readGuestFile(vfs: Vfs, path: string): Buffer | undefined {
  const f = vfs.open(path, O_RDONLY);
  if (typeof f === 'number') return undefined;
  try {
    const chunks: Buffer[] = [];
    for (;;) {
      const buf = Buffer.alloc(CHUNK);
      const n = f.read(buf, CHUNK);
      if (n < 0) return undefined;
      if (n === 0) return Buffer.concat(chunks);
      chunks.push(buf.subarray(0, n));
    }
  } finally {
    f.close();
  }
}
