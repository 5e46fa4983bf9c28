// CPU exceptions in ring 3 come back as Stop.Fault with the address, the
// access and the signal Linux would deliver; nothing a program does reaches
// or changes the kernel.
import { gdtGpa } from '@tsv/ring0';
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { ACCESS_EXEC, ACCESS_READ, ACCESS_WRITE, PROT_READ, Stop } from '../platform.js';
import { Reg } from '../registers.js';
import { SIGFPE, SIGILL, SIGKILL, SIGSEGV, SIGTRAP } from '../signals.js';
import { CODE_VA, DATA_VA, mapBytes, newPlatform, newTask, run } from './test-support.js';

function fault(source: string, setup?: (p: ReturnType<typeof newPlatform>, t: ReturnType<typeof newTask>) => void) {
  const p = newPlatform();
  const t = newTask(p.platform, p.ctx, source);
  setup?.(p, t);
  const stop = run(p.ctx, t);
  return { stop, f: { ...p.ctx.fault }, rip: t.regs.get(Reg.rip), p, t };
}

const STUB = '0xffffff8000006000';

describe.skipIf(announceKvmSkip())('faults from ring 3', () => {
  it('reports reads, writes and fetches of unmapped memory with address and access', () => {
    let r = fault('movabs $0x10000000, %rax\nmov (%rax), %rbx');
    expect(r.stop).toBe(Stop.Fault);
    expect(r.f).toMatchObject({ vector: 14, signal: SIGSEGV, address: 0x1000_0000, access: ACCESS_READ, protection: false });
    expect(r.rip).toBe(CODE_VA + 10); // at the faulting instruction
    r = fault('movabs $0x10000008, %rax\nmovq $1, (%rax)');
    expect(r.f).toMatchObject({ vector: 14, address: 0x1000_0008, access: ACCESS_WRITE, protection: false });
    r = fault('movabs $0x10000000, %rax\njmp *%rax');
    expect(r.f).toMatchObject({ vector: 14, address: 0x1000_0000, access: ACCESS_EXEC });
    expect(r.rip).toBe(0x1000_0000);
  });

  it('reports writes to read-only memory, to its own code, and fetches from data', () => {
    let r = fault(`movabs $${DATA_VA}, %rax\nmovq $7, (%rax)`, (_p, t) => t.as.protect(DATA_VA, 4096, PROT_READ));
    expect(r.f).toMatchObject({ vector: 14, address: DATA_VA, access: ACCESS_WRITE, protection: true });
    r = fault(`lea 0(%rip), %rax\nmovb $0xcc, (%rax)`);
    expect(r.f).toMatchObject({ vector: 14, access: ACCESS_WRITE, protection: true });
    expect(r.f.address).toBe(CODE_VA + 7);
    r = fault(`movabs $${DATA_VA}, %rax\njmp *%rax`);
    expect(r.f).toMatchObject({ vector: 14, address: DATA_VA, access: ACCESS_EXEC, protection: true });
  });

  it('never lets ring 3 read, write or run kernel memory', () => {
    let r = fault(`movabs $${STUB}, %rax\nmov (%rax), %rbx`);
    expect(r.f).toMatchObject({ vector: 14, signal: SIGSEGV, access: ACCESS_READ, protection: true });
    expect(r.f.address).toBe(0xffff_ff80_0000_6000);
    r = fault(`movabs $${STUB}, %rax\nmovq $0, (%rax)`);
    expect(r.f).toMatchObject({ vector: 14, access: ACCESS_WRITE, protection: true });
    // Jumping to a vector stub: the fetch faults; the stub never runs in ring 3.
    r = fault(`movabs $0xffffff8000006100, %rax\njmp *%rax`);
    expect(r.f).toMatchObject({ vector: 14, access: ACCESS_EXEC, protection: true });
    // The page tables, GDT and IDT are not reachable either.
    for (const addr of ['0xffffff8000001000', '0xffffff8000005000', '0xffffff8000008000']) {
      r = fault(`movabs $${addr}, %rax\nmovq $0, (%rax)`);
      expect(r.stop).toBe(Stop.Fault);
      expect(r.f.vector).toBe(14);
    }
    // A non-canonical address is a #GP.
    r = fault('movabs $0x0000900000000000, %rax\nmov (%rax), %rbx');
    expect(r.f).toMatchObject({ vector: 13, signal: SIGSEGV });
  });

  it('maps ud2, divide by zero and int3 to SIGILL, SIGFPE and SIGTRAP', () => {
    expect(fault('ud2').f).toMatchObject({ vector: 6, signal: SIGILL, address: CODE_VA });
    expect(fault('xor %ecx, %ecx\nmov $1, %eax\ncqo\nidiv %rcx').f).toMatchObject({ vector: 0, signal: SIGFPE });
    const bp = fault('int3\nnop');
    expect(bp.f).toMatchObject({ vector: 3, signal: SIGTRAP });
    expect(bp.rip).toBe(CODE_VA + 1); // after the int3, as Linux reports it
  });

  it('turns every privileged instruction into SIGSEGV', () => {
    for (const insn of [
      'hlt',
      'cli',
      'sti',
      'wrmsr',
      'rdmsr',
      'mov %rax, %cr3',
      'mov %cr0, %rax',
      'lgdt (%rsp)',
      'lidt (%rsp)',
      'out %al, $0x80',
      'in $0x80, %al',
      'invlpg (%rax)',
      'swapgs',
      'sysretq',
      'iretq',
    ]) {
      const r = fault(`xor %eax, %eax\n${insn}`);
      expect(r.stop, insn).toBe(Stop.Fault);
      expect(r.f.signal, `${insn}: vector ${r.f.vector}`).toBe(SIGSEGV);
    }
  });

  it('int N without a user gate is #GP(N * 8 + 2), SIGSEGV, as the CPU and Linux report it', () => {
    // This PVM host raises #UD for these; int $0x80 is no system call gate here.
    for (const [insn, n] of [
      ['int $0x80', 0x80],
      ['int $0x0d', 0x0d],
      ['int $0x20', 0x20],
      ['int $0xff', 0xff],
      ['.byte 0x66, 0x48, 0xcd, 0x81', 0x81],
    ] as const) {
      const r = fault(`mov $39, %eax\n${insn}\nud2`);
      expect(r.stop, insn).toBe(Stop.Fault);
      expect(r.f, insn).toMatchObject({ vector: 13, errorCode: n * 8 + 2, signal: SIGSEGV, address: CODE_VA + 5 });
      expect(r.rip, insn).toBe(CODE_VA + 5);
    }
    // A real #UD stays one, however the bytes after it look.
    expect(fault('ud2\n.byte 0xcd, 0x80').f).toMatchObject({ vector: 6, signal: SIGILL });
  });

  it('ring 3 cannot enter 32-bit code: far transfers to 0x23 are #GP(0x20), an IRET to 0x2b runs on in 64-bit mode', () => {
    // Were 0x23 32-bit code, the SYSCALL after it would enter ring 0 at CSTAR's low half (this host).
    const land = 'lea there(%rip), %rax\n';
    const at = 'there: mov $39, %eax\nsyscall\nud2';
    for (const transfer of [
      'push %rsi\npush %rax\nlretq',
      'sub $8, %rsp\nmov %eax, (%rsp)\nmov %si, 4(%rsp)\nljmpl *(%rsp)',
      'sub $8, %rsp\nmov %eax, (%rsp)\nmov %si, 4(%rsp)\nlcalll *(%rsp)',
      'mov %rsp, %rbx\npushq $0x2b\npush %rbx\npushfq\npush %rsi\npush %rax\niretq',
    ]) {
      const r = fault(`mov $0x23, %esi\n${land}${transfer}\n${at}`);
      expect(r.stop, transfer).toBe(Stop.Fault);
      expect(r.f, transfer).toMatchObject({ vector: 13, errorCode: 0x20, signal: SIGSEGV });
    }
    const r = fault(`mov $0x2b, %esi\n${land}mov %rsp, %rbx\npushq $0x2b\npush %rbx\npushfq\npush %rsi\npush %rax\niretq\n${at}`);
    if (r.stop === Stop.Fault) expect(r.f).toMatchObject({ vector: 13, errorCode: 0x28 });
    else expect([r.stop, r.t.regs.get(Reg.orig_rax)]).toEqual([Stop.Syscall, 39]);
  });

  it('UMIP: sgdt, sidt, sldt, str and smsw are #GP(0) in ring 3 (the Sentry answers them)', () => {
    for (const insn of ['sgdt (%rsp)', 'sidt (%rsp)', 'sldt %ax', 'str %ax', 'smsw %ax']) {
      const r = fault(`sub $16, %rsp\n${insn}\nud2`);
      expect(r.f, insn).toMatchObject({ vector: 13, errorCode: 0, signal: SIGSEGV, address: CODE_VA + 4 });
    }
  });

  it('a trap in ring 0 is a SIGKILL fault for the sandbox, not an exception of the host', () => {
    // Reopen 32-bit user code in the GDT, as before it was closed: a SYSCALL
    // from there enters ring 0 at CSTAR's low half, a user address, and faults.
    const r = fault(
      'mov $0x23, %esi\nlea there(%rip), %rax\npush %rsi\npush %rax\nlretq\n.code32\nthere: mov $20, %eax\nsyscall\nud2\n.code64',
      (p) => {
        const gdt = new DataView(p.platform.memory.bytes.buffer, gdtGpa(p.ctx.vcpu.index) + 0x20, 8);
        gdt.setBigUint64(0, 0x00cf_fb00_0000_ffffn, true);
      },
    );
    expect(r.stop).toBe(Stop.Fault);
    expect(r.f.signal).toBe(SIGKILL);
    expect(r.f.vector).toBeGreaterThanOrEqual(0);
    expect(r.p.platform.stats.exits.other).toBe(1);
  });

  it('a program that calls into the stub gets a page fault, not ring 0', () => {
    // LSTAR by a plain call: the supervisor-only page faults the fetch (IF is
    // still set, which a real SYSCALL clears: the decoder tells them apart).
    const r = fault(`movabs $0xffffff8000006000, %rax\ncall *%rax\nud2`);
    expect(r.stop).toBe(Stop.Fault);
    expect(r.f).toMatchObject({ vector: 14, signal: SIGSEGV, access: ACCESS_EXEC, protection: true });
    expect(r.f.address).toBe(0xffff_ff80_0000_6000);
  });

  it('a jump to LSTAR is a page fault, even where RCX follows a syscall instruction', () => {
    const arranged = fault(`lea after(%rip), %rcx\nmov $39, %eax\nmovabs $0xffffff8000006000, %rdx\njmp *%rdx\nsyscall\nafter: ud2`);
    expect(arranged.stop).toBe(Stop.Fault);
    expect(arranged.f).toMatchObject({ vector: 14, access: ACCESS_EXEC, signal: SIGSEGV, address: 0xffff_ff80_0000_6000 });
  });

  it('resumes after a fault the host repairs', () => {
    const p = newPlatform();
    const t = newTask(p.platform, p.ctx, 'movabs $0x20000000, %rax\nmov (%rax), %rdi\nmov $1, %eax\nsyscall\nud2');
    expect(run(p.ctx, t)).toBe(Stop.Fault);
    const page = new Uint8Array(4096);
    page[0] = 0x5a;
    mapBytes(p.platform, t.as, 0x2000_0000, page, PROT_READ);
    expect(run(p.ctx, t)).toBe(Stop.Syscall);
    expect(t.regs.get(Reg.rdi)).toBe(0x5a);
  });
});
