// What a KVM_RUN ended with, decoded once into numbers the run loop can
// switch on. Nothing here allocates on the expected paths.

export const Exit = {
  /** A system call from ring 3 (vcpu.trap holds the user RIP/RSP/RFLAGS; arguments are in the registers). */
  Syscall: 1,
  /** A CPU exception from ring 3 (vcpu.trap: vector, error code, CR2). */
  Exception: 2,
  /** A kick or the preemption tick. */
  Interrupt: 3,
  /**
   * Anything else: vcpu.unexpected says what (shutdown, internal error, failed
   * entry, a kernel-mode trap); vcpu.trap holds the vector (-1 unless a stub
   * halted), and RIP and CR2 (addr) where the vCPU stopped.
   */
  Unexpected: 4,
} as const;
export type ExitKind = (typeof Exit)[keyof typeof Exit];

/** Exit reasons of struct kvm_run, by number, for diagnostics. */
export const KVM_EXIT_NAMES: Readonly<Record<number, string>> = {
  0: 'UNKNOWN',
  1: 'EXCEPTION',
  2: 'IO',
  3: 'HYPERCALL',
  4: 'DEBUG',
  5: 'HLT',
  6: 'MMIO',
  7: 'IRQ_WINDOW_OPEN',
  8: 'SHUTDOWN',
  9: 'FAIL_ENTRY',
  10: 'INTR',
  11: 'SET_TPR',
  12: 'TPR_ACCESS',
  16: 'NMI',
  17: 'INTERNAL_ERROR',
  24: 'SYSTEM_EVENT',
};

/**
 * Counters a vCPU keeps, for `tsv run --stats` and the benchmarks. Several
 * vCPUs that take turns on one thread (one context's) may share one: the
 * host time then runs from whichever exited last to whichever enters next.
 */
export class VcpuStats {
  syscalls = 0;
  exceptions = 0;
  interrupts = 0;
  unexpected = 0;
  /** Host time between KVM_RUN returning and the next KVM_RUN, summed (ns). */
  hostNs = 0;
  /** KVM_RUN calls. */
  runs = 0;
  /** Calls into ring-0 routines (callKernel). */
  kernelRuns = 0;
  /** performance.now() at the last exit, 0 while idle (the time until the next run is not host work). Not reset. */
  exitedAt = 0;

  reset(): void {
    this.syscalls = this.exceptions = this.interrupts = this.unexpected = this.hostNs = this.runs = this.kernelRuns = 0;
  }
}
