// IP addresses and the sockaddr_in / sockaddr_in6 bytes that carry them.
//
// Every address is held as 16 bytes, IPv4 as IPv4-mapped IPv6
// (::ffff:a.b.c.d), so one comparison serves both families and a v6
// socket's mapped address is the v4 address it means. The classes the
// policy and the loopback care about (loopback, unspecified, broadcast,
// link-local, multicast) are answered here for either form.
import { E } from '../../errno.js';
import { AF_INET, AF_INET6, AF_UNSPEC } from '../families.js';

/** sizeof(struct sockaddr_in), sizeof(struct sockaddr_in6), and the RFC 2133 sockaddr_in6 without sin6_scope_id Linux still takes. */
export const SOCKADDR_IN_LEN = 16;
export const SOCKADDR_IN6_LEN = 28;
export const SIN6_LEN_RFC2133 = 24;

const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

export class Ip {
  /** The 16 bytes, as a string key for maps (hex). */
  readonly key: string;

  private constructor(readonly bytes: Uint8Array) {
    this.key = Buffer.from(bytes).toString('hex');
  }

  static v6(bytes: Uint8Array): Ip {
    return new Ip(Uint8Array.from(bytes.subarray(0, 16)));
  }

  /** The v4 address `a.b.c.d` given as its 4 bytes in network order. */
  static v4(bytes: ArrayLike<number>): Ip {
    const b = new Uint8Array(16);
    b.set(MAPPED_PREFIX);
    for (let i = 0; i < 4; i++) b[12 + i] = bytes[i]!;
    return new Ip(b);
  }

  /** Parses dotted IPv4 or textual IPv6 (as Node's net.isIP accepts); null when it is neither. */
  static parse(text: string): Ip | null {
    const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
    if (v4) {
      const parts = v4.slice(1).map(Number);
      return parts.every((p) => p <= 255) ? Ip.v4(parts) : null;
    }
    if (!text.includes(':')) return null;
    const halves = text.split('::');
    if (halves.length > 2) return null;
    const words = (s: string): number[] | null => {
      if (s === '') return [];
      const out: number[] = [];
      const parts = s.split(':');
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i]!;
        if (i === parts.length - 1 && p.includes('.')) {
          const tail = Ip.parse(p);
          if (tail === null || !tail.isV4) return null;
          out.push((tail.bytes[12]! << 8) | tail.bytes[13]!, (tail.bytes[14]! << 8) | tail.bytes[15]!);
        } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(Number.parseInt(p, 16));
        else return null;
      }
      return out;
    };
    const head = words(halves[0]!);
    const tail = halves.length === 2 ? words(halves[1]!) : [];
    if (head === null || tail === null) return null;
    const gap = 8 - head.length - tail.length;
    if (halves.length === 2 ? gap < 1 : gap !== 0) return null;
    const all = [...head, ...new Array<number>(gap).fill(0), ...tail];
    const b = new Uint8Array(16);
    all.forEach((w, i) => {
      b[2 * i] = w >> 8;
      b[2 * i + 1] = w & 0xff;
    });
    return new Ip(b);
  }

  /** An IPv4 address (held mapped). */
  get isV4(): boolean {
    return MAPPED_PREFIX.every((v, i) => this.bytes[i] === v);
  }

  /** The v4 address as an unsigned 32-bit number (only for isV4). */
  get v4Number(): number {
    const b = this.bytes;
    return ((b[12]! << 24) | (b[13]! << 16) | (b[14]! << 8) | b[15]!) >>> 0;
  }

  /** 0.0.0.0 or ::. */
  get isUnspecified(): boolean {
    return this.isV4 ? this.v4Number === 0 : this.bytes.every((v) => v === 0);
  }

  /** 127.0.0.0/8 or ::1. */
  get isLoopback(): boolean {
    if (this.isV4) return this.bytes[12] === 127;
    return this.bytes.every((v, i) => v === (i === 15 ? 1 : 0));
  }

  get isBroadcast(): boolean {
    return this.isV4 && this.v4Number === 0xffffffff;
  }

  /** 224.0.0.0/4 or ff00::/8. */
  get isMulticast(): boolean {
    return this.isV4 ? this.bytes[12]! >> 4 === 14 : this.bytes[0] === 0xff;
  }

  /** 169.254.0.0/16 or fe80::/10. */
  get isLinkLocal(): boolean {
    return this.isV4 ? this.bytes[12] === 169 && this.bytes[13] === 254 : this.bytes[0] === 0xfe && (this.bytes[1]! & 0xc0) === 0x80;
  }

  equals(o: Ip): boolean {
    return this.key === o.key;
  }

  /** Whether the first `bits` bits (of the 128) equal `net`'s. */
  inPrefix(net: Ip, bits: number): boolean {
    for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
      const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
      if ((this.bytes[i]! & mask) !== (net.bytes[i]! & mask)) return false;
    }
    return true;
  }

  /** Text as Node's net takes it: dotted for v4, else the v6 form (uncompressed words are fine for Node). */
  toString(): string {
    const b = this.bytes;
    if (this.isV4) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
    const words: string[] = [];
    for (let i = 0; i < 16; i += 2) words.push(((b[i]! << 8) | b[i + 1]!).toString(16));
    return words.join(':');
  }
}

export const V4_ANY = Ip.v4([0, 0, 0, 0]);
export const V4_LOOPBACK = Ip.v4([127, 0, 0, 1]);
export const V6_ANY = Ip.v6(new Uint8Array(16));
export const V6_LOOPBACK = Ip.v6(Uint8Array.from({ length: 16 }, (_, i) => (i === 15 ? 1 : 0)));

/** An address and a port: one end of a connection or a datagram's source. */
export interface Endpoint {
  readonly ip: Ip;
  readonly port: number;
}

/** What a guest sockaddr said: its family (AF_INET, AF_INET6 or AF_UNSPEC), address and port. */
export interface Sockaddr extends Endpoint {
  readonly family: number;
  /** sin6_scope_id (0 for v4). */
  readonly scope: number;
}

/**
 * Decodes a sockaddr for a socket of `domain`: sockaddr_in (16 bytes) for
 * AF_INET, sockaddr_in6 (24 bytes at least) for AF_INET6 — EINVAL when
 * shorter, EAFNOSUPPORT when the family field is neither `domain` nor
 * AF_UNSPEC. The family is returned as found: what AF_UNSPEC means is the
 * caller's (bind takes it with 0.0.0.0, connect disconnects).
 */
export function decodeSockaddr(domain: number, bytes: Uint8Array): Sockaddr | number {
  if (bytes.length < (domain === AF_INET6 ? SIN6_LEN_RFC2133 : SOCKADDR_IN_LEN)) return -E.EINVAL;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const family = dv.getUint16(0, true);
  if (family !== domain && family !== AF_UNSPEC) return -E.EAFNOSUPPORT;
  const port = dv.getUint16(2, false);
  if (domain === AF_INET) return { family, port, ip: Ip.v4(bytes.subarray(4, 8)), scope: 0 };
  const scope = bytes.length >= SOCKADDR_IN6_LEN ? dv.getUint32(24, true) : 0;
  return { family, port, ip: Ip.v6(bytes.subarray(8, 24)), scope };
}

/** The sockaddr a socket of `domain` reports for `e`: sockaddr_in, or sockaddr_in6 (a v4 address mapped). */
export function encodeSockaddr(domain: number, e: Endpoint): Uint8Array {
  const out = new Uint8Array(domain === AF_INET6 ? SOCKADDR_IN6_LEN : SOCKADDR_IN_LEN);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, domain, true);
  dv.setUint16(2, e.port, false);
  if (domain === AF_INET6) out.set(e.ip.bytes, 8);
  else out.set(e.ip.bytes.subarray(12), 4);
  return out;
}
