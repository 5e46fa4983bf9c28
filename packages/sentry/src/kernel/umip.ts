// SGDT, SIDT, SLDT, STR and SMSW from user space, answered as Linux's
// arch/x86/kernel/umip.c answers them. The platform runs ring 3 with UMIP
// (CR4.UMIP), so these instructions, which would show where the guest
// kernel's tables are, raise #GP(0) instead. Linux then emulates them with
// fixed dummy values and moves RIP past the instruction, for 64-bit programs
// too; a program sees the same values here as on a Linux host with UMIP.
//
// The instruction bytes are the guest's: everything is bounds-checked, a
// byte that cannot be read ends the emulation (the #GP's SIGSEGV stands).
import { Reg, type Registers } from '@tsv/platform';
import type { Task } from './task.js';

/** Linux's UMIP_DUMMY_GDT_BASE and UMIP_DUMMY_IDT_BASE; the limits read 0. */
const DUMMY_GDT_BASE = 0xffff_ffff_fffe_0000n;
const DUMMY_IDT_BASE = 0xffff_ffff_ffff_0000n;
/** CR0 as SMSW reports it: PE MP ET NE WP AM PG (Linux's CR0_STATE). */
const DUMMY_CR0 = 0x8005_0033;
/** STR: Linux's TSS selector (GDT_ENTRY_TSS * 8); SLDT: no LDT (modify_ldt does not exist here). */
const DUMMY_TR = 0x40;
const DUMMY_LDTR = 0;

const MAX_INSN = 15;
const LEGACY_PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);
const FS_OVERRIDE = 0x64;
const GS_OVERRIDE = 0x65;
const OPERAND_SIZE = 0x66;
const ADDRESS_SIZE = 0x67;
/** ModRM and SIB register numbers (with REX's extra bit) -> user_regs_struct. */
const GPR = [
  Reg.rax,
  Reg.rcx,
  Reg.rdx,
  Reg.rbx,
  Reg.rsp,
  Reg.rbp,
  Reg.rsi,
  Reg.rdi,
  Reg.r8,
  Reg.r9,
  Reg.r10,
  Reg.r11,
  Reg.r12,
  Reg.r13,
  Reg.r14,
  Reg.r15,
];
const U64 = (1n << 64n) - 1n;

/** What emulateUmip did. */
export type UmipOutcome =
  /** Not an instruction UMIP covers (or a form Linux refuses): the #GP's SIGSEGV stands. */
  | { kind: 'none' }
  /** Emulated: the result is stored and RIP is past the instruction. */
  | { kind: 'done' }
  /** The memory operand at `addr` could not be written: SIGSEGV, SEGV_MAPERR, as a write fault there. */
  | { kind: 'fault'; addr: number };

const NONE: UmipOutcome = { kind: 'none' };
const DONE: UmipOutcome = { kind: 'done' };

/** Emulates the instruction at the task's RIP after a #GP(0) from user space, if UMIP covers it. */
export function emulateUmip(t: Task): UmipOutcome {
  const regs = t.regs;
  const code = new Uint8Array(MAX_INSN);
  const avail = fetch(t, regs.get(Reg.rip), code);
  let at = 0;
  const byte = () => (at < avail ? code[at++]! : -1);

  let opsize = 4;
  let addr32 = false;
  let segment = 0;
  let rex = 0;
  let b = byte();
  for (; LEGACY_PREFIXES.has(b) || (b & 0xf0) === 0x40; b = byte()) {
    // REX counts only right before the opcode; a legacy prefix after it cancels it.
    rex = (b & 0xf0) === 0x40 ? b : 0;
    if (b === OPERAND_SIZE) opsize = 2;
    else if (b === ADDRESS_SIZE) addr32 = true;
    else if (b === FS_OVERRIDE || b === GS_OVERRIDE) segment = b;
  }
  if ((rex & 8) !== 0) opsize = 8;
  if (b !== 0x0f) return NONE;
  const op = byte();
  const modrm = byte();
  if ((op !== 0x00 && op !== 0x01) || modrm < 0) return NONE;
  const mod = modrm >> 6;
  const reg = (modrm >> 3) & 7;
  const rm = (modrm & 7) | ((rex & 1) << 3);

  let data: Uint8Array;
  if (op === 0x01 && (reg === 0 || reg === 1)) {
    if (mod === 3) return NONE; // SGDT/SIDT take memory only
    data = new Uint8Array(10); // 2-byte limit (0), 8-byte base
    new DataView(data.buffer).setBigUint64(2, reg === 0 ? DUMMY_GDT_BASE : DUMMY_IDT_BASE, true);
  } else if ((op === 0x01 && reg === 4) || (op === 0x00 && (reg === 0 || reg === 1))) {
    const value = op === 0x01 ? DUMMY_CR0 : reg === 0 ? DUMMY_LDTR : DUMMY_TR;
    // A register gets the operand size; memory only the low two bytes.
    data = new Uint8Array(8);
    new DataView(data.buffer).setUint32(0, value, true);
    data = data.subarray(0, mod === 3 ? opsize : 2);
  } else {
    return NONE;
  }

  if (mod === 3) {
    storeRegister(regs, GPR[rm]!, data);
    regs.set(Reg.rip, regs.get(Reg.rip) + at);
    return DONE;
  }
  const ea = effectiveAddress(regs, byte, mod, rm, rex, addr32, () => at);
  if (ea === undefined) return NONE;
  let target = segment === 0 ? ea : ea + regs.getBig(segment === FS_OVERRIDE ? Reg.fs_base : Reg.gs_base);
  target &= U64;
  const addr = Number(target);
  if (target >= 1n << 47n || t.mm.copyOut(addr, data) < 0) return { kind: 'fault', addr };
  regs.set(Reg.rip, regs.get(Reg.rip) + at);
  return DONE;
}

/**
 * The address a memory operand names, from ModRM (and SIB, displacement),
 * or undefined when the bytes run out. RIP-relative addresses count from the
 * end of the instruction, which here is the end of the displacement.
 */
function effectiveAddress(
  regs: Registers,
  byte: () => number,
  mod: number,
  rm: number,
  rex: number,
  addr32: boolean,
  length: () => number,
): bigint | undefined {
  let base = 0n;
  let ripRelative = false;
  if ((rm & 7) === 4) {
    const sib = byte();
    if (sib < 0) return undefined;
    const index = ((sib >> 3) & 7) | ((rex & 2) << 2);
    const baseReg = (sib & 7) | ((rex & 1) << 3);
    if (index !== 4) base += regs.getBig(GPR[index]!) << BigInt(sib >> 6);
    if ((sib & 7) !== 5 || mod !== 0) base += regs.getBig(GPR[baseReg]!);
    else mod = 2; // no base: a 32-bit displacement
  } else if ((rm & 7) === 5 && mod === 0) {
    ripRelative = true;
    mod = 2;
  } else {
    base = regs.getBig(GPR[rm]!);
  }
  let disp = 0n;
  if (mod === 1 || mod === 2) {
    const n = mod === 1 ? 1 : 4;
    for (let i = 0; i < n; i++) {
      const b = byte();
      if (b < 0) return undefined;
      disp |= BigInt(b) << BigInt(8 * i);
    }
    disp = BigInt.asIntN(8 * n, disp);
  }
  if (ripRelative) base = regs.getBig(Reg.rip) + BigInt(length());
  const ea = base + disp;
  return addr32 ? BigInt.asUintN(32, ea) : BigInt.asUintN(64, ea);
}

/** Copies `data` over the low bytes of register `r`, the rest kept (as Linux's memcpy into pt_regs). */
function storeRegister(regs: Registers, r: number, data: Uint8Array): void {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, regs.getBig(r), true);
  bytes.set(data);
  regs.setBig(r, new DataView(bytes.buffer).getBigUint64(0, true));
}

/** Reads up to code.length instruction bytes at `rip`; returns how many could be read. */
function fetch(t: Task, rip: number, code: Uint8Array): number {
  if (t.mm.copyIn(rip, code) === 0) return code.length;
  // The instruction may end before an unreadable page: take what precedes it.
  const first = Math.min(code.length, 4096 - (rip % 4096));
  return t.mm.copyIn(rip, code, first) === 0 ? first : 0;
}
