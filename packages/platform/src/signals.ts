// The signals a user-mode CPU exception turns into, as Linux delivers them.
export const SIGILL = 4;
export const SIGTRAP = 5;
export const SIGBUS = 7;
export const SIGFPE = 8;
export const SIGSEGV = 11;

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
