import { describe, expect, it } from 'vitest';
import { InvalidTransitionError, StateMachine, VcpuState, type VcpuStateName } from './state.js';

const ALL = Object.values(VcpuState) as VcpuStateName[];

describe('vCPU state machine', () => {
  it('follows the run cycle', () => {
    const m = new StateMachine();
    expect(m.state).toBe('idle');
    for (const s of ['in-guest', 'in-host', 'in-guest', 'in-host', 'idle', 'in-guest', 'in-host', 'dead'] as const) {
      m.to(s);
      expect(m.state).toBe(s);
    }
  });

  it('allows exactly the documented transitions', () => {
    const allowed = new Set([
      'idle>in-guest',
      'idle>dead',
      'in-guest>in-host',
      'in-guest>dead',
      'in-host>in-guest',
      'in-host>idle',
      'in-host>dead',
    ]);
    for (const from of ALL) {
      for (const to of ALL) {
        expect(StateMachine.canMove(from, to), `${from} -> ${to}`).toBe(allowed.has(`${from}>${to}`));
      }
    }
  });

  it('rejects a re-entrant run, a run after death and leaving death', () => {
    const m = new StateMachine();
    m.to('in-guest');
    expect(() => m.to('in-guest')).toThrow(InvalidTransitionError);
    expect(() => m.to('idle')).toThrow(/in-guest -> idle is not allowed/);
    m.to('dead');
    for (const s of ALL) expect(() => m.to(s)).toThrow(InvalidTransitionError);
  });
});
