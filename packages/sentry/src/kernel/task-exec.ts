// execve: a new program in the same process, as Linux's do_execveat:
// the file is found and checked, `#!` scripts are followed to their
// interpreter (at most BINPRM_MAX_RECURSION deep), and the new image is
// built in a fresh memory manager by the kernel's ImageLoader. Until then
// a failure is an errno and the old image runs on; past that point
// (flush_old_exec) the other threads die, close-on-exec descriptors close,
// handled signals go back to their default, and the task starts the new
// image with a fresh FPU state.
import { Registers } from '@tsv/platform';
import { E } from '../errno.js';
import { type Cred, type FileDescription, type Location, O_RDONLY, S_IFLNK, S_IFMT, S_IFREG, WriteAccess, X_OK } from '../vfs/index.js';
import type { Kernel } from './kernel.js';
import { interruptTask } from './park.js';
import { getRlimitOf, RLIMIT_STACK } from './rlimit.js';
import { hold, release } from './fdtable.js';
import { dropUser, userCount } from './refs.js';
import { SS_DISABLE } from './signals.js';
import { dropMemory, finishThread, releaseThreadMemory } from './task-exit.js';
import type { Task, TaskMemory } from './task.js';
import type { ThreadGroup } from './thread-group.js';

/** Linux's BINPRM_BUF_SIZE: how much of a file decides its format (and bounds a #! line). */
const BINPRM_BUF_SIZE = 256;
/** Scripts whose interpreter is a script, this deep at most (then ELOOP): Linux runs 5 nested #! levels. */
const MAX_SCRIPT_DEPTH = 5;

/** An opened executable, as the ImageLoader takes it. */
export interface ExecFile {
  /** The path it was opened by (AT_EXECFN, /proc/<pid>/exe's text). */
  path: string;
  /** Held (fdtable hold) for the opener, who gives it up with release(): never close() it, mappings of it may live on. */
  file: FileDescription;
  size: number;
  /** Its WriteAccess key: the process that runs it denies writing to it. */
  key: string;
}

/** Arguments as the new image receives them. */
export interface ExecImageArgs {
  argv: Uint8Array[];
  env: Uint8Array[];
  uid: number;
  gid: number;
  /** RLIMIT_STACK's soft limit at the exec (Infinity: unlimited): the new image's stack, mmap base and argument room. */
  stackLimit: number;
}

/**
 * Builds process images: what boot wires in (the ELF loader over a fresh
 * memory manager). `load` returns the new memory with the program mapped
 * and `regs` set to start it, or a negative errno (ENOEXEC, ELIBBAD,
 * E2BIG, ENOMEM, ...), having freed whatever it built.
 */
export interface ImageLoader {
  load(file: ExecFile, args: ExecImageArgs, regs: Registers, openInterpreter: (path: string) => ExecFile | number): TaskMemory | number;
}

const decoder = new TextDecoder('latin1');

/**
 * Opens `path` (from `at`) to execute it: a regular file the caller may
 * execute (anything else is EACCES, as Linux; a symlink not to be followed
 * is ELOOP) that no description has open for writing (ETXTBSY: Linux's
 * deny_write_access, for a script and an interpreter too).
 */
export function openExecutable(t: Task, path: string, at: Location, follow = true): ExecFile | number {
  const vfs = t.kernel.vfs;
  const cred: Cred = { uid: t.creds.euid, gid: t.creds.egid, groups: t.creds.groups };
  // The path is walked once; the checks and the open start from what it found.
  const loc = vfs.resolve(path, { at, cred, follow });
  if (typeof loc === 'number') return loc;
  const st = loc.node.stat();
  if (typeof st === 'number') return st;
  const kind = st.mode & S_IFMT;
  if (kind === S_IFLNK) return -E.ELOOP;
  if (kind !== S_IFREG) return -E.EACCES;
  const found = { at: loc, cred, emptyPath: true };
  const x = vfs.access('', X_OK, found);
  if (x < 0) return x;
  const f = vfs.open('', O_RDONLY, 0, found);
  if (typeof f === 'number') return f;
  const key = WriteAccess.keyOf(st);
  if (vfs.writeAccess.writing(key)) {
    release(f); // its final close, reported as any (inotify counts it open till then)
    return -E.ETXTBSY;
  }
  // The opener's reference: the image's file mappings take their own
  // (mm/vma.ts refVma), so release() closes the file only once none maps it.
  hold(f);
  t.kernel.execOpens?.push({ path, at, follow, stat: st });
  return { path, file: f, size: st.size, key };
}

/**
 * The interpreter line of a `#!` script: [interpreter, optional argument],
 * undefined when `head` is not a script, -ENOEXEC when its line names none.
 */
export function parseShebang(head: Uint8Array): string[] | undefined | number {
  if (head.length < 2 || head[0] !== 0x23 || head[1] !== 0x21) return undefined;
  let end = head.indexOf(0x0a, 2);
  if (end < 0) end = head.length;
  const line = decoder
    .decode(head.subarray(2, end))
    .replace(/[ \t]+$/, '')
    .replace(/^[ \t]+/, '');
  if (line === '') return -E.ENOEXEC;
  const m = /^(\S+)(?:[ \t]+(.*))?$/.exec(line)!;
  return m[2] === undefined || m[2] === '' ? [m[1]!] : [m[1]!, m[2]];
}

/**
 * Replaces `t`'s image with the program at `path` (resolved from `at`);
 * returns 0 once the new image is in place (the caller's registers are
 * then the new program's), or a negative errno with the old image intact.
 */
export function execTask(t: Task, path: string, at: Location, argv: Uint8Array[], env: Uint8Array[], nofollow = false): number {
  const k = t.kernel;
  let file: ExecFile | number = openExecutable(t, path, at, !nofollow);
  let args = argv;
  for (let depth = 0; ; depth++) {
    if (typeof file === 'number') return file;
    const head = new Uint8Array(Math.min(BINPRM_BUF_SIZE, file.size));
    const n = file.file.pread(head, head.length, 0);
    const script = n < 0 ? n : parseShebang(head.subarray(0, n));
    if (script === undefined) break;
    release(file.file);
    if (typeof script === 'number') return script;
    if (depth >= MAX_SCRIPT_DEPTH) return -E.ELOOP;
    // The interpreter gets its line's words, then the script's path, then the original arguments after argv[0].
    args = [...script.map((s) => Buffer.from(s, 'latin1')), Buffer.from(file.path, 'latin1'), ...args.slice(1)];
    file = openExecutable(t, script[0]!, t.fs.cwd);
  }
  const program = file;
  const regs = new Registers();
  const openInterpreter = (p: string) => openExecutable(t, p, t.fs.root);
  const mm = k.loader.load(
    program,
    { argv: args, env, uid: t.creds.uid, gid: t.creds.gid, stackLimit: getRlimitOf(t.group, RLIMIT_STACK).cur },
    regs,
    openInterpreter,
  );
  release(program.file);
  if (typeof mm === 'number') return mm;

  // The point of no return.
  deThread(t);
  if (userCount(t.fds) > 1) {
    const own = t.fds.fork();
    dropUser(t.fds);
    t.fds = own;
  }
  t.fds.closeOnExec();
  t.signals.handlers = t.signals.handlers.copy();
  t.signals.handlers.resetForExec();
  t.signals.setAltStack(0, SS_DISABLE, 0, 0);
  releaseThreadMemory(t);
  dropMemory(t);
  t.mm = mm;
  t.regs.u32.set(regs.u32);
  t.setFpu(k.newFpuState());
  // comm names the file execve was given (a script's own name, as Linux); /proc/<pid>/exe the program that runs.
  t.comm = path.slice(path.lastIndexOf('/') + 1).slice(0, 15);
  const g = t.group;
  g.execed = true;
  runProgram(k, g, program.key);
  g.exePath = program.path;
  g.exe = program.file.location;
  g.cmdline = joinNul(args);
  g.environ = joinNul(env);
  return 0;
}

/**
 * The process runs the program whose WriteAccess key is `key` (null: none,
 * it has ended): writing that file is ETXTBSY from now on, and no longer
 * for the program it ran before.
 */
export function runProgram(k: Kernel, g: ThreadGroup, key: string | null): void {
  if (key !== null) k.vfs.writeAccess.addExecutor(key);
  if (g.programKey !== null) k.vfs.writeAccess.dropExecutor(g.programKey);
  g.programKey = key;
}

/** Strings as /proc's cmdline and environ show them: each followed by a NUL. */
export function joinNul(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length + 1, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length + 1;
  }
  return out;
}

/**
 * de_thread: every other thread of the process dies now; an exec from a
 * thread other than the leader takes over the leader's id, as on Linux.
 */
function deThread(t: Task): void {
  const g = t.group;
  for (const other of [...g.tasks]) {
    if (other === t) continue;
    other.exitThread({ signal: 9 });
    interruptTask(other);
    other.state = 'dead';
    finishThread(other);
  }
  if (t.tid !== g.pid) {
    const old = t.tid;
    t.tid = g.pid;
    t.kernel.pids.retid(t, old);
  }
}
