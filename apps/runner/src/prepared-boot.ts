// The next sandbox booted before it is asked for. A service that runs the
// same program again and again (a judge running one submission on each test,
// a plugin host calling one function) asks for sandboxes that differ only in
// their input: once two such have ended in a row, their worker boots another
// of the same request -- VM, Sentry, filesystem, the program loaded and
// ready at its first instruction -- while it has nothing else to do. The next request equal in
// everything but its standard input takes it and only runs; any other
// request discards it and boots its own, as without it.
//
// A prepared boot is a boot done early, never a reuse: no guest has run in
// it (its VM is a prepared one, see prepared-vm.ts). What keeps it from
// being stale:
// - it lives at most PREPARED_BOOT_MS, so a boot is never older than that;
// - before it is taken, the host is asked afresh (Sentry.hostFilesChanged):
//   the files the boot read (the program, a script's interpreter, the ELF
//   interpreter) must be the same, unchanged; the working directory the
//   same directory; and the host paths of the root and the volumes must
//   still lead to the directories the boot opened (a symlink retargeted by
//   an atomic deploy, a directory removed and made again). A program
//   rebuilt at the same path between two runs is the new one;
// - it is prepared only when its worker runs nothing else, and holds no
//   directory open while it waits (only its program file);
// - a program named without a slash (a PATH search, which a new file earlier
//   on the PATH would change), a terminal, host descriptors, a network beyond
//   the sandbox's own loopback, published ports, strace and debug output are
//   never prepared: each ties a boot to its own caller or to host state.
// The program's view of time starts at the boot (its uptime counts from
// there), as after any boot.
import { isDeepStrictEqual } from 'node:util';
import type { PreparedVms } from './prepared-vm.js';
import { type EngineEvents, type EngineSpec, SandboxEngine } from './sandbox-engine.js';

/** How long a prepared boot waits for its request before it is discarded. */
export const PREPARED_BOOT_MS = 2000;

/** Whether a request may be booted in advance (see above). */
function preparable(spec: EngineSpec): boolean {
  const o = spec.options;
  const input = spec.stdin.kind === 'eof' || spec.stdin.kind === 'bytes' || (spec.stdin.kind === 'pushed' && !spec.stdin.isTty);
  return (
    input &&
    spec.argv[0]?.includes('/') === true &&
    !spec.strace &&
    !spec.debug &&
    o.pty === undefined &&
    o.fds === undefined &&
    (o.publish === undefined || o.publish.length === 0) &&
    (o.net === undefined || o.net === 'none')
  );
}

/** The options whose order matters as entry lists (the environment and placed files are applied in key order). */
function ordered(spec: EngineSpec): unknown {
  const { env, files } = spec.options;
  const entries = (o: unknown) => (o !== null && typeof o === 'object' && !Array.isArray(o) ? Object.entries(o) : o);
  return { ...spec, stdin: undefined, options: { ...spec.options, env: entries(env), files: entries(files) } };
}

/** The same request but for its standard input. */
function sameRequest(a: EngineSpec, b: EngineSpec): boolean {
  return isDeepStrictEqual(ordered(a), ordered(b));
}

/** Events of a boot nobody has asked for yet: kept until a request takes it, then delivered to its caller. */
class EventRelay implements EngineEvents {
  #to: EngineEvents | undefined;
  readonly #held: [string, 'warn' | 'debug' | 'tsv'][] = [];

  bind(to: EngineEvents): void {
    this.#to = to;
    for (const [line, kind] of this.#held.splice(0)) to.diagnostic(line, kind);
  }

  output(fd: 1 | 2, bytes: Uint8Array): void {
    this.#to?.output(fd, bytes); // nothing runs before it is taken: nothing to hold
  }

  diagnostic(line: string, kind: 'warn' | 'debug' | 'tsv'): void {
    if (this.#to !== undefined) this.#to.diagnostic(line, kind);
    else this.#held.push([line, kind]);
  }

  strace(line: string): void {
    this.#to?.strace(line);
  }
}

interface Prepared {
  spec: EngineSpec;
  engine: SandboxEngine;
  relay: EventRelay;
  booted: boolean;
  /** When the boot began (performance.now()). */
  at: number;
  timer: NodeJS.Timeout;
}

/** One worker's prepared boot. */
export class PreparedBoots {
  readonly #vms: PreparedVms;
  #prepared: Prepared | undefined;
  /** The request of the sandbox that ended last. */
  #last: EngineSpec | undefined;

  constructor(vms: PreparedVms) {
    this.#vms = vms;
  }

  /**
   * After a sandbox of `spec` ended: boots another like it (taking the
   * prepared VM) when the one before it was alike too -- a service that
   * runs another program each time never pays for a boot nobody takes,
   * nor waits behind one -- and it may be prepared.
   */
  prepare(spec: EngineSpec): void {
    this.discard();
    const repeated = this.#last !== undefined && sameRequest(this.#last, spec);
    this.#last = spec;
    if (!repeated || !preparable(spec)) return;
    const relay = new EventRelay();
    const engine = new SandboxEngine({ ...spec, stdin: { kind: 'pushed', isTty: false } }, relay, this.#vms);
    const timer = setTimeout(() => this.discard(), PREPARED_BOOT_MS).unref();
    const p: Prepared = { spec, engine, relay, booted: false, at: performance.now(), timer };
    this.#prepared = p;
    engine.boot().then(
      () => {
        p.booted = true;
        engine.releaseHostHandles(); // a volume can be unmounted while it waits (the program file stays open)
      },
      () => {
        if (this.#prepared === p) this.#drop();
      },
    );
  }

  /** The prepared engine when `spec` is its request and its host files are unchanged, bound to `events` and given the input; else undefined. */
  take(spec: EngineSpec, events: EngineEvents): SandboxEngine | undefined {
    const p = this.#prepared;
    if (p === undefined) return undefined;
    const stale = performance.now() - p.at > PREPARED_BOOT_MS; // its timer may not have run yet
    if (!p.booted || stale || !preparable(spec) || !sameRequest(p.spec, spec) || p.engine.hostFilesChanged()) {
      this.discard();
      return undefined;
    }
    this.#drop();
    p.engine.bootedAhead = true;
    p.relay.bind(events);
    if (spec.stdin.kind === 'bytes') p.engine.pushStdin(spec.stdin.bytes);
    if (spec.stdin.kind !== 'pushed') p.engine.endStdin();
    return p.engine;
  }

  /** Ends the prepared boot, if any: its program is killed before its first instruction and its VM given back. */
  discard(): void {
    const p = this.#prepared;
    if (p === undefined) return;
    this.#drop();
    p.engine.discard();
  }

  #drop(): void {
    clearTimeout(this.#prepared?.timer);
    this.#prepared = undefined;
  }
}
