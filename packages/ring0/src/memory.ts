// Guest-physical memory as the host sees it: byte and DataView access to the
// region that starts at GPA 0 (e.g. @tsv/kvm-sys GuestMemory).
export interface PhysicalMemory {
  readonly bytes: Uint8Array;
  readonly view: DataView;
}

/** Frames for page tables. alloc() returns the GPA of a 4 KiB frame, or -1 when none is left. */
export interface FrameAllocator {
  alloc(): number;
  free(gpa: number): void;
}
