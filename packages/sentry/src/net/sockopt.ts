// SOL_SOCKET options every family shares (Linux's sk_setsockopt and
// sk_getsockopt): buffer sizes, timeouts, SO_PASSCRED, SO_TYPE and the
// flags a family only consults (SO_REUSEADDR, SO_KEEPALIVE...). Options of
// other levels, and SOL_SOCKET ones that depend on the family's state
// (SO_ERROR, SO_PEERCRED, SO_ACCEPTCONN), go to the socket itself.
import { E } from '../errno.js';
import { SOL_SOCKET } from './msghdr.js';
import { RMEM_MAX, SOCK_MIN_RCVBUF, SOCK_MIN_SNDBUF, type Socket, WMEM_MAX } from './socket.js';

export const SO_DEBUG = 1;
export const SO_REUSEADDR = 2;
export const SO_TYPE = 3;
export const SO_ERROR = 4;
export const SO_DONTROUTE = 5;
export const SO_BROADCAST = 6;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_KEEPALIVE = 9;
export const SO_OOBINLINE = 10;
export const SO_NO_CHECK = 11;
export const SO_PRIORITY = 12;
export const SO_LINGER = 13;
export const SO_REUSEPORT = 15;
export const SO_PASSCRED = 16;
export const SO_PEERCRED = 17;
export const SO_RCVLOWAT = 18;
export const SO_SNDLOWAT = 19;
export const SO_RCVTIMEO = 20;
export const SO_SNDTIMEO = 21;
export const SO_TIMESTAMP = 29;
export const SO_ACCEPTCONN = 30;
export const SO_SNDBUFFORCE = 32;
export const SO_RCVBUFFORCE = 33;
export const SO_MARK = 36;
export const SO_PROTOCOL = 38;
export const SO_DOMAIN = 39;
export const SO_BUSY_POLL = 46;
export const SO_INCOMING_CPU = 49;
export const SO_ZEROCOPY = 60;
export const SO_RCVTIMEO_NEW = 66;
export const SO_SNDTIMEO_NEW = 67;

/** Options kept as an int for the family to consult; booleans read back as 0 or 1. */
const BOOLEANS = new Set([
  SO_DEBUG,
  SO_REUSEADDR,
  SO_DONTROUTE,
  SO_BROADCAST,
  SO_KEEPALIVE,
  SO_OOBINLINE,
  SO_NO_CHECK,
  SO_TIMESTAMP,
  SO_ZEROCOPY,
]);
const INTS = new Map([
  [SO_PRIORITY, 0],
  [SO_RCVLOWAT, 1],
  [SO_MARK, 0],
  [SO_BUSY_POLL, 0],
  [SO_INCOMING_CPU, -1],
]);

const AF_INET = 2;
const AF_INET6 = 10;

export function intBytes(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, true);
  return b;
}

function timevalBytes(ns: bigint | null): Uint8Array {
  const b = new Uint8Array(16);
  if (ns !== null) {
    const v = new DataView(b.buffer);
    v.setBigInt64(0, ns / 1_000_000_000n, true);
    v.setBigInt64(8, (ns % 1_000_000_000n) / 1000n, true);
  }
  return b;
}

/** A timeout from a struct timeval (sock_set_timeout): null waits forever, -EDOM for bad microseconds. */
function timeoutOf(b: Uint8Array): bigint | null | number {
  if (b.length < 16) return -E.EINVAL;
  const v = new DataView(b.buffer, b.byteOffset, 16);
  const sec = v.getBigInt64(0, true);
  const usec = v.getBigInt64(8, true);
  if (usec < 0n || usec >= 1_000_000n) return -E.EDOM;
  if (sec < 0n) return 0n; // Linux warns and makes it immediate
  if (sec === 0n && usec === 0n) return null;
  return sec * 1_000_000_000n + usec * 1000n;
}

/** getsockopt: the option's bytes (the caller cuts them to the guest's length), or a negative errno. */
export function getSockopt(s: Socket, level: number, name: number): Uint8Array | number {
  if (level !== SOL_SOCKET) return s.familyOption(level, name);
  if (BOOLEANS.has(name)) return intBytes(s.options.get(name) ? 1 : 0);
  if (INTS.has(name)) return intBytes(s.options.get(name) ?? INTS.get(name)!);
  switch (name) {
    case SO_TYPE:
      return intBytes(s.type);
    case SO_DOMAIN:
      return intBytes(s.family);
    case SO_PROTOCOL:
      return intBytes(s.protocol);
    case SO_SNDBUF:
      return intBytes(s.sndbuf);
    case SO_RCVBUF:
      return intBytes(s.rcvbuf);
    case SO_SNDLOWAT:
      return intBytes(1);
    case SO_REUSEPORT:
      return intBytes(s.options.get(SO_REUSEPORT) ? 1 : 0);
    case SO_PASSCRED:
      return intBytes(s.passcred ? 1 : 0);
    case SO_ACCEPTCONN:
      return intBytes(s.listening ? 1 : 0);
    case SO_RCVTIMEO:
    case SO_RCVTIMEO_NEW:
      return timevalBytes(s.rcvtimeo);
    case SO_SNDTIMEO:
    case SO_SNDTIMEO_NEW:
      return timevalBytes(s.sndtimeo);
    case SO_LINGER: {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setInt32(0, s.linger[0], true);
      new DataView(b.buffer).setInt32(4, s.linger[1], true);
      return b;
    }
    default:
      return s.familyOption(level, name);
  }
}

/** setsockopt with the option's bytes (at most a page, copied in by the caller): 0 or a negative errno. */
export function setSockopt(s: Socket, level: number, name: number, value: Uint8Array): number {
  if (level !== SOL_SOCKET) return s.setFamilyOption(level, name, value);
  if (name === SO_RCVTIMEO || name === SO_RCVTIMEO_NEW || name === SO_SNDTIMEO || name === SO_SNDTIMEO_NEW) {
    const t = timeoutOf(value);
    if (typeof t === 'number') return t;
    if (name === SO_RCVTIMEO || name === SO_RCVTIMEO_NEW) s.rcvtimeo = t;
    else s.sndtimeo = t;
    return 0;
  }
  if (value.length < 4) return -E.EINVAL;
  const v = new DataView(value.buffer, value.byteOffset, value.length);
  const val = v.getInt32(0, true);
  if (BOOLEANS.has(name) || INTS.has(name)) {
    s.options.set(name, val);
    return 0;
  }
  switch (name) {
    case SO_SNDBUF:
    case SO_SNDBUFFORCE:
      // The kernel doubles the request for its own overhead, within wmem_max (FORCE ignores it; as root it may).
      s.sndbuf = Math.max(SOCK_MIN_SNDBUF, 2 * (name === SO_SNDBUF ? Math.min(val >>> 0, WMEM_MAX) : Math.max(0, val)));
      s.wake();
      return 0;
    case SO_RCVBUF:
    case SO_RCVBUFFORCE:
      s.rcvbuf = Math.max(SOCK_MIN_RCVBUF, 2 * (name === SO_RCVBUF ? Math.min(val >>> 0, RMEM_MAX) : Math.max(0, val)));
      s.wake();
      return 0;
    case SO_REUSEPORT:
      if (val !== 0 && s.family !== AF_INET && s.family !== AF_INET6) return -E.EOPNOTSUPP;
      s.options.set(name, val);
      return 0;
    case SO_PASSCRED:
      s.passcred = val !== 0;
      return 0;
    case SO_LINGER: {
      if (value.length < 8) return -E.EINVAL;
      s.linger = [val, v.getInt32(4, true)];
      return 0;
    }
    case SO_SNDLOWAT:
      return -E.ENOPROTOOPT;
    default:
      return s.setFamilyOption(level, name, value);
  }
}
