// The assembled guest stub (src/ring0.S, built into gen/ring0.ts by
// scripts/assemble.mjs) and the check that it is laid out as src/layout.ts
// says. A stale or edited stub fails here, at load, not as a wrong guess
// about an exit later.
import { RING0_CODE_BASE64, RING0_SYMBOLS } from '../gen/ring0.js';
import {
  IDT_VECTORS,
  STUB_REVOKE_EXIT_OFFSET,
  STUB_REVOKE_OFFSET,
  STUB_SIZE,
  STUB_STRIDE,
  STUB_SYSCALL_COMPAT_OFFSET,
  STUB_SYSCALL_OFFSET,
  STUB_VECTORS_OFFSET,
} from './layout.js';

/** The stub page's machine code, exactly STUB_SIZE bytes. */
export const STUB_CODE: Uint8Array = Uint8Array.from(Buffer.from(RING0_CODE_BASE64, 'base64'));

/** Symbol offsets inside STUB_CODE, as the assembler placed them. */
export const STUB_SYMBOLS: Readonly<Record<string, number>> = RING0_SYMBOLS;

function expectSymbol(name: string, want: number): void {
  if (STUB_SYMBOLS[name] !== want) {
    throw new Error(`@tsv/ring0: stub symbol ${name} is at ${STUB_SYMBOLS[name]}, layout says ${want}`);
  }
}

expectSymbol('ring0_syscall', STUB_SYSCALL_OFFSET);
expectSymbol('ring0_syscall_compat', STUB_SYSCALL_COMPAT_OFFSET);
expectSymbol('ring0_vectors', STUB_VECTORS_OFFSET);
expectSymbol('ring0_vectors_end', STUB_VECTORS_OFFSET + IDT_VECTORS * STUB_STRIDE);
expectSymbol('ring0_revoke', STUB_REVOKE_OFFSET);
expectSymbol('ring0_revoke_exit', STUB_REVOKE_EXIT_OFFSET);
expectSymbol('ring0_end', STUB_SIZE);
if (STUB_CODE.length !== STUB_SIZE) {
  throw new Error(`@tsv/ring0: stub is ${STUB_CODE.length} bytes, layout says ${STUB_SIZE}`);
}
