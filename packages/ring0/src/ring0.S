/*
 * The tsv guest kernel: one page of code, mapped supervisor-only and
 * read-only in the kernel half. It records nothing and decides nothing; every
 * entry halts, and the host reads why from RIP (which stub) and the kernel
 * stack (the hardware frame), then puts the vCPU back into ring 3 itself
 * through sync_regs. No instruction here returns to user mode.
 *
 * Offsets are a contract with src/layout.ts (STUB_*), checked by
 * src/stub.test.ts against this file's assembled bytes and symbols:
 *   0x000  ring0_syscall   MSR_LSTAR target: hlt
 *   0x080  ring0_syscall_compat   MSR_CSTAR target: hlt
 *   0x100  ring0_vectors   IDT stub for vector v at 0x100 + 16*v, v < 32;
 *                          hlt at +4, so RIP after the HLT exit is +5
 *   0x800  ring0_revoke    host-called: store page-table entries, hlt at 0x820
 * The code must stay position independent (no relocations): the build
 * refuses an object that has any.
 */
    .code64
    .text

/*
 * SYSCALL entry. On Intel VMX / AMD SVM a user SYSCALL runs this hlt in
 * ring 0 and the exit shows RIP = LSTAR + 1, RSP = the user's. On this
 * machine's PVM host the fetch is checked as a user access, so the
 * supervisor-only page faults first (#PF, CR2 = LSTAR) and vector 14's stub
 * halts instead. If the host re-enters without changing state, halt again.
 */
    .globl ring0_syscall
ring0_syscall:
1:  hlt
    jmp 1b

/*
 * SYSCALL from 32-bit compatibility mode (AMD only; Intel raises #UD). Not a
 * supported ABI: it only has to halt somewhere the host can tell apart,
 * instead of running ring 0 at CSTAR = 0.
 */
    .org 0x80, 0xcc
    .globl ring0_syscall_compat
ring0_syscall_compat:
1:  hlt
    jmp 1b

/*
 * One 16-byte stub per exception vector. The CPU pushes SS, RSP, RFLAGS, CS,
 * RIP and, for some vectors, an error code; the stub pushes a zero error
 * code where the CPU pushes none (a 2-byte no-op where it does, so every
 * stub has the same shape), then the vector, and halts. At the exit the
 * stack holds [vector, error, rip, cs, rflags, rsp, ss] from RSP upwards.
 */
    .org 0x100, 0xcc
    .globl ring0_vectors
ring0_vectors:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
0:
    /* vectors whose exceptions carry an error code: #DF #TS #NP #SS #GP #PF #AC #CP #VC #SX */
    .if (\v == 8) || (\v == 10) || (\v == 11) || (\v == 12) || (\v == 13) || (\v == 14) || (\v == 17) || (\v == 21) || (\v == 29) || (\v == 30)
    xchg %ax, %ax
    .else
    pushq $0
    .endif
    pushq $\v
    .org 0b + 4, 0x90       /* fails the build if the pushes outgrow 4 bytes */
1:  hlt
    jmp 1b
    .org 0b + 16, 0xcc
    .endr
    .globl ring0_vectors_end
ring0_vectors_end:

/*
 * Page-table entry stores made by the guest itself. Entered only by the
 * host (RIP set through sync_regs; no gate or MSR points here) with RDI =
 * kernel VA of a list of (entry VA, value) u64 pairs and RSI = how many
 * (at least one). On shadow paging KVM sees page-table writes only when the
 * guest makes them, so this is how a mapping the host narrowed or removed
 * stops being usable (see @tsv/platform's revoke.ts). Both addresses are in
 * the physmap (PML4 slot 510).
 */
    .org 0x800, 0xcc
    .globl ring0_revoke
ring0_revoke:
1:  mov (%rdi), %rax
    mov 8(%rdi), %rdx
    mov %rdx, (%rax)
    add $16, %rdi
    dec %rsi
    jnz 1b
    jmp ring0_revoke_exit
    .org 0x820, 0xcc
    .globl ring0_revoke_exit
ring0_revoke_exit:
1:  hlt
    jmp 1b

    .org 0x1000, 0xcc
    .globl ring0_end
ring0_end:

    .section .note.GNU-stack, "", @progbits
