// The machine code the host's decoding relies on, checked byte by byte
// against src/layout.ts (the assembled object's symbols are checked at load
// by stub.ts; this reads the bytes themselves).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ERROR_CODE_VECTORS,
  IDT_VECTORS,
  STUB_HLT_OFFSET,
  STUB_REVOKE_EXIT_OFFSET,
  STUB_REVOKE_OFFSET,
  STUB_SIZE,
  STUB_STRIDE,
  STUB_SYSCALL_COMPAT_OFFSET,
  STUB_SYSCALL_OFFSET,
  STUB_VECTORS_OFFSET,
} from './layout.js';
import { STUB_CODE, STUB_SYMBOLS } from './stub.js';

const HLT = 0xf4;
const JMP_BACK_TO_HLT = [0xeb, 0xfd];
const PUSH_IMM8 = 0x6a;
const XCHG_AX_AX = [0x66, 0x90];

describe('assembled stub (src/ring0.S)', () => {
  it('has the symbols layout.ts claims, one page long', () => {
    expect(STUB_SYMBOLS).toEqual({
      ring0_syscall: STUB_SYSCALL_OFFSET,
      ring0_syscall_compat: STUB_SYSCALL_COMPAT_OFFSET,
      ring0_vectors: STUB_VECTORS_OFFSET,
      ring0_vectors_end: STUB_VECTORS_OFFSET + IDT_VECTORS * STUB_STRIDE,
      ring0_revoke: STUB_REVOKE_OFFSET,
      ring0_revoke_exit: STUB_REVOKE_EXIT_OFFSET,
      ring0_end: STUB_SIZE,
    });
    expect(STUB_CODE.length).toBe(STUB_SIZE);
  });

  it('halts at LSTAR and CSTAR and halts again if resumed', () => {
    for (const off of [STUB_SYSCALL_OFFSET, STUB_SYSCALL_COMPAT_OFFSET]) {
      expect([...STUB_CODE.subarray(off, off + 3)]).toEqual([HLT, ...JMP_BACK_TO_HLT]);
    }
  });

  it('every vector stub: error-code slot, push vector, hlt at the fixed offset, stride 16', () => {
    for (let v = 0; v < IDT_VECTORS; v++) {
      const at = STUB_VECTORS_OFFSET + v * STUB_STRIDE;
      const head = ERROR_CODE_VECTORS.includes(v) ? XCHG_AX_AX : [PUSH_IMM8, 0];
      expect([...STUB_CODE.subarray(at, at + STUB_HLT_OFFSET)], `vector ${v}`).toEqual([...head, PUSH_IMM8, v]);
      expect(STUB_CODE[at + STUB_HLT_OFFSET]).toBe(HLT);
      expect([...STUB_CODE.subarray(at + STUB_HLT_OFFSET + 1, at + STUB_HLT_OFFSET + 3)]).toEqual(JMP_BACK_TO_HLT);
    }
  });

  it('has no other hlt: only the stubs can produce the HLT exits the host decodes', () => {
    const hlts = [...STUB_CODE.keys()].filter((i) => STUB_CODE[i] === HLT);
    const want = [STUB_SYSCALL_OFFSET, STUB_SYSCALL_COMPAT_OFFSET];
    for (let v = 0; v < IDT_VECTORS; v++) want.push(STUB_VECTORS_OFFSET + v * STUB_STRIDE + STUB_HLT_OFFSET);
    want.push(STUB_REVOKE_EXIT_OFFSET);
    expect(hlts).toEqual(want);
  });

  it('the revoke routine stores each (entry, value) pair, then halts at its exit', () => {
    const asm = execFileSync(
      'objdump',
      [
        '-D',
        '-b',
        'binary',
        '-m',
        'i386:x86-64',
        '--start-address',
        String(STUB_REVOKE_OFFSET),
        '--stop-address',
        String(STUB_REVOKE_EXIT_OFFSET + 1),
        new URL('../gen/ring0.bin', import.meta.url).pathname,
      ],
      { encoding: 'utf8' },
    );
    const insns = asm
      .split('\n')
      .map((l) => /^\s*[0-9a-f]+:\t(?:[0-9a-f]{2} )+\s*\t(.*)$/.exec(l)?.[1]?.trim())
      .filter((x) => x && !x.startsWith('int3'));
    expect(insns.map((i) => i!.replace(/\s+/g, ' ').replace(/ 0x[0-9a-f]+$/, ''))).toEqual([
      'mov (%rdi),%rax',
      'mov 0x8(%rdi),%rdx',
      'mov %rdx,(%rax)',
      'add $0x10,%rdi',
      'dec %rsi',
      'jne',
      'jmp',
      'hlt',
    ]);
  });

  it('matches what objdump disassembles from the build artifact', () => {
    const bin = new URL('../gen/ring0.bin', import.meta.url).pathname;
    expect(new Uint8Array(readFileSync(bin))).toEqual(STUB_CODE);
    const asm = execFileSync('objdump', ['-D', '-b', 'binary', '-m', 'i386:x86-64', bin], { encoding: 'utf8' });
    const hltLines = asm
      .split('\n')
      .filter((l) => /\thlt\s*$/.test(l))
      .map((l) => parseInt(l.trim(), 16));
    expect(hltLines).toContain(STUB_VECTORS_OFFSET + 14 * STUB_STRIDE + STUB_HLT_OFFSET);
    expect(hltLines).toHaveLength(3 + IDT_VECTORS);
  });
});
