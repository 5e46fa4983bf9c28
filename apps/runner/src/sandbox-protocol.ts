// The messages between a SandboxPool (the caller's thread) and one of its
// worker threads. A worker runs several sandboxes; each message names its
// sandbox by `id`. Messages of one sandbox arrive in the order they were
// sent (one port per direction), so its output and diagnostics all precede
// its 'ended'.
import type { DiagnosticKind, EngineResult, EngineSpec, ExecSpec, ExecStatus } from './sandbox-engine.js';
import type { MessagePort } from 'node:worker_threads';
import type { LimitName } from './report.js';

/** An error crossing back: a SandboxError (with its status) or, for a bug, any Error. */
export interface WireError {
  message: string;
  /** Set for a SandboxError. */
  status?: number;
  stack?: string;
}

/** The caller's thread to a worker. */
export type ToWorker =
  | { type: 'boot'; id: number; spec: EngineSpec }
  | { type: 'run'; id: number }
  | { type: 'kill'; id: number; signal: number }
  | { type: 'signal'; id: number; signal: number; all: boolean }
  | { type: 'end-for'; id: number; limit: LimitName }
  | { type: 'overflow'; id: number }
  | { type: 'stdin'; id: number; bytes: Uint8Array }
  | { type: 'stdin-end'; id: number }
  | { type: 'resize'; id: number; cols: number; rows: number }
  | { type: 'pause'; id: number }
  | { type: 'resume'; id: number }
  /** Another program in the running sandbox (Sandbox.exec), `execId` naming it in the answers. */
  | { type: 'exec'; id: number; execId: number; spec: ExecSpec }
  | { type: 'exec-signal'; id: number; execId: number; signal: number }
  /** Answered on the reply port of WorkerInit, for a caller blocked until it comes (reply.ts). */
  | { type: 'read-file'; id: number; path: string }
  | { type: 'dispose'; id: number };

/** A worker to the caller's thread. */
export type FromWorker =
  | { type: 'booted'; id: number }
  | { type: 'boot-failed'; id: number; error: WireError }
  | { type: 'output'; id: number; fd: 1 | 2; bytes: Uint8Array }
  | { type: 'diagnostic'; id: number; line: string; kind: DiagnosticKind }
  | { type: 'strace'; id: number; line: string }
  | { type: 'ended'; id: number; result: EngineResult }
  | { type: 'failed'; id: number; error: WireError }
  | { type: 'exec-started'; id: number; execId: number; pid: number }
  | { type: 'exec-failed'; id: number; execId: number; error: WireError }
  | { type: 'exec-ended'; id: number; execId: number; status: ExecStatus };

/** workerData of a pool's worker: the channel of blocking requests (reply.ts). */
export interface WorkerInit {
  /** Where the worker answers a blocking request (read-file). */
  replyPort: MessagePort;
  /** Int32 [REPLY_READY, WORKER_TID]: see reply.ts. */
  replyState: SharedArrayBuffer;
}
