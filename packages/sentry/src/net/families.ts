// Address families: family number -> how to make its sockets. A family
// registers itself once (net/index.ts lists them); socket(2) and
// socketpair(2) look it up here, with Linux's checks in __sock_create's
// order: a family out of range or not registered is EAFNOSUPPORT, a type
// out of range EINVAL, then the family answers for the type and protocol
// (ESOCKTNOSUPPORT, EPROTONOSUPPORT). Raw and packet sockets are EPERM:
// the sandbox never sends or sees raw frames.
import { E } from '../errno.js';
import { SOCK_MAX, SOCK_PACKET, SOCK_RAW, type Socket, SOCKET_COST, type SocketContext } from './socket.js';

export const AF_UNSPEC = 0;
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;
export const AF_PACKET = 17;
/** Families are below this (Linux's NPROTO, AF_MAX). */
export const NPROTO = 46;

export interface Family {
  /** A new socket of `type` (without SOCK_* flags); `flags` may carry O_NONBLOCK. */
  create(ctx: SocketContext, type: number, protocol: number, flags: number): Socket | number;
  /** socketpair(2): absent where the family has none (EOPNOTSUPP). */
  pair?(ctx: SocketContext, type: number, protocol: number, flags: number): [Socket, Socket] | number;
}

const families = new Map<number, Family>();

/** Registers `family`'s constructor; a second registration is a bug and throws. */
export function registerFamily(family: number, f: Family): void {
  if (families.has(family)) throw new Error(`address family ${family} registered twice`);
  families.set(family, f);
}

function lookup(family: number, type: number): Family | number {
  if (family === AF_PACKET) return -E.EPERM;
  if ((family === AF_INET || family === AF_INET6) && (type === SOCK_RAW || type === SOCK_PACKET)) return -E.EPERM;
  if (family < 0 || family >= NPROTO) return -E.EAFNOSUPPORT;
  if (type < 0 || type >= SOCK_MAX) return -E.EINVAL;
  return families.get(family) ?? -E.EAFNOSUPPORT;
}

/** Charges one socket's own objects to the account: -ENFILE when it is full (as pipes). */
function charge(ctx: SocketContext, n: number): number {
  return ctx.account && !ctx.account.charge(n * SOCKET_COST) ? -E.ENFILE : 0;
}

/** socket(2) after its flags are checked: `type` without SOCK_* flags. */
export function createSocket(ctx: SocketContext, family: number, type: number, protocol: number, flags: number): Socket | number {
  const f = lookup(family, type);
  if (typeof f === 'number') return f;
  const c = charge(ctx, 1);
  if (c < 0) return c;
  const s = f.create(ctx, type, protocol, flags);
  if (typeof s === 'number') ctx.account?.uncharge(SOCKET_COST);
  return s;
}

/** socketpair(2) after its flags are checked. */
export function createPair(ctx: SocketContext, family: number, type: number, protocol: number, flags: number): [Socket, Socket] | number {
  const f = lookup(family, type);
  if (typeof f === 'number') return f;
  if (f.pair === undefined) {
    // Linux makes the sockets first, so a bad type or protocol is reported before EOPNOTSUPP.
    const probe = createSocket(ctx, family, type, protocol, flags);
    if (typeof probe === 'number') return probe;
    probe.close();
    return -E.EOPNOTSUPP;
  }
  const c = charge(ctx, 2);
  if (c < 0) return c;
  const p = f.pair(ctx, type, protocol, flags);
  if (typeof p === 'number') ctx.account?.uncharge(2 * SOCKET_COST);
  return p;
}
