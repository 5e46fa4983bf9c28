export {
  DEFAULT_PIE_BASE,
  type ElfSource,
  loadElf,
  type LoadOptions,
  type LoadPlan,
  type LoadSegment,
  MIN_LOAD_ADDR,
  type PreadFn,
  type TlsInfo,
  USER_ADDR_END,
} from './elf.js';
export { ARG_MAX, AT, buildInitialStack, type InitialStack, MAX_ARG_STRLEN, type StackImage, type StackOptions } from './stack.js';
export { loadVdso, type VdsoImage, VVAR_DEFAULT_CLOCKS, VVAR_OFFSET, VVAR_SIZE, type VvarParams, writeVvar } from './vdso.js';
