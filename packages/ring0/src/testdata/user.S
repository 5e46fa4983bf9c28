/*
 * Ring-3 programs for src/kvm.test.ts. Position independent: the test copies
 * the page to any user address. The host sets RDI/RSI before entering.
 * After any access that must fault, a SYSCALL with RAX = 0xbad reports
 * that it did not.
 */
    .code64
    .text

/* getpid(0x11, 0x22, 0x33, 0x44, 0x55, 0x66) forever; R12 = last result,
 * R13 counts completed calls. */
    .globl user_syscall_loop
user_syscall_loop:
    mov $0x11, %edi
    mov $0x22, %esi
    mov $0x33, %edx
    mov $0x44, %r10d
    mov $0x55, %r8d
    mov $0x66, %r9d
1:  mov $39, %eax
    syscall
    .globl user_syscall_ret
user_syscall_ret:
    mov %rax, %r12
    inc %r13
    jmp 1b

/* 8-byte load from RDI into RBX */
    .globl user_load
user_load:
    mov (%rdi), %rbx
    jmp reached

/* 8-byte store of RSI to RDI */
    .globl user_store
user_store:
    mov %rsi, (%rdi)
    jmp reached

/* jump to RDI */
    .globl user_jump
user_jump:
    jmp *%rdi

    .globl user_ud2
user_ud2:
    ud2

/* #BP through a DPL-3 gate: the frame's RIP is the next instruction */
    .globl user_int3
user_int3:
    int3
    .globl user_int3_next
user_int3_next:
    jmp reached

/* privileged instruction: #GP(0) */
    .globl user_hlt
user_hlt:
    hlt
    jmp reached

/* INT n through a DPL-0 gate: #GP with error code n*8+2 */
    .globl user_int80
user_int80:
    int $0x80
    jmp reached

/* Far transfers to selector RDI, landing at `reached`: the test maps this
 * code below 4 GiB, so a 32-bit offset reaches it in any mode. Were the
 * selector 32-bit code, `reached` would make a compatibility-mode SYSCALL
 * (its bytes mean the same there). */
    .globl user_iret
user_iret:
    mov %rsp, %rbx
    lea reached(%rip), %rax
    pushq $0x2b
    push %rbx
    pushfq
    push %rdi
    push %rax
    iretq

    .globl user_lret
user_lret:
    lea reached(%rip), %rax
    push %rdi
    push %rax
    lretq

/* a far pointer RDI:reached on the stack, then `insn *(%rsp)` */
    .macro far_through_pointer insn
    lea reached(%rip), %rax
    sub $8, %rsp
    mov %eax, (%rsp)
    mov %di, 4(%rsp)
    \insn *(%rsp)
    .endm

    .globl user_ljmp
user_ljmp:
    far_through_pointer ljmpl

    .globl user_lcall
user_lcall:
    far_through_pointer lcalll

/* The descriptor-table and machine-status stores UMIP reserves for ring 0,
 * each storing to the stack */
    .globl user_sgdt
user_sgdt:
    sgdt -16(%rsp)
    jmp reached

    .globl user_sidt
user_sidt:
    sidt -16(%rsp)
    jmp reached

    .globl user_sldt
user_sldt:
    sldt -16(%rsp)
    jmp reached

    .globl user_str
user_str:
    str -16(%rsp)
    jmp reached

    .globl user_smsw
user_smsw:
    smsw -16(%rsp)
    jmp reached

/* ring 0 halts here when it runs a user page (no SMEP) */
    .globl user_hlt_ring0
user_hlt_ring0:
    hlt

reached:
    mov $0xbad, %eax
    syscall
    jmp reached

    .section .note.GNU-stack, "", @progbits
