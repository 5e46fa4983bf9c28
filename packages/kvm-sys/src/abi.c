/*
 * The KVM ABI as the C compiler reads it from <linux/kvm.h>: ioctl request
 * numbers, struct sizes and kvm_run offsets. This file is C, not C++, on
 * purpose: in C++ a __DECLARE_FLEX_ARRAY member has size 1, which changes
 * sizeof(struct kvm_cpuid2), kvm_msrs, ... and with it the ioctl numbers.
 */
#include <stddef.h>
#include <linux/kvm.h>

#include "abi.h"

#define IO(name) { #name, (double)(name) },
const struct abi_entry kvm_abi_ioctls[] = {
  IO(KVM_GET_API_VERSION) IO(KVM_CREATE_VM) IO(KVM_CHECK_EXTENSION)
  IO(KVM_GET_VCPU_MMAP_SIZE) IO(KVM_GET_SUPPORTED_CPUID) IO(KVM_GET_MSR_INDEX_LIST)
  IO(KVM_CREATE_VCPU) IO(KVM_SET_USER_MEMORY_REGION) IO(KVM_SET_TSS_ADDR)
  IO(KVM_SET_IDENTITY_MAP_ADDR) IO(KVM_ENABLE_CAP)
  IO(KVM_RUN) IO(KVM_GET_REGS) IO(KVM_SET_REGS) IO(KVM_GET_SREGS) IO(KVM_SET_SREGS)
  IO(KVM_GET_FPU) IO(KVM_SET_FPU) IO(KVM_GET_XSAVE) IO(KVM_SET_XSAVE)
  IO(KVM_GET_MSRS) IO(KVM_SET_MSRS) IO(KVM_SET_CPUID2) IO(KVM_GET_CPUID2)
  IO(KVM_SET_GUEST_DEBUG) IO(KVM_GET_XCRS) IO(KVM_SET_XCRS) IO(KVM_GET_TSC_KHZ)
  { 0, 0 } };
#undef IO

#define OFF(field, name) { name, (double)offsetof(struct kvm_run, field) },
const struct abi_entry kvm_abi_run_offsets[] = {
  OFF(request_interrupt_window, "request_interrupt_window")
  OFF(immediate_exit, "immediate_exit")
  OFF(exit_reason, "exit_reason")
  OFF(if_flag, "if_flag")
  OFF(flags, "flags")
  OFF(cr8, "cr8")
  OFF(apic_base, "apic_base")
  OFF(hw.hardware_exit_reason, "hw.hardware_exit_reason")
  OFF(fail_entry.hardware_entry_failure_reason, "fail_entry.hardware_entry_failure_reason")
  OFF(fail_entry.cpu, "fail_entry.cpu")
  OFF(ex.exception, "ex.exception")
  OFF(ex.error_code, "ex.error_code")
  OFF(io.direction, "io.direction")
  OFF(io.size, "io.size")
  OFF(io.port, "io.port")
  OFF(io.count, "io.count")
  OFF(io.data_offset, "io.data_offset")
  OFF(mmio.phys_addr, "mmio.phys_addr")
  OFF(mmio.data, "mmio.data")
  OFF(mmio.len, "mmio.len")
  OFF(mmio.is_write, "mmio.is_write")
  OFF(internal.suberror, "internal.suberror")
  OFF(internal.ndata, "internal.ndata")
  OFF(internal.data, "internal.data")
  OFF(system_event.type, "system_event.type")
  OFF(kvm_valid_regs, "kvm_valid_regs")
  OFF(kvm_dirty_regs, "kvm_dirty_regs")
  OFF(s.regs.regs, "s.regs.regs")
  OFF(s.regs.sregs, "s.regs.sregs")
  OFF(s.regs.events, "s.regs.events")
  { 0, 0 } };
#undef OFF

#define SZ(t) { #t, (double)sizeof(struct t) },
const struct abi_entry kvm_abi_sizes[] = {
  SZ(kvm_run) SZ(kvm_regs) SZ(kvm_sregs) SZ(kvm_segment) SZ(kvm_dtable)
  SZ(kvm_fpu) SZ(kvm_xsave) SZ(kvm_msrs) SZ(kvm_msr_entry) SZ(kvm_msr_list)
  SZ(kvm_cpuid2) SZ(kvm_cpuid_entry2) SZ(kvm_guest_debug) SZ(kvm_enable_cap)
  SZ(kvm_userspace_memory_region) SZ(kvm_xcrs) SZ(kvm_vcpu_events)
  { 0, 0 } };
#undef SZ

#define K(name) { #name, (double)(name) },
const struct abi_entry kvm_abi_constants[] = {
  K(KVM_API_VERSION)
  K(KVM_EXIT_UNKNOWN) K(KVM_EXIT_EXCEPTION) K(KVM_EXIT_IO) K(KVM_EXIT_HYPERCALL)
  K(KVM_EXIT_DEBUG) K(KVM_EXIT_HLT) K(KVM_EXIT_MMIO) K(KVM_EXIT_IRQ_WINDOW_OPEN)
  K(KVM_EXIT_SHUTDOWN) K(KVM_EXIT_FAIL_ENTRY) K(KVM_EXIT_INTR) K(KVM_EXIT_SET_TPR)
  K(KVM_EXIT_TPR_ACCESS) K(KVM_EXIT_NMI) K(KVM_EXIT_INTERNAL_ERROR) K(KVM_EXIT_SYSTEM_EVENT)
  K(KVM_EXIT_IO_IN) K(KVM_EXIT_IO_OUT)
  K(KVM_CAP_IRQCHIP) K(KVM_CAP_HLT) K(KVM_CAP_USER_MEMORY) K(KVM_CAP_SET_TSS_ADDR)
  K(KVM_CAP_EXT_CPUID) K(KVM_CAP_NR_VCPUS) K(KVM_CAP_NR_MEMSLOTS) K(KVM_CAP_SYNC_MMU)
  K(KVM_CAP_SET_IDENTITY_MAP_ADDR) K(KVM_CAP_IMMEDIATE_EXIT) K(KVM_CAP_SYNC_REGS)
  K(KVM_CAP_XSAVE) K(KVM_CAP_XSAVE2) K(KVM_CAP_XCRS) K(KVM_CAP_SET_GUEST_DEBUG)
  K(KVM_CAP_READONLY_MEM) K(KVM_CAP_MAX_VCPUS) K(KVM_CAP_ADJUST_CLOCK)
  K(KVM_CAP_GET_MSR_FEATURES) K(KVM_CAP_TSC_CONTROL) K(KVM_CAP_GET_TSC_KHZ)
  K(KVM_SYNC_X86_REGS) K(KVM_SYNC_X86_SREGS) K(KVM_SYNC_X86_EVENTS)
  K(KVM_MEM_READONLY) K(KVM_MEM_LOG_DIRTY_PAGES)
  K(KVM_GUESTDBG_ENABLE) K(KVM_GUESTDBG_SINGLESTEP) K(KVM_GUESTDBG_USE_SW_BP)
  K(KVM_GUESTDBG_USE_HW_BP)
  K(KVM_INTERNAL_ERROR_EMULATION) K(KVM_INTERNAL_ERROR_SIMUL_EX)
  K(KVM_INTERNAL_ERROR_DELIVERY_EV)
  { 0, 0 } };
#undef K
