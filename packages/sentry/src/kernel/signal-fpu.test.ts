import { describe, expect, it } from 'vitest';
import { FakeMemory } from '../testing/fake-task.js';
import {
  FP_XSTATE_MAGIC1,
  FP_XSTATE_MAGIC2,
  fpuFrameSize,
  restoreFpuFrame,
  saveFpuFrame,
  UC_FP_XSTATE,
  XSTATE_SIZE,
} from './signal-fpu.js';

/** A kvm_xsave-sized image with x87/SSE/AVX state in use and a real MXCSR mask. */
function image(): Uint8Array {
  const b = new Uint8Array(4096);
  const v = new DataView(b.buffer);
  v.setUint32(24, 0x1f80, true); // MXCSR
  v.setUint32(28, 0xffff, true); // MXCSR_MASK
  b.fill(0x11, 160, 416); // xmm0-15
  b.fill(0x22, 576, 832); // ymm upper halves
  v.setUint32(512, 0x7, true); // XSTATE_BV
  return b;
}

function frameOf(img: Uint8Array, mem: FakeMemory): number {
  const out = new Uint8Array(fpuFrameSize(img));
  expect(saveFpuFrame(img, out)).toBe(UC_FP_XSTATE);
  const addr = mem.alloc(out.length + 64) & ~63;
  mem.write(addr, out);
  return addr;
}

describe('FPU state in a signal frame', () => {
  it('is the XSAVE image with fpx_sw_bytes and MAGIC2, as Linux writes it', () => {
    const out = new Uint8Array(fpuFrameSize(image()));
    saveFpuFrame(image(), out);
    const v = new DataView(out.buffer);
    expect(v.getUint32(464, true)).toBe(FP_XSTATE_MAGIC1);
    expect(v.getUint32(468, true)).toBe(XSTATE_SIZE + 4);
    expect(v.getUint32(472, true)).toBe(0xe7);
    expect(v.getUint32(480, true)).toBe(XSTATE_SIZE);
    expect(v.getUint32(XSTATE_SIZE, true)).toBe(FP_XSTATE_MAGIC2);
    expect(out[160]).toBe(0x11);
    expect(out[576]).toBe(0x22);
  });

  it('round-trips through restore; a bare FXSAVE image stays one', () => {
    const mem = new FakeMemory();
    const img = image();
    const back = restoreFpuFrame(mem, frameOf(img, mem), new Uint8Array(4096), 0x7)!;
    expect(back.subarray(0, 464)).toEqual(img.subarray(0, 464));
    expect(back.subarray(576, 832)).toEqual(img.subarray(576, 832));
    expect(new DataView(back.buffer).getUint32(512, true)).toBe(0x7);
    const fx = new Uint8Array(512);
    fx[200] = 9;
    const out = new Uint8Array(fpuFrameSize(fx));
    expect(saveFpuFrame(fx, out)).toBe(0);
    const addr = mem.alloc(512 + 16) & ~15;
    mem.write(addr, out);
    expect(restoreFpuFrame(mem, addr, new Uint8Array(512), 3)![200]).toBe(9);
  });

  it('drops components the platform never produced; refuses bad MXCSR, header, alignment, memory', () => {
    const mem = new FakeMemory();
    const img = image();
    new DataView(img.buffer).setUint32(512, 0x27, true); // claims AVX-512 opmask state too
    const back = restoreFpuFrame(mem, frameOf(img, mem), image(), 0x7)!;
    expect(new DataView(back.buffer).getUint32(512, true)).toBe(0x7);
    const bad = image();
    new DataView(bad.buffer).setUint32(24, 0x1_0000, true);
    expect(restoreFpuFrame(mem, frameOf(bad, mem), image(), 0x7)).toBeNull();
    const comp = image();
    comp[527] = 0x80; // XCOMP_BV: a compacted image
    expect(restoreFpuFrame(mem, frameOf(comp, mem), image(), 0x7)).toBeNull();
    const unknown = image();
    new DataView(unknown.buffer).setUint32(512, 0x207, true); // PKRU: not a component here
    expect(restoreFpuFrame(mem, frameOf(unknown, mem), image(), 0x7)).toBeNull();
    expect(restoreFpuFrame(mem, frameOf(image(), mem) + 16, image(), 0x7)).toBeNull();
    expect(restoreFpuFrame(mem, mem.unmapped, image(), 0x7)).toBeNull();
  });
});
