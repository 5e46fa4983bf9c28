// The signals a user-mode CPU exception turns into, as Linux delivers them.
export const SIGILL = 4;
export const SIGTRAP = 5;
export const SIGBUS = 7;
export const SIGFPE = 8;
export const SIGSEGV = 11;
/**
 * Not a CPU exception's signal: ring 0 trapped, or KVM stopped the guest,
 * in a way the platform cannot pin on an instruction of the task (see
 * FaultInfo.signal). Nothing of the guest can be trusted to run on.
 */
export const SIGKILL = 9;

/** Exception vector (0-31) -> signal, per arch/x86/kernel/traps.c. */
export function signalForVector(vector: number): number {
  switch (vector) {
    case 0: // #DE divide error
    case 16: // #MF x87 error
    case 19: // #XM SIMD error
      return SIGFPE;
    case 1: // #DB
    case 3: // #BP int3
      return SIGTRAP;
    case 6: // #UD
      return SIGILL;
    case 11: // #NP
    case 12: // #SS
    case 17: // #AC
      return SIGBUS;
    default: // #OF, #BR, #TS, #GP, #PF and anything else
      return SIGSEGV;
  }
}
