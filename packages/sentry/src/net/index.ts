// Sockets: the generic layer (socket.ts, families.ts, sockaddr.ts,
// msghdr.ts, sockopt.ts, rights.ts) and the address families, each
// registered here once.
import { AF_INET, AF_INET6, AF_NETLINK, AF_UNIX, registerFamily } from './families.js';
import { inetFamily } from './inet/index.js';
import { netlinkFamily } from './netlink/index.js';
import { unixFamily } from './unix/index.js';

registerFamily(AF_UNIX, unixFamily);
registerFamily(AF_INET, inetFamily(AF_INET));
registerFamily(AF_INET6, inetFamily(AF_INET6));
registerFamily(AF_NETLINK, netlinkFamily);

export { AF_INET, AF_INET6, AF_UNIX, createPair, createSocket, type Family, registerFamily } from './families.js';
export { isSocket, Socket, type SocketContext } from './socket.js';
