// A thread's end and its process's, as Linux's do_exit / exit_notify:
// the thread's futex duties (CLONE_CHILD_CLEARTID, the robust list), its
// share of the memory and descriptor table, a vfork parent let go; with
// the last thread, the process becomes a zombie: its timers stop, its
// children go to a subreaper or init, and its parent hears of it (or reaps
// it at once when it ignores SIGCHLD); its pidfds hear of it then and when
// it is reaped. When init ends, every other process is killed, as in a pid
// namespace.
import { futexKey, futexWake } from './futex.js';
import { readU32, readU64, writeU32 } from './usercopy.js';
import { cancelItimers } from './itimer.js';
import { interruptTask } from './park.js';
import { dropUser, userCount } from './refs.js';
import { SIGKILL } from './signals.js';
import { runProgram } from './task-exec.js';
import { autoReaps, CLD_DUMPED, CLD_EXITED, CLD_KILLED, notifyParent, sendThreadSignal } from './task-signals.js';
import type { Kernel } from './kernel.js';
import type { ExitStatus, Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';

const FUTEX_WAITERS = 0x8000_0000;
const FUTEX_OWNER_DIED = 0x4000_0000;
const FUTEX_TID_MASK = 0x3fff_ffff;
/** Linux's ROBUST_LIST_LIMIT: a hostile (circular) list is walked this far at most. */
const ROBUST_LIST_LIMIT = 2048;

/** A signed 64-bit word (robust_list_head.futex_offset is a long, usually negative). */
function readI64(t: Task, addr: number): number | undefined {
  const b = new Uint8Array(8);
  if (addr <= 0 || t.mm.copyIn(addr, b) < 0) return undefined;
  const v = new DataView(b.buffer).getBigInt64(0, true);
  return v >= -(2n ** 47n) && v < 2n ** 47n ? Number(v) : undefined;
}

/** handle_futex_death: a lock word the dead thread owned is marked OWNER_DIED, and one waiter woken. */
function futexDeath(t: Task, addr: number): void {
  if (addr % 4 !== 0) return;
  const v = readU32(t.mm, addr);
  if (v < 0 || (v & FUTEX_TID_MASK) !== t.tid) return;
  if (writeU32(t.mm, addr, ((v & FUTEX_WAITERS) | FUTEX_OWNER_DIED) >>> 0) < 0) return;
  if ((v & FUTEX_WAITERS) !== 0) futexWake(futexKey(t.mm, addr, true), 1);
}

/** exit_robust_list: every lock on the thread's robust list (and the one in flight) is released as dead. */
function walkRobustList(t: Task): void {
  const head = t.robustList;
  if (head === 0) return;
  const off = readI64(t, head + 8);
  const pending = readU64(t.mm, head + 16);
  if (off === undefined || pending < 0 || pending === Infinity) return;
  let entry = readU64(t.mm, head);
  for (let n = 0; entry >= 0 && entry !== Infinity && entry !== head && n < ROBUST_LIST_LIMIT; n++) {
    const next = readU64(t.mm, entry - (entry % 2));
    if (entry - (entry % 2) !== pending - (pending % 2)) futexDeath(t, entry - (entry % 2) + off);
    entry = next;
  }
  if (pending !== 0) futexDeath(t, pending - (pending % 2) + off);
}

/** mm_release: CLONE_CHILD_CLEARTID's word is cleared and its waiter woken, while others still use the memory. */
export function releaseThreadMemory(t: Task): void {
  walkRobustList(t);
  t.robustList = 0;
  const tidAddr = t.clearChildTid;
  t.clearChildTid = 0;
  if (tidAddr !== 0 && userCount(t.mm) > 1 && writeU32(t.mm, tidAddr, 0) === 0) futexWake(futexKey(t.mm, tidAddr, true), 1);
  t.vforkDone?.();
  t.vforkDone = undefined;
}

/** The thread no longer uses its memory (it exited or exec'd): the last user frees it. */
export function dropMemory(t: Task): void {
  if (dropUser(t.mm)) t.mm.release?.();
}

/**
 * Finishes a thread that has exited (t.exitStatus set, no longer running):
 * its resources go, and with the last thread, its process ends.
 */
export function finishThread(t: Task): void {
  const g = t.group;
  const k = t.kernel;
  interruptTask(t);
  releaseThreadMemory(t);
  g.tasks.delete(t);
  k.pids.removeTask(t);
  g.cpu.userNs += t.userNs;
  g.cpu.sysNs += t.sysNs;
  dropMemory(t);
  k.dropFpu(t.fpu);
  if (dropUser(t.fds)) t.fds.closeAll();
  if (g.tasks.size === 0) exitProcess(k, g, g.groupExit ?? t.exitStatus ?? { code: 0 });
}

/** The wait status word of an exit status, as wait4 stores it. */
export function waitStatus(s: ExitStatus): number {
  if (s.signal !== undefined) return (s.signal & 0x7f) | (s.coreDumped === true ? 0x80 : 0);
  return ((s.code ?? 0) & 0xff) << 8;
}

/**
 * The process's last thread has gone: it is a zombie now. Its children are
 * adopted, its parent told (or it is reaped at once), and when it is init,
 * every other process is killed.
 */
function exitProcess(k: Kernel, g: ThreadGroup, status: ExitStatus): void {
  g.exitStatus = status;
  g.stopped = false;
  cancelItimers(g);
  runProgram(k, g, null);
  adoptChildren(k, g);
  if (g.fromHost) {
    // Nobody in the namespace waits for it: its watchers (the host's wait, Kernel.spawn) hear of it below.
    reap(k, g);
  } else if (g.parent === null) {
    // init: the namespace ends with it.
    for (const other of [...k.pids.groups()]) if (other !== g && other.exitStatus === undefined) k.exitGroup(other, { signal: SIGKILL });
  } else if (g.adopted || autoReaps(g.parent, g)) {
    notifyParentOfEnd(g, status, false);
    reap(k, g);
  } else {
    notifyParentOfEnd(g, status, true);
  }
  g.exitWatchers.notify();
}

function notifyParentOfEnd(g: ThreadGroup, s: ExitStatus, signal: boolean): void {
  const code = s.signal === undefined ? CLD_EXITED : s.coreDumped === true ? CLD_DUMPED : CLD_KILLED;
  if (signal) notifyParent(g, code, s.signal ?? s.code ?? 0);
  else g.parent?.notifyWaiters();
}

/** The root of `g`'s process tree: the sandbox's init (a tree begun from the host belongs to it too). */
function initOf(k: Kernel, g: ThreadGroup): ThreadGroup {
  let p = g;
  while (p.parent !== null) p = p.parent;
  return p.fromHost && k.init !== undefined ? k.init : p;
}

/**
 * Gives `g`'s children to the nearest living ancestor that is a subreaper,
 * or to init; children given to init are "adopted": the program the user
 * ran did not start them, so they are reaped as they end rather than left
 * for it to wait for. Parent-death signals are sent.
 */
function adoptChildren(k: Kernel, g: ThreadGroup): void {
  if (g.children.size === 0) return;
  let reaper: ThreadGroup | null = g.parent;
  while (reaper !== null && !(reaper.subreaper && reaper.exitStatus === undefined)) reaper = reaper.parent;
  const init = initOf(k, g);
  const to = reaper ?? (init === g ? null : init);
  for (const c of [...g.children]) {
    g.children.delete(c);
    for (const t of c.tasks) if (t.pdeathSignal !== 0) sendThreadSignal(t, { signo: t.pdeathSignal, code: 0 });
    if (to === null) {
      c.parent = null;
      continue;
    }
    c.parent = to;
    c.adopted = to === init && reaper === null;
    to.children.add(c);
    if (c.zombie) {
      if (c.adopted) reap(k, c);
      else notifyParentOfEnd(c, c.exitStatus!, true);
    }
  }
}

/** Removes a zombie from the process tree; its parent gathers its CPU time and peak RSS. */
export function reap(k: Kernel, g: ThreadGroup): void {
  if (g.reaped) return;
  g.reaped = true;
  const p = g.parent;
  if (p !== null) {
    p.children.delete(g);
    p.childCpu.userNs += g.cpu.userNs + g.childCpu.userNs;
    p.childCpu.sysNs += g.cpu.sysNs + g.childCpu.sysNs;
    p.childMaxRssKb = Math.max(p.childMaxRssKb, g.maxRssKb, g.childMaxRssKb);
  }
  k.pids.removeGroup(g);
  g.exitWatchers.notify();
}
