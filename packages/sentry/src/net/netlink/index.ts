// AF_NETLINK: NETLINK_ROUTE only (route.ts), for SOCK_RAW and SOCK_DGRAM as
// Linux takes both; other netlink protocols are EPROTONOSUPPORT.
import { E } from '../../errno.js';
import type { Family } from '../families.js';
import { SOCK_DGRAM, SOCK_RAW } from '../socket.js';
import { NETLINK_ROUTE, NetlinkRouteSocket } from './route.js';

export const netlinkFamily: Family = {
  create(ctx, type, protocol, flags) {
    if (type !== SOCK_RAW && type !== SOCK_DGRAM) return -E.ESOCKTNOSUPPORT;
    if (protocol !== NETLINK_ROUTE) return -E.EPROTONOSUPPORT;
    return new NetlinkRouteSocket(type, ctx, flags);
  },
};
