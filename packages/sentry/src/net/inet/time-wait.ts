// TCP's TIME_WAIT (Linux's inet_timewait_sock): the end that sent its FIN
// first keeps its connection's addresses for TCP_TIMEWAIT_LEN once the
// other end's FIN has come too, whether or not its descriptor is still
// open. /proc/net/tcp shows the entry in state 06 (inode 0, uid 0, timer
// 3 with the time left), and it holds its local port as the socket did: a
// bind there is EADDRINUSE unless both that socket and the new one set
// SO_REUSEADDR (ports.ts). Ephemeral port searches pass over it, as
// Linux's connect may reuse a TIME_WAIT port for another 4-tuple. A
// sandbox keeps at most MAX_TIME_WAIT entries.
import type { Endpoint } from './address.js';
import type { InetSocket } from './inet-socket.js';
import type { Binding, PortTable } from './ports.js';

/** TCP_TIMEWAIT_LEN: 60 seconds. */
export const TIME_WAIT_MS = 60_000;
/**
 * tcp_max_tw_buckets for one sandbox: past it a closing connection keeps
 * no TIME_WAIT, as on Linux when its table is full. Far below Linux's
 * default (131072 here), since the entries are host memory no sandbox
 * account is charged for and a loop of connect and close makes them fast.
 */
export const MAX_TIME_WAIT = 4096;

/** What of a closing connection its TIME_WAIT keeps: the port binding's terms and both addresses. */
export interface Closing {
  readonly binding: Binding<InetSocket>;
  readonly local: Endpoint;
  readonly remote: Endpoint;
  readonly v6: boolean;
}

export interface TimeWait extends Closing {
  /** performance.now() when it ends. */
  readonly ends: number;
}

export class TimeWaits {
  /** Oldest first, each with the timer that ends it. */
  readonly #entries = new Map<TimeWait, ReturnType<typeof setTimeout>>();
  #closed = false;

  constructor(private readonly table: PortTable<InetSocket>) {}

  get entries(): IterableIterator<TimeWait> {
    return this.#entries.keys();
  }

  /** The connection `c` enters TIME_WAIT, unless MAX_TIME_WAIT are already: its port stays held for TIME_WAIT_MS. */
  enter(c: Closing): void {
    if (this.#closed || this.#entries.size >= MAX_TIME_WAIT) return;
    const binding = this.table.attach({ ...c.binding, listening: false, timeWait: true });
    const e: TimeWait = { ...c, binding, ends: performance.now() + TIME_WAIT_MS };
    const timer = setTimeout(() => this.#end(e), TIME_WAIT_MS);
    timer.unref?.(); // nothing the guest waits for: it never keeps the sandbox running
    this.#entries.set(e, timer);
  }

  #end(e: TimeWait): void {
    this.#entries.delete(e);
    this.table.unbind(e.binding);
  }

  /** The sandbox ended: every entry and its timer goes. */
  shutdown(): void {
    this.#closed = true;
    for (const [e, timer] of this.#entries) {
      clearTimeout(timer);
      this.table.unbind(e.binding);
    }
    this.#entries.clear();
  }
}
