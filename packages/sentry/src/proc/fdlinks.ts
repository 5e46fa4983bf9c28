// /proc/<pid>/fd/N and /proc/<pid>/fdinfo/N.
//
// fd/N is a magic link. Its text is the descriptor's path (with " (deleted)"
// once that path no longer leads to it) or Linux's name for a nameless
// object (pipe:[ino]). Following it lands on the description's own location,
// or, for a nameless object, on a node whose open() reopens that object
// (FileDescription.reopen). Nothing is resolved from the text, so a link
// cannot lead anywhere the descriptor does not already refer to.
import { E } from '../errno.js';
import { isAnonFile } from '../fd/anon.js';
import type { Task } from '../kernel/task.js';
import {
  emptyStatfs,
  type FileDescription,
  type Filesystem,
  Location,
  type Mount,
  O_ACCMODE,
  O_CLOEXEC,
  O_RDONLY,
  O_WRONLY,
  ReadOnlyNode,
  ROOT_CRED,
  S_IFCHR,
  S_IFIFO,
  S_IFMT,
  S_IFSOCK,
  type Stat,
  type StatFs,
  type Vfs,
} from '../vfs/index.js';
import type { MountIds } from './mounts.js';
import { type Owner, ProcDir, ProcFile, type ProcFsBase, ProcMagicLink, type ProcNode } from './nodes.js';

/** A descriptor number as Linux parses it in /proc: no sign, no leading zero. */
const FD_NAME = /^(0|[1-9][0-9]{0,9})$/;
const PIPEFS_MAGIC = 0x50495045;
/** What lstat reports as the size of an fd link (Linux: 64). */
const FD_LINK_SIZE = 64;

/** The fd/ and fdinfo/ directories of every process, and the mount that nameless objects are reached through. */
export class FdLinks {
  /** Where a nameless object's location lives: no path leads into it. */
  readonly #nameless: Mount;

  /** `mountIds`: what fdinfo's mnt_id shows, the ids mountinfo lists. */
  constructor(
    private readonly fs: ProcFsBase,
    private readonly mountIds: MountIds,
  ) {
    this.#nameless = { path: '', fs, readOnly: false };
  }

  /** /proc/<pid>/fd: one link per open descriptor, its permission bits showing the access mode (lr-x, l-wx, lrwx). */
  fdDir(t: Task, key: string, owner: Owner): ProcNode {
    return new ProcDir(
      this.fs,
      key,
      () => fdNames(t),
      (name) => {
        const fd = fdNumber(name);
        const f = fd < 0 ? undefined : t.fds.get(fd);
        if (f === undefined) return undefined;
        const acc = f.flags & O_ACCMODE;
        const perm = (acc === O_WRONLY ? 0 : 0o500) | (acc === O_RDONLY ? 0 : 0o300);
        const text = () => {
          const cur = t.fds.get(fd);
          return cur === undefined ? -E.ENOENT : this.#text(t.kernel.vfs, cur);
        };
        const to = () => {
          const cur = t.fds.get(fd);
          return cur === undefined ? -E.ENOENT : this.#follow(cur, { uid: t.creds.euid, gid: t.creds.egid });
        };
        return new ProcMagicLink(this.fs, `${key}/${name}`, text, to, owner, perm, FD_LINK_SIZE);
      },
      owner,
      0o500,
    );
  }

  /** /proc/<pid>/fdinfo: pos, flags (octal, O_CLOEXEC included), mnt_id and ino of each descriptor, as Linux prints them. */
  fdinfoDir(t: Task, key: string, owner: Owner): ProcNode {
    return new ProcDir(
      this.fs,
      key,
      () => fdNames(t),
      (name) => {
        const fd = fdNumber(name);
        const f = fd < 0 ? undefined : t.fds.get(fd);
        if (f === undefined) return undefined;
        const text = () => {
          const flags = f.flags | (t.fds.cloexec(fd) ? O_CLOEXEC : 0);
          const st = f.stat();
          const ino = typeof st === 'number' ? 0 : st.ino;
          const extra = isAnonFile(f) ? (f.fdinfo?.() ?? '') : '';
          return `pos:\t${f.pos}\nflags:\t0${flags.toString(8)}\nmnt_id:\t${this.#mountId(f)}\nino:\t${ino}\n${extra}`;
        };
        return new ProcFile(this.fs, `${key}/${name}`, text, owner, 0o444);
      },
      owner,
      0o555,
    );
  }

  #isNameless(f: FileDescription): boolean {
    return f.location === null || f.location.mount === this.#nameless;
  }

  #text(vfs: Vfs, f: FileDescription): string {
    const loc = f.location;
    if (loc === null || this.#isNameless(f)) return namelessText(f);
    return stillNamed(vfs, loc, f) ? loc.path : `${loc.path} (deleted)`;
  }

  #follow(f: FileDescription, owner: Owner): Location {
    if (!this.#isNameless(f)) return f.location!;
    return new Location(this.#nameless, new NamelessNode(this.fs, f, owner), namelessText(f), null);
  }

  #mountId(f: FileDescription): number {
    return this.mountIds.id(f.location?.mount ?? this.#nameless);
  }
}

function fdNames(t: Task): string[] {
  return [...t.fds.entries()].map(([fd]) => String(fd));
}

function fdNumber(name: string): number {
  return FD_NAME.test(name) ? Number(name) : -1;
}

/** Linux's name for an object without a path. */
function namelessText(f: FileDescription): string {
  const st = f.stat();
  const mode = typeof st === 'number' ? 0 : st.mode & S_IFMT;
  const ino = typeof st === 'number' ? 0 : st.ino;
  if (mode === S_IFIFO) return `pipe:[${ino}]`;
  if (mode === S_IFSOCK) return `socket:[${ino}]`;
  if (mode === S_IFCHR) return '/dev/tty';
  return `anon_inode:${isAnonFile(f) ? f.anonName : '[unknown]'}`;
}

/** Does the description's path still lead to its object? Asked as root: Linux shows " (deleted)" whatever the caller may search. */
function stillNamed(vfs: Vfs, loc: Location, f: FileDescription): boolean {
  const mine = f.stat();
  if (typeof mine === 'number') return true;
  const now = vfs.stat(loc.path, { follow: false, cred: ROOT_CRED });
  return typeof now !== 'number' && now.dev === mine.dev && now.ino === mine.ino;
}

/**
 * A nameless object (a pipe, a standard stream) reached through its fd link.
 * It shows the object's attributes, owned by the process holding it (Linux:
 * by its creator, the same user in practice), which is what open(2) checks
 * permission against; opening it reopens the object.
 */
class NamelessNode extends ReadOnlyNode {
  readonly kind: number;

  constructor(
    readonly fs: Filesystem,
    private readonly file: FileDescription,
    private readonly owner: Owner,
  ) {
    super();
    const st = file.stat();
    this.kind = typeof st === 'number' ? 0 : st.mode & S_IFMT;
  }

  stat(): Stat | number {
    const st = this.file.stat();
    return typeof st === 'number' ? st : { ...st, uid: this.owner.uid, gid: this.owner.gid };
  }

  open(flags: number): FileDescription | number {
    return this.file.reopen(flags);
  }

  /** fchmod and futimens of a reopened description are accepted and change nothing, as for the original. */
  override setattr(): number {
    return 0;
  }

  statfs(): StatFs {
    return emptyStatfs(PIPEFS_MAGIC);
  }
}
