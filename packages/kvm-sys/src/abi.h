/* Name/value tables of the KVM ABI, filled in by abi.c (compiled as C). */
#ifndef TSV_KVM_SYS_ABI_H
#define TSV_KVM_SYS_ABI_H

#ifdef __cplusplus
extern "C" {
#endif

struct abi_entry {
  const char* name; /* NULL ends a table */
  double value;
};

extern const struct abi_entry kvm_abi_ioctls[];
extern const struct abi_entry kvm_abi_run_offsets[];
extern const struct abi_entry kvm_abi_sizes[];
extern const struct abi_entry kvm_abi_constants[];

#ifdef __cplusplus
}
#endif
#endif
