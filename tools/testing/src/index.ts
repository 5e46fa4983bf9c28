export { assemble, type Assembled, type AssembleOptions } from './assemble.js';
export { announceKvmSkip, hasKvm, KVM_PATH, noKvmReason } from './kvm.js';
