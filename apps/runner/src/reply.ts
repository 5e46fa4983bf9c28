// Blocking requests from the caller's thread to a worker: the few calls of
// the Sandbox API that are synchronous (result.readFile) while what they
// read lives in the worker. The caller posts the request as any message,
// then blocks in Atomics.wait until the worker has put its answer on a port
// of their own and set a flag; it takes the answer with receiveMessageOnPort.
// The worker never waits on the caller, so this cannot deadlock; a worker
// busy in a guest answers at its next return to its event loop (at most a
// preemption tick). A worker that is gone never answers: the caller checks
// its thread between short waits.
import { existsSync } from 'node:fs';
import { type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import { binding } from '@tsv/kvm-sys';

/** Slots of the shared Int32Array. */
const REPLY_READY = 0;
/** The worker's thread id (gettid), set when it starts. */
const WORKER_TID = 1;
/** How long the caller waits before checking that the worker's thread still exists. */
const CHECK_MS = 50;

export function newReplyState(): SharedArrayBuffer {
  return new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
}

/** The caller's side: sends with `post`, blocks until the answer (undefined when the worker is gone). */
export function blockingRequest(state: SharedArrayBuffer, port: MessagePort, post: () => void): unknown {
  const s = new Int32Array(state);
  Atomics.store(s, REPLY_READY, 0);
  post();
  while (Atomics.wait(s, REPLY_READY, 0, CHECK_MS) === 'timed-out') {
    const tid = Atomics.load(s, WORKER_TID);
    if (tid !== 0 && !existsSync(`/proc/self/task/${tid}`)) return undefined;
  }
  return receiveMessageOnPort(port)?.message;
}

/** The worker's side, once at its start. */
export function announceWorker(state: SharedArrayBuffer): void {
  Atomics.store(new Int32Array(state), WORKER_TID, binding.gettid());
}

/** The worker's side: the answer to the request being waited for. */
export function reply(state: SharedArrayBuffer, port: MessagePort, answer: unknown): void {
  port.postMessage(answer);
  const s = new Int32Array(state);
  Atomics.store(s, REPLY_READY, 1);
  Atomics.notify(s, REPLY_READY);
}
