// @tsv/ring0: the guest kernel (a page of stubs that only halt) and the
// guest layout, for the host that drives it. See README.md.
export * from './layout.js';
export * from './pte.js';
export type { FrameAllocator, PhysicalMemory } from './memory.js';
export {
  nullSegment,
  segment,
  SEGMENTS,
  type Segment,
  type SegmentKind,
  SREGS_CS,
  SREGS_SS,
  tssSegment,
  writeKvmSegment,
  writeUserSegments,
} from './segments.js';
export { STUB_CODE, STUB_SYMBOLS } from './stub.js';
export { type DTable, type ImageSregs, KernelImage, type MsrValue, type SharedEntry, writeKernelImage } from './image.js';
export * from './exits.js';
export { ENOMEM, PageTables, type RangeSink, Translation } from './pagetable.js';
