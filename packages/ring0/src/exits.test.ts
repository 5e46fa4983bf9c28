// decodeTrap on synthetic exits: every path, including hostile or broken
// states, without KVM. (src/kvm.test.ts checks the same on real hardware.)
import { beforeEach, describe, expect, it } from 'vitest';
import {
  decodeTrap,
  enteringKernel,
  FRAME_CS,
  FRAME_ERROR,
  FRAME_RFLAGS,
  FRAME_RIP,
  FRAME_RSP,
  FRAME_SIZE,
  FRAME_SS,
  FRAME_VECTOR,
  KVM_REGS_R11,
  KVM_REGS_RCX,
  KVM_REGS_RFLAGS,
  KVM_REGS_RIP,
  KVM_REGS_RSP,
  KVM_SREGS_CR2,
  KVM_SREGS_CS_SELECTOR,
  Trap,
  TRAP_EXCEPTION,
  TRAP_SYSCALL,
  TRAP_UNKNOWN,
} from './exits.js';
import { writeKernelImage } from './image.js';
import { istStackTop, kernelStackTop, kernelVa, LSTAR, LSTAR_LO, vectorStubGpa, STUB_HLT_OFFSET, KERNEL_VA_HI } from './layout.js';
import { plainMemory } from './test-support.js';

const REGS = 0;
const SREGS = 144;

describe('decodeTrap', () => {
  const mem = plainMemory(1 << 20);
  writeKernelImage(mem, 8);
  const state = new DataView(new ArrayBuffer(512));
  const out = new Trap();

  const set = (at: number, v: bigint) => state.setBigUint64(at, BigInt.asUintN(64, v), true);
  /** A stub for `vector` halted with a frame pushed from ring 3 on vCPU `cpu`. */
  function halted(vector: number, cpu: number, f: { err?: bigint; rip?: bigint; cs?: bigint; rflags?: bigint; rsp?: bigint } = {}) {
    const frame = istStackTop(cpu) - FRAME_SIZE;
    const w = (o: number, v: bigint) => mem.view.setBigUint64(frame + o, BigInt.asUintN(64, v), true);
    w(FRAME_VECTOR, BigInt(vector));
    w(FRAME_ERROR, f.err ?? 0n);
    w(FRAME_RIP, f.rip ?? 0x40_1000n);
    w(FRAME_CS, f.cs ?? 0x33n);
    w(FRAME_RFLAGS, f.rflags ?? 0x246n);
    w(FRAME_RSP, f.rsp ?? 0x7fff_ffff_e000n);
    w(FRAME_SS, 0x2bn);
    set(REGS + KVM_REGS_RIP, kernelVa(vectorStubGpa(vector) + STUB_HLT_OFFSET + 1));
    set(REGS + KVM_REGS_RSP, kernelVa(frame));
  }

  beforeEach(() => {
    for (let i = 0; i < 512; i += 8) state.setBigUint64(i, 0n);
    set(REGS + KVM_REGS_RCX, 0x40_2002n);
    set(REGS + KVM_REGS_R11, 0x246n);
  });

  it('decodes a user exception with its frame', () => {
    halted(6, 3, { rip: 0x40_1234n, rsp: 0xffff_8000_0000_0010n });
    expect(decodeTrap(3, state, REGS, SREGS, mem.view, out)).toBe(TRAP_EXCEPTION);
    expect([out.vector, out.errorCode, out.rip, out.cs, out.ss, out.rflags]).toEqual([6, 0, 0x40_1234, 0x33, 0x2b, 0x246]);
    // A 64-bit RSP beyond 2^53 survives as halves.
    expect([out.rspHi, out.rspLo]).toEqual([0xffff_8000, 0x10]);
  });

  it('reports CR2 for a page fault, and an error code', () => {
    halted(14, 0, { err: 6n });
    set(SREGS + KVM_SREGS_CR2, 0xdead_b000n);
    expect(decodeTrap(0, state, REGS, SREGS, mem.view, out)).toBe(TRAP_EXCEPTION);
    expect([out.vector, out.errorCode, out.addr]).toEqual([14, 6, 0xdead_b000]);
  });

  it('decodes the PVM SYSCALL form: #PF at LSTAR with IF clear', () => {
    halted(14, 1, { err: 0x15n, rip: LSTAR, rflags: 0x10002n, rsp: 0x7fff_0000_1000n });
    set(SREGS + KVM_SREGS_CR2, LSTAR);
    expect(decodeTrap(1, state, REGS, SREGS, mem.view, out)).toBe(TRAP_SYSCALL);
    expect([out.vector, out.rip, out.rflags, out.rsp, out.cs, out.ss]).toEqual([-1, 0x40_2002, 0x246, 0x7fff_0000_1000, 0x33, 0x2b]);
  });

  it('a jump to LSTAR (IF still set) is a page fault, not a system call', () => {
    halted(14, 1, { err: 0x15n, rip: LSTAR, rflags: 0x10202n });
    set(SREGS + KVM_SREGS_CR2, LSTAR);
    expect(decodeTrap(1, state, REGS, SREGS, mem.view, out)).toBe(TRAP_EXCEPTION);
    expect([out.vector, out.addrHi, out.addrLo]).toEqual([14, KERNEL_VA_HI, LSTAR_LO]);
  });

  it('decodes the VMX/SVM SYSCALL form: halted at LSTAR + 1 with the user RSP', () => {
    set(REGS + KVM_REGS_RIP, LSTAR + 1n);
    set(REGS + KVM_REGS_RSP, 0x7ffc_0000_0008n);
    expect(decodeTrap(0, state, REGS, SREGS, mem.view, out)).toBe(TRAP_SYSCALL);
    expect([out.rip, out.rsp]).toEqual([0x40_2002, 0x7ffc_0000_0008]);
  });

  it('finds every frame on the IST stack, never on the kernel stack', () => {
    halted(8, 2);
    expect(decodeTrap(2, state, REGS, SREGS, mem.view, out)).toBe(TRAP_EXCEPTION);
    expect(out.vector).toBe(8);
    // The same frame where TSS.RSP0 would have put it is not a frame.
    const frame = kernelStackTop(2) - FRAME_SIZE;
    mem.bytes.copyWithin(frame, istStackTop(2) - FRAME_SIZE, istStackTop(2));
    set(REGS + KVM_REGS_RSP, kernelVa(frame));
    expect(decodeTrap(2, state, REGS, SREGS, mem.view, out)).toBe(TRAP_UNKNOWN);
  });

  it('is unknown for a fault from ring 0, a wrong stack, a wrong vCPU or a stray RIP', () => {
    halted(13, 0, { cs: 0x10n });
    expect(decodeTrap(0, state, REGS, SREGS, mem.view, out)).toBe(TRAP_UNKNOWN);
    expect(out.vector).toBe(13);
    halted(13, 0);
    expect(decodeTrap(1, state, REGS, SREGS, mem.view, out)).toBe(TRAP_UNKNOWN);
    set(REGS + KVM_REGS_RSP, kernelVa(istStackTop(0) - FRAME_SIZE - 8)); // nested: deeper frame
    expect(decodeTrap(0, state, REGS, SREGS, mem.view, out)).toBe(TRAP_UNKNOWN);
    halted(13, 0);
    mem.view.setUint32(istStackTop(0) - FRAME_SIZE, 12, true); // frame vector disagrees with RIP
    expect(decodeTrap(0, state, REGS, SREGS, mem.view, out)).toBe(TRAP_UNKNOWN);
    for (const rip of [kernelVa(vectorStubGpa(3) + 4), kernelVa(vectorStubGpa(32) + 5), 0x40_1000n, LSTAR + 0x81n]) {
      set(REGS + KVM_REGS_RIP, rip);
      expect(decodeTrap(0, state, REGS, SREGS, mem.view, out)).toBe(TRAP_UNKNOWN);
    }
    halted(6, 0);
    for (const cpu of [-1, 8, 0.5, NaN]) expect(decodeTrap(cpu, state, REGS, SREGS, mem.view, out)).toBe(TRAP_UNKNOWN);
  });
});

describe('enteringKernel', () => {
  const state = new DataView(new ArrayBuffer(512));
  const set = (at: number, v: bigint) => state.setBigUint64(at, BigInt.asUintN(64, v), true);
  /** An interrupt exit at `rip` with CS `cs` and RFLAGS `rflags`. */
  function interrupted(rip: bigint, cs: number, rflags: bigint): boolean {
    set(REGS + KVM_REGS_RIP, rip);
    set(REGS + KVM_REGS_RFLAGS, rflags);
    state.setUint16(SREGS + KVM_SREGS_CS_SELECTOR, cs, true);
    return enteringKernel(state, REGS, SREGS);
  }

  it('holds in ring 0, and in ring 3 at LSTAR with IF clear (PVM, between a SYSCALL and its fetch fault)', () => {
    expect(interrupted(kernelVa(vectorStubGpa(14) + 2), 0x10, 0x2n)).toBe(true);
    expect(interrupted(LSTAR, 0x33, 0x10002n)).toBe(true);
  });

  it('does not hold between two ring-3 instructions: a jump to LSTAR (IF set), any other RIP', () => {
    expect(interrupted(LSTAR, 0x33, 0x10202n)).toBe(false);
    expect(interrupted(LSTAR + 1n, 0x33, 0x2n)).toBe(false);
    expect(interrupted(0x40_2000n, 0x33, 0x202n)).toBe(false);
    expect(interrupted(BigInt(LSTAR_LO), 0x33, 0x2n)).toBe(false);
  });
});
