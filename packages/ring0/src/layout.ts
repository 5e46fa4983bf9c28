// The fixed guest layout: where the kernel lives in guest-physical memory and
// in the kernel half of every address space, the selectors, and the control
// and MSR values every vCPU starts with. All numbers here are a contract with
// src/ring0.S, the host's exit decoding and every address-space root.
//
// Guest-physical: the kernel occupies [0, KERNEL_PHYS_END); every frame above
// it belongs to the Sentry's frame allocator. Virtual: the kernel is the
// guest-physical window [0, 2 MiB) seen at KERNEL_VA_BASE, in PML4 slot 511,
// so a kernel VA is (KERNEL_VA_HI << 32) | gpa and user space keeps the whole
// lower half. Only the pages listed below are mapped there, all
// supervisor-only; page-table pages are not mapped at all.

export const PAGE_SIZE = 0x1000;
export const HUGE_PAGE_SIZE = 0x20_0000;

/** Upper 32 bits of every kernel virtual address (PML4 slot 511). */
export const KERNEL_VA_HI = 0xffff_ff80;
export const KERNEL_VA_BASE = 0xffff_ff80_0000_0000n;
/** The PML4 slot holding the kernel half; user roots copy this entry. */
export const KERNEL_PML4_INDEX = 511;

/** Guest-physical memory from here up is free for the Sentry's frames. */
export const KERNEL_PHYS_END = 0x10_0000;

/** Kernel-only root (CR3 when no address space is loaded) and the kernel-half tables. */
export const KERNEL_PML4_GPA = 0x1000;
export const KERNEL_PDPT_GPA = 0x2000;
export const KERNEL_PD_GPA = 0x3000;
/** Maps the kernel window [KERNEL_VA_BASE, +2 MiB). */
export const KERNEL_PT_GPA = 0x4000;
/** 32 64-bit interrupt gates, read-only, shared by every vCPU. */
export const IDT_GPA = 0x5000;
export const IDT_VECTORS = 32;
/** The assembled src/ring0.S: one read-only, executable page. */
export const STUB_GPA = 0x6000;

/** Per-vCPU page: GDT at +0, TSS at +TSS_OFFSET. Read-only for the guest. */
export const PERCPU_GPA = 0x8000;
export const GDT_OFFSET = 0;
export const GDT_ENTRIES = 10;
export const TSS_OFFSET = 0x80;
export const TSS_SIZE = 0x68;

/**
 * Per-vCPU stacks, STACK_BLOCK bytes each: [guard][IST stack][guard][kernel
 * stack]. Every exception frame goes on the IST stack (IST_INDEX); the
 * kernel stack serves the host's ring-0 routines. Guards are unmapped, so an
 * overflow faults instead of running into other data.
 */
export const STACKS_GPA = 0x10000;
export const STACK_BLOCK = 0x4000;
export const IST_STACK_OFFSET = 0x1000;
export const KERNEL_STACK_OFFSET = 0x3000;

export const MAX_VCPUS = 8;

/**
 * The physmap: all guest-physical memory, supervisor-only and not
 * executable, at PHYSMAP_VA_BASE + gpa (PML4 slot 510), with 2 MiB pages.
 * Only the stub's revoke routine uses it, to store page-table entries.
 */
export const PHYSMAP_PML4_INDEX = 510;
export const PHYSMAP_VA_HI = 0xffff_ff00;
export const PHYSMAP_VA_BASE = 0xffff_ff00_0000_0000n;
export const PHYSMAP_PDPT_GPA = 0x3_0000;
/** Four page directories: the physmap covers at most 4 GiB. */
export const PHYSMAP_PD_GPA = 0x3_1000;
export const PHYSMAP_MAX_BYTES = 2 ** 32;

/** Per-vCPU page holding the revoke routine's (entry VA, value) list, read through the physmap. */
export const REVOKE_LIST_GPA = 0x3_8000;
export const REVOKE_LIST_ENTRY_SIZE = 16;
export const REVOKE_LIST_CAPACITY = PAGE_SIZE / REVOKE_LIST_ENTRY_SIZE;

/**
 * Every vector is delivered on IST1, the vCPU's own exception stack: ring 0
 * never pushes a frame at an RSP ring 3 chose, even when it takes a trap
 * that ring 3 caused while ring 0 still ran on the user's RSP (a SYSCALL
 * entry, which switches no stack). TSS.RSP0 is then used only by the host's
 * ring-0 routines (callKernel in @tsv/vcpu).
 */
export const IST_INDEX = 1;
/** Gates ring 3 may raise with INT3 / INTO (DPL 3); all others are DPL 0. */
export const USER_GATE_VECTORS: readonly number[] = [3, 4];
/** Vectors for which the CPU pushes an error code (ring0.S pushes 0 for the rest). */
export const ERROR_CODE_VECTORS: readonly number[] = [8, 10, 11, 12, 13, 14, 17, 21, 29, 30];

// ---- stub code (offsets inside the STUB_GPA page; see src/ring0.S) ----

/** MSR_LSTAR target: `hlt`. */
export const STUB_SYSCALL_OFFSET = 0x000;
/** MSR_CSTAR target (SYSCALL from 32-bit code, AMD only): `hlt`. Unreachable: ring 3 cannot enter 32-bit code. */
export const STUB_SYSCALL_COMPAT_OFFSET = 0x080;
/** Vector v's stub is at STUB_VECTORS_OFFSET + v * STUB_STRIDE. */
export const STUB_VECTORS_OFFSET = 0x100;
export const STUB_STRIDE = 16;
/** Offset of the `hlt` inside a vector stub: RIP after it is stub + 5. */
export const STUB_HLT_OFFSET = 4;
export const STUB_SIZE = PAGE_SIZE;

/** The revoke routine (RDI = list VA, RSI = count) and its hlt. */
export const STUB_REVOKE_OFFSET = 0x800;
export const STUB_REVOKE_EXIT_OFFSET = 0x820;
/** RIP low halves of the revoke routine's entry and of its HLT exit (kernel VA high half: KERNEL_VA_HI). */
export const REVOKE_ENTRY_LO = STUB_GPA + STUB_REVOKE_OFFSET;
export const REVOKE_EXIT_LO = STUB_GPA + STUB_REVOKE_EXIT_OFFSET + 1;

/** Low 32 bits of LSTAR (the high half is KERNEL_VA_HI). */
export const LSTAR_LO = STUB_GPA + STUB_SYSCALL_OFFSET;

// ---- selectors (the Linux x86-64 GDT layout, which this PVM host requires) ----

export const KERNEL_CS = 0x10;
export const KERNEL_DS = 0x18;
/**
 * Linux's 32-bit user code selector. Here its GDT slot holds a kernel-only
 * data descriptor (segments.ts): ring 3 cannot enter compatibility mode.
 * It stays STAR's SYSRET base, from which SYSRET derives 0x2b and 0x33.
 */
export const USER_CS32 = 0x23;
export const USER_DS = 0x2b;
export const USER_CS = 0x33;
export const TSS_SELECTOR = 0x40;

// ---- control registers and MSRs ----

export const CR0_PE = 0x1;
export const CR0_MP = 0x2;
export const CR0_ET = 0x10;
export const CR0_NE = 0x20;
export const CR0_WP = 0x1_0000;
export const CR0_AM = 0x4_0000;
export const CR0_PG = 0x8000_0000;
/** WP makes read-only kernel pages read-only for ring 0 too. */
export const CR0 = (CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG) >>> 0;

export const CR4_PAE = 0x20;
export const CR4_OSFXSR = 0x200;
export const CR4_OSXMMEXCPT = 0x400;
export const CR4_FSGSBASE = 0x1_0000;
export const CR4_OSXSAVE = 0x4_0000;
export const CR4_UMIP = 0x800;
export const CR4_SMEP = 0x10_0000;
export const CR4_SMAP = 0x20_0000;
/** OSXSAVE is left to the vCPU setup: it needs XCR0 and CPUID agreement. */
export const CR4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_FSGSBASE;
/**
 * What keeps ring 3 away from ring 0 beyond the page tables (README, "What
 * protects ring 0 on PVM"): ring 0 may neither run (SMEP) nor touch (SMAP)
 * user pages, and ring 3 may not read the descriptor-table registers
 * (UMIP). Not in CR4: the vCPU setup enables each one KVM_SET_SREGS accepts.
 */
export const CR4_PROTECTIONS: readonly number[] = [CR4_SMEP, CR4_SMAP, CR4_UMIP];

export const EFER_SCE = 0x1;
export const EFER_LME = 0x100;
export const EFER_LMA = 0x400;
export const EFER_NXE = 0x800;
export const EFER = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;

export const MSR_STAR = 0xc000_0081;
export const MSR_LSTAR = 0xc000_0082;
export const MSR_CSTAR = 0xc000_0083;
export const MSR_SFMASK = 0xc000_0084;
export const MSR_FS_BASE = 0xc000_0100;
export const MSR_GS_BASE = 0xc000_0101;
export const MSR_KERNEL_GS_BASE = 0xc000_0102;

/** SYSCALL loads CS 0x10 / SS 0x18; SYSRET (never executed here) would load 0x33 / 0x2b. */
export const STAR = (BigInt(USER_CS32) << 48n) | (BigInt(KERNEL_CS) << 32n);
export const LSTAR = KERNEL_VA_BASE | BigInt(LSTAR_LO);
export const CSTAR = KERNEL_VA_BASE | BigInt(STUB_GPA + STUB_SYSCALL_COMPAT_OFFSET);

export const RFLAGS_CF = 0x1;
export const RFLAGS_FIXED = 0x2;
export const RFLAGS_PF = 0x4;
export const RFLAGS_AF = 0x10;
export const RFLAGS_ZF = 0x40;
export const RFLAGS_SF = 0x80;
export const RFLAGS_TF = 0x100;
export const RFLAGS_IF = 0x200;
export const RFLAGS_DF = 0x400;
export const RFLAGS_OF = 0x800;
export const RFLAGS_IOPL = 0x3000;
export const RFLAGS_NT = 0x4000;
export const RFLAGS_RF = 0x1_0000;
export const RFLAGS_AC = 0x4_0000;
export const RFLAGS_ID = 0x20_0000;
/** Cleared on SYSCALL (as Linux): TF, DF, IF, IOPL, NT, AC. */
export const SFMASK = RFLAGS_TF | RFLAGS_DF | RFLAGS_IF | RFLAGS_IOPL | RFLAGS_NT | RFLAGS_AC;
/** The RFLAGS bits ring 3 may choose; everything else comes from the host. */
export const USER_RFLAGS_MASK =
  RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_TF | RFLAGS_DF | RFLAGS_OF | RFLAGS_AC | RFLAGS_ID;

/**
 * RFLAGS to resume ring 3 with, from a guest-supplied value (R11 after a
 * SYSCALL, or a signal frame): only user-choosable bits survive, IF is set,
 * IOPL/NT/VM and friends are never the guest's to set.
 */
export function userRflags(value: number): number {
  return ((value & USER_RFLAGS_MASK) | RFLAGS_IF | RFLAGS_FIXED) >>> 0;
}

// ---- the user address range ----

/** Lowest user address the Sentry may map (page 0 stays unmapped). */
export const USER_MIN = 0x1000;
/** One past the highest user address (as Linux: the last lower-half page is never mapped). */
export const USER_MAX = 0x7fff_ffff_f000;
/** One past the lower canonical half: user page tables cover [0, LOWER_HALF_END). */
export const LOWER_HALF_END = 2 ** 47;

// ---- per-vCPU addresses (guest-physical; the kernel VA has the same low 32 bits) ----

export function percpuGpa(cpu: number): number {
  return PERCPU_GPA + cpu * PAGE_SIZE;
}

export function gdtGpa(cpu: number): number {
  return percpuGpa(cpu) + GDT_OFFSET;
}

export function tssGpa(cpu: number): number {
  return percpuGpa(cpu) + TSS_OFFSET;
}

/** Top of vCPU `cpu`'s kernel stack (TSS.RSP0): the host's ring-0 routines run on it. */
export function kernelStackTop(cpu: number): number {
  return STACKS_GPA + cpu * STACK_BLOCK + KERNEL_STACK_OFFSET + PAGE_SIZE;
}

/** vCPU `cpu`'s revoke list page. */
export function revokeListGpa(cpu: number): number {
  return REVOKE_LIST_GPA + cpu * PAGE_SIZE;
}

/** Top of vCPU `cpu`'s IST1 stack, where every exception frame is pushed. */
export function istStackTop(cpu: number): number {
  return STACKS_GPA + cpu * STACK_BLOCK + IST_STACK_OFFSET + PAGE_SIZE;
}

/** Full 64-bit kernel virtual address of a kernel guest-physical address. */
export function kernelVa(gpa: number): bigint {
  return KERNEL_VA_BASE | BigInt(gpa);
}

/** Guest-physical address of vector v's stub; the HLT exit shows RIP low half = this + STUB_HLT_OFFSET + 1. */
export function vectorStubGpa(vector: number): number {
  return STUB_GPA + STUB_VECTORS_OFFSET + vector * STUB_STRIDE;
}
