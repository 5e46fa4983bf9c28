// The system call table: x86-64 number -> name, how to print its arguments
// (strace), and the handler. One table serves the dispatcher and --strace,
// so the two cannot disagree about an argument.
import type { SyscallArgs } from './args.js';
import type { Task } from './task.js';
import { SYSCALL_NAMES } from './syscall-names.js';

/**
 * How strace shows an argument. Handlers decode arguments themselves (with
 * SyscallArgs); these only describe them.
 */
export type ArgKind =
  | 'int'
  | 'uint'
  | 'hex'
  | 'ptr'
  | 'size'
  | 'off'
  | 'fd'
  | 'dirfd'
  | 'path' // NUL-terminated string in guest memory
  | 'inbuf' // bytes the guest passes in; length in the next argument
  | 'outbuf' // bytes the kernel fills in; the result is the length
  | 'oflags'
  | 'mode'
  | 'prot'
  | 'mapflags'
  | 'signal'
  | 'clock'
  | 'whence'
  | 'atflags';

/** How strace shows the result. */
export type RetKind = 'int' | 'hex' | 'ptr' | 'void';

/**
 * A handler returns the result (a negative errno on failure), or a promise
 * of it when the call must wait: the task is parked until it settles.
 */
export type SyscallHandler = (t: Task, a: SyscallArgs) => number | Promise<number>;

export interface SyscallDef {
  readonly nr: number;
  readonly name: string;
  readonly args: readonly ArgKind[];
  readonly ret: RetKind;
  readonly handler: SyscallHandler;
}

const byName = new Map<string, number>();
for (const [nr, name] of SYSCALL_NAMES) byName.set(name, nr);

/** The handlers a syscall area contributes. */
export type SyscallSpec = readonly [name: string, args: readonly ArgKind[], handler: SyscallHandler, ret?: RetKind];

export class SyscallTable {
  readonly #defs: (SyscallDef | undefined)[] = [];

  /** Registers handlers; a name that is not an x86-64 system call, or a second handler for one, is a bug and throws. */
  add(specs: readonly SyscallSpec[]): this {
    for (const [name, args, handler, ret] of specs) {
      const nr = byName.get(name);
      if (nr === undefined) throw new Error(`no x86-64 system call named ${name}`);
      if (this.#defs[nr] !== undefined) throw new Error(`system call ${name} registered twice`);
      this.#defs[nr] = { nr, name, args, ret: ret ?? 'int', handler };
    }
    return this;
  }

  get(nr: number): SyscallDef | undefined {
    return this.#defs[nr];
  }

  /** The name of any x86-64 system call number, implemented or not. */
  static nameOf(nr: number): string {
    return SYSCALL_NAMES.get(nr) ?? `syscall_${nr}`;
  }

  /** Names of every implemented system call, sorted. */
  implemented(): string[] {
    return this.#defs
      .filter((d): d is SyscallDef => d !== undefined)
      .map((d) => d.name)
      .sort();
  }
}
