// emulateUmip on instruction bytes placed in a fake task's memory: Linux's
// dummy values, every addressing form, operand sizes, and the refusals.
import { Reg } from '@tsv/platform';
import { describe, expect, it } from 'vitest';
import { makeTask } from '../testing/fake-task.js';
import { emulateUmip } from './umip.js';

/** A task about to run `code`, which ends right before an unmapped page, and a writable scratch page. */
function at(code: number[]) {
  const t = makeTask();
  const rip = t.mm.alloc(code.length);
  t.mm.write(rip, Uint8Array.from(code));
  const scratch = t.mm.alloc(4096);
  for (let r = 0; r < 16; r++) t.regs.setBig(r, 0x1111_1111_1111_1111n);
  t.regs.set(Reg.rip, rip);
  return { t, rip, scratch };
}

const limitAndBase = (t: ReturnType<typeof makeTask>, addr: number) => {
  const v = t.mm.dv(addr, 10);
  return [v.getUint16(0, true), v.getBigUint64(2, true)];
};

describe('emulateUmip', () => {
  it('SGDT and SIDT store limit 0 and the dummy bases, and step over the instruction', () => {
    let { t, rip, scratch } = at([0x0f, 0x01, 0x03]); // sgdt (%rbx)
    t.regs.set(Reg.rbx, scratch);
    expect(emulateUmip(t)).toEqual({ kind: 'done' });
    expect(limitAndBase(t, scratch)).toEqual([0, 0xffff_ffff_fffe_0000n]);
    expect(t.regs.get(Reg.rip)).toBe(rip + 3);
    ({ t, rip, scratch } = at([0x0f, 0x01, 0x4c, 0xd0, 0x04])); // sidt 4(%rax,%rdx,8)
    t.regs.set(Reg.rax, scratch);
    t.regs.set(Reg.rdx, 2);
    expect(emulateUmip(t)).toEqual({ kind: 'done' });
    expect(limitAndBase(t, scratch + 20)).toEqual([0, 0xffff_ffff_ffff_0000n]);
    expect(t.regs.get(Reg.rip)).toBe(rip + 5);
  });

  it('decodes RIP-relative, absolute, REX-extended and FS/GS-relative operands', () => {
    let { t, rip, scratch } = at([0x0f, 0x01, 0x05, 0, 0, 0, 0]); // sgdt disp32(%rip)
    t.mm.dv(rip + 3, 4).setInt32(0, scratch - (rip + 7), true);
    expect(emulateUmip(t)).toEqual({ kind: 'done' });
    expect(limitAndBase(t, scratch)[1]).toBe(0xffff_ffff_fffe_0000n);
    ({ t, rip, scratch } = at([0x0f, 0x01, 0x0c, 0x25, 0, 0, 0, 0])); // sidt disp32 (SIB, no base, no index)
    t.mm.dv(rip + 4, 4).setUint32(0, scratch, true);
    expect(emulateUmip(t)).toEqual({ kind: 'done' });
    expect(t.regs.get(Reg.rip)).toBe(rip + 8);
    expect(limitAndBase(t, scratch)[1]).toBe(0xffff_ffff_ffff_0000n);
    ({ t, rip, scratch } = at([0x41, 0x0f, 0x01, 0x45, 0x10])); // sgdt 0x10(%r13): mod 1, rm 5 + REX.B
    t.regs.set(Reg.r13, scratch);
    expect(emulateUmip(t)).toEqual({ kind: 'done' });
    expect(limitAndBase(t, scratch + 0x10)[1]).toBe(0xffff_ffff_fffe_0000n);
    ({ t, rip, scratch } = at([0x65, 0x0f, 0x01, 0x00])); // sgdt %gs:(%rax)
    t.regs.set(Reg.gs_base, scratch - 0x100);
    t.regs.set(Reg.rax, 0x100);
    expect(emulateUmip(t)).toEqual({ kind: 'done' });
    expect(limitAndBase(t, scratch)[1]).toBe(0xffff_ffff_fffe_0000n);
  });

  it('SMSW, STR and SLDT write the operand size into a register, two bytes into memory', () => {
    let { t } = at([0x48, 0x0f, 0x01, 0xe6]); // smsw %rsi
    expect(emulateUmip(t)).toEqual({ kind: 'done' });
    expect(t.regs.getBig(Reg.rsi)).toBe(0x8005_0033n);
    ({ t } = at([0x0f, 0x01, 0xe6])); // smsw %esi: the low four bytes, the rest kept (as Linux)
    emulateUmip(t);
    expect(t.regs.getBig(Reg.rsi)).toBe(0x1111_1111_8005_0033n);
    ({ t } = at([0x66, 0x41, 0x0f, 0x00, 0xc9])); // str %r9w
    emulateUmip(t);
    expect(t.regs.getBig(Reg.r9)).toBe(0x1111_1111_1111_0040n);
    ({ t } = at([0x0f, 0x00, 0xc0])); // sldt %eax
    emulateUmip(t);
    expect(t.regs.getBig(Reg.rax)).toBe(0x1111_1111_0000_0000n);
    const m = at([0x0f, 0x01, 0x23]); // smsw (%rbx)
    m.t.regs.set(Reg.rbx, m.scratch);
    m.t.mm.dv(m.scratch, 4).setUint32(0, 0xffff_ffff, true);
    emulateUmip(m.t);
    expect(m.t.mm.dv(m.scratch, 4).getUint32(0, true)).toBe(0xffff_0033);
  });

  it('leaves every other #GP alone: other instructions, SGDT of a register, bytes that run out', () => {
    // lgdt (%rax), vmcall, swapgs, hlt, lldt (%rax), and a SGDT / an SIB cut short by an unmapped page.
    for (const code of [
      [0x0f, 0x01, 0x10],
      [0x0f, 0x01, 0xc1],
      [0x0f, 0x01, 0xf8],
      [0xf4],
      [0x0f, 0x00, 0x10],
      [0x0f, 0x01],
      [0x0f, 0x01, 0x04],
    ]) {
      const { t, rip } = at(code);
      expect(emulateUmip(t), code.join(' ')).toEqual({ kind: 'none' });
      expect(t.regs.get(Reg.rip)).toBe(rip);
    }
  });

  it('an unwritable or non-user destination is a fault at that address, RIP unchanged', () => {
    let { t, rip } = at([0x0f, 0x01, 0x03]);
    t.regs.set(Reg.rbx, t.mm.unmapped);
    expect(emulateUmip(t)).toEqual({ kind: 'fault', addr: t.mm.unmapped });
    expect(t.regs.get(Reg.rip)).toBe(rip);
    ({ t } = at([0x0f, 0x01, 0x03]));
    t.regs.setBig(Reg.rbx, 0xffff_ff80_0000_0000n);
    expect(emulateUmip(t).kind).toBe('fault');
  });
});
