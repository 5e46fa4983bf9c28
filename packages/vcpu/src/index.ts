// @tsv/vcpu: one KVM vCPU running the @tsv/ring0 image, with an explicit state machine.
export { Exit, type ExitKind, KVM_EXIT_NAMES, VcpuStats } from './exit.js';
export { InvalidTransitionError, StateMachine, VcpuState, type VcpuStateName } from './state.js';
export { KvmReg, VirtualCpu } from './vcpu.js';
