// The memory manager: VMAs, mmap family, demand paging, copy-in/out.
export * from './constants.js';
export { MemoryAccount } from './account.js';
export { FakeAddressSpace, FakePhysicalMemory, type FakePte } from './fake.js';
export { type FileKey, fileKey, FilePages, keyOf, PageCache } from './filecache.js';
export { type FrameHolder, Frames, MemoryInvariantError } from './frames.js';
export { formatMaps, formatMapsLine } from './maps.js';
export { MemoryManager, type MemoryManagerOptions } from './mm.js';
export {
  accessAllowed,
  FAULT_ACCERR,
  FAULT_MAPERR,
  FAULT_OK,
  FAULT_OOM,
  FAULT_SIGBUS,
  mapProt,
  type MmStats,
  type MmTunables,
  pageIndex,
} from './pager.js';
export { type SharedMapper, SharedMemory } from './shared.js';
export { type Iovec, U64, UserAccess } from './usercopy.js';
export { type MappedFile, type Vma, VMA_GROWSDOWN, VMA_LOCKED, VMA_NORESERVE, VMA_SHARED, VmaList } from './vma.js';
