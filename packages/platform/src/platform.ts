// The platform contract, modelled on gVisor's platform.Platform /
// AddressSpace / Context. The Sentry is written against these interfaces
// only: a KVM platform (@tsv/platform/kvm), a ptrace one or an emulator can
// sit behind them and the Sentry cannot tell the difference.
import type { Registers } from './registers.js';

/** Memory protections, as mmap's PROT_* bits. */
export const PROT_NONE = 0;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;

export const PAGE_SIZE = 4096;

/**
 * Guest-physical memory: the frames the Sentry places at user addresses.
 * The Sentry reads and writes guest memory through `bytes` (copy-in and
 * copy-out), addressing it by frame address.
 */
export interface PhysicalMemory {
  /** Every frame, addressed by its guest-physical address. */
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** Total bytes of frames the allocator may hand out. */
  readonly capacity: number;
  /** Bytes handed out now. */
  readonly used: number;
  /**
   * Allocates `pages` contiguous zeroed frames aligned to `align` bytes (a
   * power of two, default 4 KiB) and returns the first one's address, or -1
   * when memory is exhausted.
   */
  allocate(pages: number, align?: number): number;
  /** Returns frames to the allocator; their contents are discarded. */
  free(address: number, pages: number): void;
  /** What the frame at `address` is now (FRAME_*), for invariant checks: only a FRAME_USER frame may be mapped at a user address. */
  frameKind(address: number): FrameKind;
}

/** PhysicalMemory.frameKind: free in the allocator. */
export const FRAME_FREE = 0;
/** Handed out by allocate(): the Sentry's to map at user addresses. */
export const FRAME_USER = 1;
/** The platform's own and never user-mappable: a page table (in use or waiting to be reused as one), the kernel image. */
export const FRAME_KERNEL = 2;
/** Not guest memory at all (past the end, unaligned, not a number). */
export const FRAME_INVALID = 3;
export type FrameKind = typeof FRAME_FREE | typeof FRAME_USER | typeof FRAME_KERNEL | typeof FRAME_INVALID;

/**
 * One process's user address space: page tables (or their equivalent) that
 * place frames of PhysicalMemory at user virtual addresses. The Sentry's
 * memory manager decides what goes where; an AddressSpace only records it.
 * Every address and length is page aligned and inside
 * [minUserAddress, maxUserAddress); violations throw RangeError (a Sentry
 * bug, never guest input).
 */
export interface AddressSpace {
  /**
   * Maps `length` bytes of frames starting at physical `address` at virtual
   * `va` with `prot`, replacing whatever was mapped there. The change is in
   * effect when the next switch() into this address space enters the guest.
   * Throws OutOfMemoryError when the page tables need memory there is not
   * (the guest's doing: the Sentry answers ENOMEM or kills it).
   */
  map(va: number, length: number, address: number, prot: number): void;
  /** Unmaps [va, va+length); unmapped pages fault on access. */
  unmap(va: number, length: number): void;
  /** Changes the protection of the mapped pages in [va, va+length); may throw OutOfMemoryError like map(). */
  protect(va: number, length: number, prot: number): void;
  /**
   * The physical address backing `va` if it is mapped with at least `prot`
   * (e.g. PROT_WRITE for copy-out), else -1.
   */
  translate(va: number, prot: number): number;
  /**
   * Calls `fn` for each run of pages the address space maps, in address
   * order, as the hardware would see them (`prot` as PROT_* bits; `address`
   * -1 for an entry that is corrupt). Slow: for invariant checks.
   */
  forEachMapping(fn: (va: number, length: number, address: number, prot: number) => void): void;
  /** Releases everything the address space holds (not the mapped frames). */
  release(): void;
}

/** Why switch() returned. */
export const Stop = {
  /** The task made a system call: number in orig_rax/rax, arguments in rdi..r9; rip is past the instruction. Put the result in rax. */
  Syscall: 1,
  /** A CPU exception: details in context.fault; registers are as at the faulting instruction. */
  Fault: 2,
  /** The task was kicked (interrupt()) or its time slice ended; resume it when you like. */
  Interrupt: 3,
} as const;
export type StopReason = (typeof Stop)[keyof typeof Stop];

/** Access bits of a fault (FaultInfo.access). */
export const ACCESS_READ = 1;
export const ACCESS_WRITE = 2;
export const ACCESS_EXEC = 4;

/** Filled in place by switch() when it returns Stop.Fault. */
export interface FaultInfo {
  /** x86 exception vector (0-31). */
  vector: number;
  /**
   * The signal Linux would deliver for it (SIGSEGV, SIGBUS, SIGILL, SIGFPE,
   * SIGTRAP), or SIGKILL: the platform saw a trap in its own kernel it cannot
   * pin on an instruction of the task, and the sandbox must die (vector -1
   * when no trap at all stopped the guest; address: where it stopped).
   */
  signal: number;
  /** Faulting address for a page fault (CR2), else the faulting instruction's address. */
  address: number;
  /** ACCESS_* of a page fault; 0 otherwise. */
  access: number;
  /** True when a page fault hit a mapped page with the wrong protection (vs. not present). */
  protection: boolean;
  /** The CPU's error code (0 where it pushes none). */
  errorCode: number;
}

/** A task's CPU state beyond the general registers: the FPU/SSE/AVX area. */
export interface FpuState {
  /** Opaque to the Sentry: save/restore image in the platform's format. */
  readonly bytes: Uint8Array;
}

/**
 * An execution context, like one CPU: it runs one task at a time.
 */
export interface Context {
  /**
   * Runs the task described by `regs` and `fpu` in `as` until it needs the
   * kernel, and says why. `regs` is read before and written after, in
   * place. `fpu` is loaded when the context does not hold it already; the
   * context keeps it in the CPU across stops (a context may hold several
   * states, one per task taking turns) and writes it back into `fpu.bytes`
   * only when it needs the room for another state, or on saveFpu() (so
   * that neither a system call nor a task switch need cost an FPU save).
   * `fpu.bytes` is read only when `fpu` is loaded: to change a task's
   * state, give it a new FpuState. Throws PlatformError only when the
   * platform itself failed (never for anything the task did).
   */
  switch(as: AddressSpace, regs: Registers, fpu: FpuState): StopReason;
  /** Brings `fpu.bytes` up to date now if this context holds `fpu` (e.g. for a signal frame). */
  saveFpu(fpu: FpuState): void;
  /**
   * `fpu` will not run again (its task ended, or was given a new state):
   * the context forgets any copy it holds, unsaved, and uses the room for
   * other states.
   */
  dropFpu(fpu: FpuState): void;
  /**
   * The kernel is about to wait (a parked system call, the event loop):
   * the time until the next switch() is not host work per exit (stats).
   */
  pause(): void;
  /** Details of the last Stop.Fault. */
  readonly fault: FaultInfo;
  /** Makes a running switch() return Stop.Interrupt promptly; any thread. */
  interrupt(): void;
  /** Preempts a running task every `periodNs` (0 stops it): switch() returns Stop.Interrupt. */
  setPreemption(periodNs: number): void;
  /** A fresh FPU state in the platform's format, as a new task starts with. */
  newFpuState(): FpuState;
  release(): void;
}

export interface Platform {
  readonly name: string;
  readonly memory: PhysicalMemory;
  /** Lowest and one-past-highest user virtual address. */
  readonly minUserAddress: number;
  readonly maxUserAddress: number;
  newAddressSpace(): AddressSpace;
  newContext(): Context;
  /** Counters since creation, for --stats. */
  readonly stats: PlatformStats;
  /**
   * A sample of the guest's time stamp counter and its frequency, if guest
   * code can read a TSC (RDTSC) that this sample relates to host time: the
   * Sentry's vDSO then answers clock_gettime without a system call.
   */
  guestTsc?(): { tsc: bigint; tscKhz: number };
  /**
   * What the guest's own CPUID and XGETBV instructions answer in ring 3 (on
   * some hosts the host CPU's answer, whatever the platform asked KVM to
   * report): the Sentry's AT_HWCAP and /proc/cpuinfo come from it.
   */
  guestCpu?(): GuestCpu;
  close(): void;
}

/** The CPU as a task sees it (Platform.guestCpu). */
export interface GuestCpu {
  /** CPUID `leaf`.`subleaf` as [eax, ebx, ecx, edx] (u32); zeros for a leaf past the CPU's maximum or not known to the platform. */
  cpuid(leaf: number, subleaf?: number): readonly [number, number, number, number];
  /** XCR0's low 32 bits as XGETBV shows them in ring 3: the XSAVE state components a task may use (0 without OSXSAVE). */
  readonly xcr0: number;
  /** RDFSBASE/WRFSBASE and the GS forms run in ring 3 (Linux's HWCAP2_FSGSBASE). */
  readonly fsgsbase: boolean;
}

export interface PlatformStats {
  /** Guest exits by kind. */
  exits: { syscall: number; fault: number; interrupt: number; other: number };
  /** Host nanoseconds spent between exits (from KVM_RUN returning to the next KVM_RUN), waits (pause()) excluded. */
  hostNs: number;
}

/** The platform itself failed (e.g. KVM reported an internal error). */
/** Guest memory ran out while the platform needed some (page tables): not a Sentry bug. */
export class OutOfMemoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OutOfMemoryError';
  }
}

export class PlatformError extends Error {
  /** Whatever the platform could gather: exit reason, registers, ... */
  readonly diagnostics: Record<string, unknown>;

  constructor(message: string, diagnostics: Record<string, unknown> = {}) {
    super(message);
    this.name = 'PlatformError';
    this.diagnostics = diagnostics;
  }
}
