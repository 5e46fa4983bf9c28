// AF_INET and AF_INET6: TCP (tcp.ts) and UDP (udp.ts) on the sandbox's own
// loopback, the network policy (policy.ts) for anything else, registered
// with the socket layer as inet_create and inet6_create answer socket(2):
// a type with no inet protocol is ESOCKTNOSUPPORT, a protocol that does
// not match its type EPROTONOSUPPORT, and ICMP "ping" sockets EACCES (no
// group is in net.ipv4.ping_group_range by default).
import { E } from '../../errno.js';
import { AF_INET6, type Family } from '../families.js';
import { SOCK_DGRAM, SOCK_STREAM, type SocketContext } from '../socket.js';
import { publish } from './host-tcp.js';
import { IPPROTO_TCP, IPPROTO_UDP } from './options.js';
import type { NetPolicy } from './policy.js';
import { type InetStack, setInetStack } from './stack.js';
import { TcpSocket } from './tcp.js';
import { UdpSocket } from './udp.js';

const IPPROTO_ICMP = 1;
const IPPROTO_ICMPV6 = 58;

/** The AF_INET or AF_INET6 family for the socket layer's registry (../index.ts registers both). */
export function inetFamily(family: number): Family {
  const icmp = family === AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
  const create = (ctx: SocketContext, type: number, protocol: number, flags: number) => {
    switch (type) {
      case SOCK_STREAM:
        if (protocol !== 0 && protocol !== IPPROTO_TCP) return -E.EPROTONOSUPPORT;
        return new TcpSocket(family, IPPROTO_TCP, ctx, flags);
      case SOCK_DGRAM:
        if (protocol === icmp) return -E.EACCES;
        if (protocol !== 0 && protocol !== IPPROTO_UDP) return -E.EPROTONOSUPPORT;
        return new UdpSocket(family, IPPROTO_UDP, ctx, flags);
      default:
        return -E.ESOCKTNOSUPPORT;
    }
  };
  return { create };
}

/**
 * Gives the sandbox of `kernel` its network policy and opens its --publish
 * servers on the host: the stack, whose shutdown() closes every host
 * socket. Rejects (with nothing left open) when a host port cannot be had.
 */
export async function startNetwork(kernel: object, policy: NetPolicy): Promise<InetStack> {
  const stack = setInetStack(kernel, policy);
  try {
    for (const p of policy.publish) await publish(stack, p);
  } catch (e) {
    stack.shutdown();
    throw e;
  }
  return stack;
}

export { NET_NONE, type NetPolicy, NetPolicyError, netPolicy } from './policy.js';
export type { InetStack } from './stack.js';
