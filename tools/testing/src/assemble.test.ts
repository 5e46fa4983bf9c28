import { describe, expect, it } from 'vitest';
import { assemble } from './assemble.js';

describe('assemble', () => {
  it('assembles 64-bit code at an origin and reports symbols', () => {
    const a = assemble('start: mov $1, %eax\nnext: jmp start', { origin: 0x1000 });
    expect(Array.from(a.bytes.subarray(0, 5))).toEqual([0xb8, 1, 0, 0, 0]);
    expect(a.symbols).toMatchObject({ start: 0x1000, next: 0x1005 });
  });

  it('assembles 16-bit code', () => {
    expect(Array.from(assemble('mov $0x3f8, %dx', { code16: true }).bytes)).toEqual([0xba, 0xf8, 0x03]);
  });

  it('reports assembler errors', () => {
    expect(() => assemble('not_an_instruction %eax')).toThrow(/assembly failed/);
  });
});
