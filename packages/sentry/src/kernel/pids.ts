// The sandbox's pid namespace: thread ids and process ids (one number
// space, as Linux's), the live tasks, and the processes until they are
// reaped. Ids count up from 1 and wrap at PID_MAX, skipping any still used
// by a task, a process (a zombie too), a process group or a session.
import type { Task } from './task.js';
import type { ThreadGroup } from './thread-group.js';

/** Linux's default pid_max on 64-bit. */
export const PID_MAX = 4_194_304;

export class PidTable {
  readonly #tasks = new Map<number, Task>();
  readonly #groups = new Map<number, ThreadGroup>();
  #next = 1;
  #last = 0;

  /** A fresh id, never one in use. */
  allocate(): number {
    for (;;) {
      const id = this.#next;
      this.#next = id >= PID_MAX ? 2 : id + 1;
      if (!this.#tasks.has(id) && !this.#groups.has(id) && !this.#inUseAsGroupOrSession(id)) return (this.#last = id);
    }
  }

  #inUseAsGroupOrSession(id: number): boolean {
    for (const g of this.#groups.values()) if (g.pgid === id || g.sid === id) return true;
    return false;
  }

  /** Registers a new task (and its process, when it is the first thread). */
  add(t: Task): void {
    this.#tasks.set(t.tid, t);
    if (!this.#groups.has(t.group.pid)) this.#groups.set(t.group.pid, t.group);
  }

  /** A task's id changed (exec from a non-leader thread takes the leader's). */
  retid(t: Task, oldTid: number): void {
    if (this.#tasks.get(oldTid) === t) this.#tasks.delete(oldTid);
    this.#tasks.set(t.tid, t);
  }

  /** The thread ended. */
  removeTask(t: Task): void {
    if (this.#tasks.get(t.tid) === t) this.#tasks.delete(t.tid);
  }

  /** The process was reaped. */
  removeGroup(g: ThreadGroup): void {
    if (this.#groups.get(g.pid) === g) this.#groups.delete(g.pid);
  }

  /** The id allocate() handed out last (/proc/loadavg's last field). */
  get last(): number {
    return this.#last;
  }

  get liveTasks(): number {
    return this.#tasks.size;
  }

  task(tid: number): Task | undefined {
    return this.#tasks.get(tid);
  }

  group(pid: number): ThreadGroup | undefined {
    return this.#groups.get(pid);
  }

  tasks(): IterableIterator<Task> {
    return this.#tasks.values();
  }

  /** Every process not yet reaped (zombies included), in pid order of creation. */
  groups(): IterableIterator<ThreadGroup> {
    return this.#groups.values();
  }

  /** Live or zombie processes in process group `pgid`. */
  *processGroup(pgid: number): IterableIterator<ThreadGroup> {
    for (const g of this.#groups.values()) if (g.pgid === pgid) yield g;
  }

  /** Processes that have ended and wait to be reaped (each still holds a pid). */
  get zombies(): number {
    let n = 0;
    for (const g of this.#groups.values()) if (g.exitStatus !== undefined) n++;
    return n;
  }
}
