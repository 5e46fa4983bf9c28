// Syscall arguments as the handlers read them: typed views of the six
// argument registers. Every accessor takes the raw 64-bit register and
// narrows it the way the Linux prototype does (an `int` is the low 32 bits,
// signed), so a hostile upper half never leaks into a value.
import { Reg, type Registers, SYSCALL_ARGS } from '@tsv/platform';

const TWO32 = 2 ** 32;
/** Addresses at or above this are not user addresses (the lower canonical half). */
export const USER_ADDRESS_LIMIT = 2 ** 47;

export class SyscallArgs {
  regs: Registers;

  constructor(regs: Registers) {
    this.regs = regs;
  }

  /** The system call number (orig_rax). */
  get nr(): number {
    return this.regs.getLo(Reg.orig_rax) + (this.regs.getHi(Reg.orig_rax) === 0 ? 0 : TWO32);
  }

  /** Argument i as a C `int`: low 32 bits, signed. */
  int(i: number): number {
    return this.regs.getLo(SYSCALL_ARGS[i]!) | 0;
  }

  /** Argument i as a C `unsigned int`. */
  uint(i: number): number {
    return this.regs.getLo(SYSCALL_ARGS[i]!);
  }

  /** Argument i as an unsigned 64-bit value (exact below 2^53; larger values are > 2^53 and fail range checks). */
  u64(i: number): number {
    return this.regs.get(SYSCALL_ARGS[i]!);
  }

  /** Argument i as a signed 64-bit value (off_t, loff_t, long). */
  i64(i: number): number {
    return this.regs.getSigned(SYSCALL_ARGS[i]!);
  }

  /** Argument i as a user pointer; -1 when it cannot be one (kernel half, non-canonical). 0 stays 0 (NULL). */
  ptr(i: number): number {
    const r = SYSCALL_ARGS[i]!;
    const hi = this.regs.getHi(r);
    if (hi >= 0x8000) return -1;
    return hi * TWO32 + this.regs.getLo(r);
  }

  /** Argument i as a size_t: exact, or Infinity when it exceeds 2^53 (callers compare against limits). */
  size(i: number): number {
    const r = SYSCALL_ARGS[i]!;
    const hi = this.regs.getHi(r);
    return hi >= 0x20_0000 ? Infinity : hi * TWO32 + this.regs.getLo(r);
  }

  /** Argument i as raw halves, e.g. for flags words that use the upper bits. */
  hi(i: number): number {
    return this.regs.getHi(SYSCALL_ARGS[i]!);
  }
}
