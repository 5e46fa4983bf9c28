// Futex wait queues, as Linux's kernel/futex: a waiter parks (park.ts) on a
// key until a wake on the same key, its deadline, or a signal.
//
// Keys: a private futex (FUTEX_PRIVATE_FLAG, or any word in private memory)
// is (address space, virtual address), so threads sharing memory meet and
// processes do not. A shared futex on a word in MAP_SHARED memory is keyed by
// the guest-physical address of the word, so processes mapping the same
// frames at any address meet there, as Linux keys them by page.
import type { Task, TaskMemory } from './task.js';
import { Park, type ParkEnd } from './park.js';

export const FUTEX_BITSET_MATCH_ANY = 0xffff_ffff;

export interface FutexKey {
  /** The address space, or the sandbox's guest memory for a physical key. */
  space: object;
  addr: number;
}

interface Waiter {
  park: Park;
  bitset: number;
  /** Where it waits now; a requeue moves it. */
  key: FutexKey;
}

const queues = new WeakMap<object, Map<number, Waiter[]>>();

/**
 * The key of the word at `addr` of `mm`: physical when the futex is shared
 * and the word lies in shared memory the caller can read, else private.
 */
export function futexKey(mm: TaskMemory, addr: number, shared: boolean): FutexKey {
  if (shared) {
    // Guest-physical addresses of different sandboxes overlap: the space is this sandbox's memory.
    const pa = mm.sharedAddress?.(addr) ?? -1;
    if (pa >= 0 && mm.physical !== undefined) return { space: mm.physical, addr: pa };
  }
  return { space: mm, addr };
}

function queueOf(key: FutexKey, create: boolean): Waiter[] | undefined {
  let space = queues.get(key.space);
  if (space === undefined) {
    if (!create) return undefined;
    queues.set(key.space, (space = new Map()));
  }
  let q = space.get(key.addr);
  if (q === undefined && create) space.set(key.addr, (q = []));
  return q;
}

function dropIfEmpty(key: FutexKey): void {
  const space = queues.get(key.space);
  if (space?.get(key.addr)?.length === 0) space.delete(key.addr);
}

/**
 * Parks `t` on `key` until woken ('woken'), its deadline ('timeout') or a
 * signal ('interrupted'); a waiter that did not end woken has left the queue.
 */
export async function futexWait(t: Task, key: FutexKey, bitset: number, deadline?: bigint): Promise<ParkEnd> {
  const waiter: Waiter = { park: new Park(t, deadline), bitset, key };
  queueOf(key, true)!.push(waiter);
  const end = await waiter.park.promise;
  if (end !== 'woken') {
    const q = queueOf(waiter.key, false);
    const i = q?.indexOf(waiter) ?? -1;
    if (i >= 0) q!.splice(i, 1);
    dropIfEmpty(waiter.key);
  }
  return end;
}

/** Wakes up to `n` waiters on `key` whose bitset meets `bitset`, oldest first; returns how many. */
export function futexWake(key: FutexKey, n: number, bitset = FUTEX_BITSET_MATCH_ANY): number {
  const q = queueOf(key, false);
  if (q === undefined) return 0;
  let woken = 0;
  for (let i = 0; i < q.length && woken < n; ) {
    const w = q[i]!;
    if ((w.bitset & bitset) === 0) {
      i++;
      continue;
    }
    q.splice(i, 1);
    if (w.park.wake()) woken++;
  }
  dropIfEmpty(key);
  return woken;
}

/** Wakes `nWake` waiters of `from` and moves up to `nRequeue` more to `to`; returns both counts added. */
export function futexRequeue(from: FutexKey, to: FutexKey, nWake: number, nRequeue: number): number {
  const woken = futexWake(from, nWake);
  const q = queueOf(from, false);
  if (q === undefined) return woken;
  const moved = q.splice(0, nRequeue);
  dropIfEmpty(from);
  for (const w of moved) w.key = to;
  if (moved.length > 0) queueOf(to, true)!.push(...moved);
  return woken + moved.length;
}

/** How many tasks wait on `key` (for tests and /proc). */
export function futexWaiters(key: FutexKey): number {
  return queueOf(key, false)?.length ?? 0;
}
