// The AF_UNIX family: socket(AF_UNIX, type, 0) and socketpair.
import { E } from '../../errno.js';
import type { Family } from '../families.js';
import { SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET, SOCK_STREAM, type SocketContext } from '../socket.js';
import { UnixSocket } from './socket.js';

const PF_UNIX = 1;

/** The type a socket gets: SOCK_RAW is taken as SOCK_DGRAM, as Linux does; other types are ESOCKTNOSUPPORT. */
function unixType(type: number, protocol: number): number {
  if (protocol !== 0 && protocol !== PF_UNIX) return -E.EPROTONOSUPPORT;
  if (type === SOCK_RAW) return SOCK_DGRAM;
  return type === SOCK_STREAM || type === SOCK_DGRAM || type === SOCK_SEQPACKET ? type : -E.ESOCKTNOSUPPORT;
}

export const unixFamily: Family = {
  create(ctx: SocketContext, type: number, protocol: number, flags: number) {
    const t = unixType(type, protocol);
    return t < 0 ? t : new UnixSocket(ctx, t, flags);
  },
  pair(ctx: SocketContext, type: number, protocol: number, flags: number) {
    const t = unixType(type, protocol);
    if (t < 0) return t;
    const a = new UnixSocket(ctx, t, flags);
    const b = new UnixSocket(ctx, t, flags);
    UnixSocket.join(a, b, ctx.creds, ctx.creds);
    return [a, b];
  },
};

export { UnixSocket };
