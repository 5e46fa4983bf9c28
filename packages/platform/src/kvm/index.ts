// @tsv/platform/kvm: the Platform interface implemented on KVM.
export { KvmAddressSpace, pteFlags } from './address-space.js';
export { KvmContext } from './context.js';
export { PROBED_LEAVES } from './cpu-probe.js';
export { type DirtyFrames, FrameAllocator } from './frames.js';
export { KvmPlatform, type KvmPlatformOptions } from './platform.js';
export { Revoker } from './revoke.js';
export { SpareMemory } from './spare-memory.js';
