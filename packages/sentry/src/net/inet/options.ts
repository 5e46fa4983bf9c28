// The IP-, IPv6-, TCP- and UDP-level options an inet socket keeps: each an
// int with Linux's default and range, stored per socket and read back. The
// sandbox's loopback has no use for most of them (TTL, TOS, keepalive
// timers: no packet ever leaves), but programs set and read them, and the
// values must behave as Linux's do: EINVAL outside the range, ENOPROTOOPT
// for an option the level does not have.
import { E } from '../../errno.js';
import { intBytes } from '../sockopt.js';

export const IPPROTO_IP = 0;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;

export const IP_TTL = 2;
export const IPV6_V6ONLY = 26;
export const TCP_NODELAY = 1;
export const TCP_MAXSEG = 2;
export const TCP_INFO = 11;
export const TCP_CONGESTION = 13;

interface Spec {
  readonly def: number;
  /** Accepted values (inclusive); a boolean option takes any int and reads back 0 or 1. */
  readonly min?: number;
  readonly max?: number;
  readonly bool?: true;
  /** Setting this value restores the default (IP_TTL -1). */
  readonly reset?: number;
}

const B: Spec = { def: 0, bool: true };
const I: Spec = { def: 0 };

const IP: ReadonlyMap<number, Spec> = new Map([
  [1, I], // IP_TOS
  [IP_TTL, { def: 64, min: 1, max: 255, reset: -1 }],
  [6, B], // IP_RECVOPTS
  [7, B], // IP_RETOPTS
  [8, B], // IP_PKTINFO
  [10, { def: 1, min: 0, max: 5 }], // IP_MTU_DISCOVER
  [11, B], // IP_RECVERR
  [12, B], // IP_RECVTTL
  [13, B], // IP_RECVTOS
  [15, B], // IP_FREEBIND
  [24, B], // IP_BIND_ADDRESS_NO_PORT
  [33, { def: 1, min: 0, max: 255, reset: -1 }], // IP_MULTICAST_TTL
  [34, { def: 1, bool: true }], // IP_MULTICAST_LOOP
]);

const IPV6: ReadonlyMap<number, Spec> = new Map([
  [16, { def: 64, min: 0, max: 255, reset: -1 }], // IPV6_UNICAST_HOPS
  [18, { def: 1, min: 0, max: 255, reset: -1 }], // IPV6_MULTICAST_HOPS
  [19, { def: 1, bool: true }], // IPV6_MULTICAST_LOOP
  [23, { def: 0, min: 0, max: 5 }], // IPV6_MTU_DISCOVER
  [25, B], // IPV6_RECVERR
  [49, B], // IPV6_RECVPKTINFO
  [51, B], // IPV6_RECVHOPLIMIT
  [66, B], // IPV6_RECVTCLASS
  [67, { def: 0, min: -1, max: 255 }], // IPV6_TCLASS
]);

const TCP: ReadonlyMap<number, Spec> = new Map([
  [TCP_NODELAY, B],
  [TCP_MAXSEG, { def: 536, min: 88, max: 32767 }],
  [3, B], // TCP_CORK
  [4, { def: 7200, min: 1, max: 32767 }], // TCP_KEEPIDLE
  [5, { def: 75, min: 1, max: 32767 }], // TCP_KEEPINTVL
  [6, { def: 9, min: 1, max: 127 }], // TCP_KEEPCNT
  [7, { def: 6, min: 1, max: 127 }], // TCP_SYNCNT
  [8, { def: 60 }], // TCP_LINGER2
  [9, { def: 0, min: 0 }], // TCP_DEFER_ACCEPT
  [10, { def: 0, min: 0 }], // TCP_WINDOW_CLAMP
  [12, { def: 1, bool: true }], // TCP_QUICKACK
  [18, { def: 0, min: 0 }], // TCP_USER_TIMEOUT
  [23, { def: 0, min: 0 }], // TCP_FASTOPEN
  [25, { def: 0 }], // TCP_NOTSENT_LOWAT
  [30, B], // TCP_FASTOPEN_CONNECT
]);

const UDP: ReadonlyMap<number, Spec> = new Map([
  [1, B], // UDP_CORK
  [103, { def: 0, min: 0, max: 65535 }], // UDP_SEGMENT
  [104, B], // UDP_GRO
]);

/** The levels a socket answers: IP always, IPv6 for AF_INET6, then its protocol's. */
export function levelsFor(v6: boolean, protocol: number): ReadonlyMap<number, ReadonlyMap<number, Spec>> {
  const m = new Map<number, ReadonlyMap<number, Spec>>([[IPPROTO_IP, IP]]);
  if (v6) m.set(IPPROTO_IPV6, IPV6);
  m.set(protocol, protocol === IPPROTO_TCP ? TCP : UDP);
  return m;
}

/** One socket's option values (only those it set). */
export class InetOptions {
  readonly #values = new Map<string, number>();

  constructor(private readonly levels: ReadonlyMap<number, ReadonlyMap<number, Spec>>) {}

  /** Takes every value `o` set (an accepted socket inherits its listener's). */
  copyFrom(o: InetOptions): void {
    for (const [k, v] of o.#values) this.#values.set(k, v);
  }

  #spec(level: number, name: number): Spec | undefined {
    return this.levels.get(level)?.get(name);
  }

  has(level: number, name: number): boolean {
    return this.#spec(level, name) !== undefined;
  }

  /** The value, or -ENOPROTOOPT for an option the socket does not have. */
  get(level: number, name: number): number {
    const s = this.#spec(level, name);
    if (s === undefined) return -E.ENOPROTOOPT;
    return this.#values.get(`${level}:${name}`) ?? s.def;
  }

  getBytes(level: number, name: number): Uint8Array | number {
    const s = this.#spec(level, name);
    return s === undefined ? -E.ENOPROTOOPT : intBytes(this.get(level, name));
  }

  /** setsockopt with the guest's bytes: 0, -EINVAL (short or out of range) or -ENOPROTOOPT. */
  set(level: number, name: number, value: Uint8Array): number {
    const s = this.#spec(level, name);
    if (s === undefined) return -E.ENOPROTOOPT;
    // Linux takes a 1-byte value for a few IP options; 4 bytes everywhere else.
    if (value.length < 4) return -E.EINVAL;
    const v = new DataView(value.buffer, value.byteOffset, 4).getInt32(0, true);
    const key = `${level}:${name}`;
    if (s.reset !== undefined && v === s.reset) this.#values.delete(key);
    else if (s.bool) this.#values.set(key, v !== 0 ? 1 : 0);
    else if ((s.min !== undefined && v < s.min) || (s.max !== undefined && v > s.max)) return -E.EINVAL;
    else this.#values.set(key, v);
    return 0;
  }
}
