// @tsv/kvm-sys: the Linux KVM API from TypeScript, as it is.
export { Kvm } from './kvm.js';
export { Vm } from './vm.js';
export { Vcpu, XSAVE_SIZE } from './vcpu.js';
export { GuestMemory, MAX_REGION_SIZE, PAGE_SIZE } from './memory.js';
export { KvmError, ClosedError, errnoName } from './errors.js';
export { constant, constants, ioctl, ioctls, runOffsets, structSizes } from './ioctl.js';
export * from './structs.js';
export { native as binding } from './binding.js';
export { probeExitCost, type ExitProbe } from './selftest.js';
export { openPty, unixAccept, unixListen, unixSend } from './host-fds.js';
