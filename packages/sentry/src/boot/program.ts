// Finding and opening the program to run: PATH search like execvp, and the
// checks (regular file, executable, ELF) that decide between "not found"
// (127) and "cannot execute" (126).
import { E, errnoName } from '../errno.js';
import { type FileDescription, type Location, O_RDONLY, S_IFMT, S_IFREG, type Vfs, X_OK } from '../vfs/index.js';
import { BootError } from './config.js';

const MESSAGES: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  ENOEXEC: 'Exec format error',
  EISDIR: 'Is a directory',
  EROFS: 'Read-only file system',
  ELIBBAD: 'Accessing a corrupted shared library',
};

export function describe(errno: number): string {
  const name = errnoName(errno);
  return MESSAGES[name] ?? name;
}

export interface OpenedProgram {
  /** The path it was found at (AT_EXECFN, /proc/self/exe). */
  path: string;
  file: FileDescription;
  size: number;
}

/** Opens `path` (from `cwd`) for execution: a regular file the caller may execute, or a negative errno. */
function openFile(vfs: Vfs, path: string, cwd: Location): OpenedProgram | number {
  const st = vfs.stat(path, { at: cwd });
  if (typeof st === 'number') return st;
  if ((st.mode & S_IFMT) !== S_IFREG) return (st.mode & S_IFMT) === 0o040000 ? -E.EISDIR : -E.EACCES;
  const x = vfs.access(path, X_OK, { at: cwd });
  if (x < 0) return x;
  const f = vfs.open(path, O_RDONLY, 0, { at: cwd });
  if (typeof f === 'number') return f;
  return { path, file: f, size: st.size };
}

/** Opens `name` as execvp would find it; throws BootError with the shell's status when it cannot. */
export function openProgram(vfs: Vfs, name: string, env: readonly string[], cwd: Location): OpenedProgram {
  if (name.includes('/')) {
    const r = openFile(vfs, name, cwd);
    if (typeof r !== 'number') return r;
    throw new BootError(`${name}: ${describe(r)}`, r === -E.ENOENT || r === -E.ENOTDIR ? 127 : 126);
  }
  const path = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? '/usr/local/bin:/usr/bin:/bin';
  let denied = 0;
  for (const dir of path.split(':')) {
    const r = openFile(vfs, `${dir === '' ? '.' : dir}/${name}`, cwd);
    if (typeof r !== 'number') return r;
    if (r === -E.EACCES) denied = r;
  }
  if (denied !== 0) throw new BootError(`${name}: ${describe(denied)}`, 126);
  throw new BootError(`${name}: command not found`, 127);
}
