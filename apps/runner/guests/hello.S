/*
 * The real-mode hello guest of `tsv hello`: writes its message to the serial
 * port (0x3f8) one byte at a time and halts. The host prints every byte the
 * guest writes. Loaded at 0x1000, entered in real mode with CS:IP = 0:0x1000.
 */
    mov $0x3f8, %dx
    mov $msg, %si
next:
    lodsb
    test %al, %al
    jz done
    out %al, %dx
    jmp next
done:
    hlt
msg:
    .asciz "Hello from a KVM guest, run by tsv!\n"
