// UDP through the host's network, for destinations the policy allows: a
// guest UDP socket's datagrams to them leave through a Node dgram socket
// (one per address family, made at the first such send), and datagrams
// coming back are queued to the guest socket only from addresses the
// policy allows, with their host source as the sender. The Node sockets
// are held by the sandbox's stack and closed with the guest socket.
import * as dgram from 'node:dgram';
import { type Endpoint, Ip } from './address.js';
import type { UdpSocket } from './udp.js';

const closed = new WeakSet<dgram.Socket>();

/** dgram's close throws when called twice (the sandbox ending and the guest closing may both). */
function closeOnce(d: dgram.Socket): void {
  if (closed.has(d)) return;
  closed.add(d);
  d.close();
}

const links = new WeakMap<UdpSocket, Map<'udp4' | 'udp6', dgram.Socket>>();

function linkOf(s: UdpSocket, type: 'udp4' | 'udp6'): dgram.Socket {
  let byType = links.get(s);
  if (byType === undefined) {
    links.set(s, (byType = new Map()));
    s.hostClose = () => {
      for (const d of byType!.values()) closeOnce(d);
      byType!.clear();
    };
  }
  let d = byType.get(type);
  if (d === undefined) {
    const sock = dgram.createSocket(type);
    sock.on('message', (data, rinfo) => {
      const ip = Ip.parse(rinfo.address);
      if (ip !== null && s.stack.hostAllowed(ip, rinfo.port)) s.deliver(new Uint8Array(data), { ip, port: rinfo.port });
    });
    sock.on('error', () => {}); // a send that fails is a datagram lost, as on a network
    const held = { destroy: () => closeOnce(sock) };
    s.stack.hold(held);
    sock.on('close', () => s.stack.release(held));
    byType.set(type, (d = sock));
  }
  return d;
}

/** Sends `data` from `s` to `dst` through the host (the caller checked the policy). */
export function sendHost(s: UdpSocket, data: Uint8Array, dst: Endpoint): void {
  linkOf(s, dst.ip.isV4 ? 'udp4' : 'udp6').send(data, dst.port, dst.ip.toString());
}
