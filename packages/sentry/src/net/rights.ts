// Descriptors in flight (SCM_RIGHTS): the descriptions one message carries
// between sendmsg and the recvmsg that installs them. Each is held (a
// reference, as a descriptor is: ../kernel/fdtable.ts), so the sender may
// close its descriptors meanwhile; a message that is never received (its
// socket closed, a read() that takes no control data, a short control
// buffer) drops them, closing those nobody else refers to.
//
// Limits, as Linux: at most SCM_MAX_FD per message (the syscall layer
// checks); a user without privilege may have no more in flight than its
// RLIMIT_NOFILE (too_many_unix_fds: ETOOMANYREFS); and each one is charged
// RIGHT_COST to the sandbox's account, so root's messages are bounded too.
// Like any reference count, a socket sent through itself and then closed
// everywhere stays in flight until the sandbox ends (Linux's unix_gc
// collects such cycles; here they stay charged to the sandbox).
import { E } from '../errno.js';
import { hold, release } from '../kernel/fdtable.js';
import type { MemoryAccount } from '../mm/account.js';
import type { FileDescription } from '../vfs/index.js';

/** Linux's SCM_MAX_FD: descriptors one message may carry. */
export const SCM_MAX_FD = 253;
/** Host bytes charged per description in flight. */
export const RIGHT_COST = 64;

/** Descriptions in flight, per sandbox (kernel) and user. */
const counts = new WeakMap<object, Map<number, number>>();

function countsOf(kernel: object): Map<number, number> {
  let m = counts.get(kernel);
  if (m === undefined) counts.set(kernel, (m = new Map()));
  return m;
}

export class InFlight {
  #files: FileDescription[] | null;

  private constructor(
    files: FileDescription[],
    private readonly kernel: object,
    private readonly uid: number,
    private readonly account: MemoryAccount | null,
  ) {
    this.#files = files;
  }

  /**
   * Takes `files` in flight for user `uid` of `kernel`: -ETOOMANYREFS when
   * an unprivileged user already has more than `limit` in flight, -ENOBUFS
   * when the account cannot take them.
   */
  static send(files: FileDescription[], kernel: object, uid: number, limit: number, account: MemoryAccount | null): InFlight | number {
    const m = countsOf(kernel);
    const now = m.get(uid) ?? 0;
    if (uid !== 0 && now > limit) return -E.ETOOMANYREFS;
    if (account && !account.charge(files.length * RIGHT_COST)) return -E.ENOBUFS;
    m.set(uid, now + files.length);
    for (const f of files) hold(f);
    return new InFlight(files, kernel, uid, account);
  }

  get count(): number {
    return this.#files?.length ?? 0;
  }

  #land(): FileDescription[] {
    const files = this.#files ?? [];
    this.#files = null;
    const m = countsOf(this.kernel);
    m.set(this.uid, (m.get(this.uid) ?? files.length) - files.length);
    this.account?.uncharge(files.length * RIGHT_COST);
    return files;
  }

  /**
   * Ends the flight: `install` is called for each description in order
   * until it returns false; the rest are dropped. The flight's references
   * are released either way (an installed description has its descriptor's).
   */
  receive(install: (f: FileDescription) => boolean): void {
    let open = true;
    for (const f of this.#land()) {
      if (open) open = install(f);
      release(f);
    }
  }

  /** A second flight of the same descriptions (MSG_PEEK hands over copies and leaves the message queued); null when the account is full. */
  dup(): InFlight | null {
    const files = this.#files ?? [];
    if (this.account && !this.account.charge(files.length * RIGHT_COST)) return null;
    const m = countsOf(this.kernel);
    m.set(this.uid, (m.get(this.uid) ?? 0) + files.length);
    for (const f of files) hold(f);
    return new InFlight([...files], this.kernel, this.uid, this.account);
  }

  /** Ends the flight with nothing installed. */
  drop(): void {
    this.receive(() => false);
  }
}
