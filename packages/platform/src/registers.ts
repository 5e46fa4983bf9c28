// Register state in one fixed binary layout: Linux's user_regs_struct (as
// ptrace and core dumps use it), 27 little-endian u64. A task owns one
// Registers; the platform reads and writes it in place at every switch, so
// no JS object is built per exit.
//
// Values are accessed as JS numbers without allocation: `get` is exact for
// values below 2^53 (every user pointer, length and syscall number), `getLo`
// / `getHi` give the halves of any value, and `set` takes any integer from
// -2^63 to 2^64 as a number (two's complement for negatives).

/** Index of each register in user_regs_struct. */
export const Reg = {
  r15: 0,
  r14: 1,
  r13: 2,
  r12: 3,
  rbp: 4,
  rbx: 5,
  r11: 6,
  r10: 7,
  r9: 8,
  r8: 9,
  rax: 10,
  rcx: 11,
  rdx: 12,
  rsi: 13,
  rdi: 14,
  orig_rax: 15,
  rip: 16,
  cs: 17,
  eflags: 18,
  rsp: 19,
  ss: 20,
  fs_base: 21,
  gs_base: 22,
  ds: 23,
  es: 24,
  fs: 25,
  gs: 26,
} as const;
export type RegName = keyof typeof Reg;
export const REG_COUNT = 27;
export const REGISTERS_SIZE = REG_COUNT * 8;

/** The x86-64 system-call argument registers, in order. */
export const SYSCALL_ARGS = [Reg.rdi, Reg.rsi, Reg.rdx, Reg.r10, Reg.r8, Reg.r9] as const;

const TWO32 = 2 ** 32;

export class Registers {
  /** The raw layout: two u32 per register, low half first. */
  readonly u32: Uint32Array;

  /** Over `buffer` (shared memory is fine), or a fresh zeroed one. */
  constructor(buffer: ArrayBuffer = new ArrayBuffer(REGISTERS_SIZE), byteOffset = 0) {
    this.u32 = new Uint32Array(buffer, byteOffset, REG_COUNT * 2);
  }

  /** The unsigned value as a number (exact below 2^53). */
  get(r: number): number {
    return this.u32[r * 2 + 1]! * TWO32 + this.u32[r * 2]!;
  }

  /** The value as a signed 64-bit number (exact for |x| < 2^53), e.g. an off_t. */
  getSigned(r: number): number {
    return (this.u32[r * 2 + 1]! | 0) * TWO32 + this.u32[r * 2]!;
  }

  getLo(r: number): number {
    return this.u32[r * 2]!;
  }

  getHi(r: number): number {
    return this.u32[r * 2 + 1]!;
  }

  /** Stores an integer; negative values are stored in two's complement. */
  set(r: number, value: number): void {
    let lo = value % TWO32;
    if (lo < 0) lo += TWO32;
    this.u32[r * 2] = lo;
    this.u32[r * 2 + 1] = (value - lo) / TWO32; // a Uint32Array store wraps a negative high half
  }

  setHalves(r: number, lo: number, hi: number): void {
    this.u32[r * 2] = lo >>> 0;
    this.u32[r * 2 + 1] = hi >>> 0;
  }

  /** Exact 64-bit access for tests and slow paths (allocates a bigint). */
  getBig(r: number): bigint {
    return (BigInt(this.u32[r * 2 + 1]!) << 32n) | BigInt(this.u32[r * 2]!);
  }

  setBig(r: number, value: bigint): void {
    const v = BigInt.asUintN(64, value);
    this.u32[r * 2] = Number(v & 0xffff_ffffn);
    this.u32[r * 2 + 1] = Number(v >> 32n);
  }

  copyFrom(other: Registers): void {
    this.u32.set(other.u32);
  }
}
