// The vCPU's life as an explicit state machine, so that a run loop bug (a
// re-entrant run, running a dead vCPU, resuming without having decoded the
// last exit) is an error at the transition, not memory corruption later.
//
//   idle ──enter──▶ in-guest ──exit──▶ in-host ──enter──▶ in-guest
//     ▲                │                 │
//     └─────park───────┼─────────────────┘
//   dead ◀──────────── any (close, or a fatal exit)

export const VcpuState = {
  /** Created and configured; no task is loaded. */
  Idle: 'idle',
  /** Inside KVM_RUN. */
  InGuest: 'in-guest',
  /** KVM_RUN returned; the host is handling the exit. */
  InHost: 'in-host',
  /** Closed, or failed beyond repair. Nothing may follow. */
  Dead: 'dead',
} as const;
export type VcpuStateName = (typeof VcpuState)[keyof typeof VcpuState];

const ALLOWED: Record<VcpuStateName, readonly VcpuStateName[]> = {
  idle: ['in-guest', 'dead'],
  'in-guest': ['in-host', 'dead'],
  'in-host': ['in-guest', 'idle', 'dead'],
  dead: [],
};

export class InvalidTransitionError extends Error {
  constructor(from: VcpuStateName, to: VcpuStateName) {
    super(`vCPU state: ${from} -> ${to} is not allowed`);
    this.name = 'InvalidTransitionError';
  }
}

export class StateMachine {
  #state: VcpuStateName = VcpuState.Idle;

  get state(): VcpuStateName {
    return this.#state;
  }

  /** Moves to `next`, or throws InvalidTransitionError. */
  to(next: VcpuStateName): void {
    if (!ALLOWED[this.#state].includes(next)) throw new InvalidTransitionError(this.#state, next);
    this.#state = next;
  }

  static canMove(from: VcpuStateName, to: VcpuStateName): boolean {
    return ALLOWED[from].includes(to);
  }
}
