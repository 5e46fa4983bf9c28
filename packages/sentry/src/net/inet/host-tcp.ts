// TCP through the host's network, for destinations the policy allows and
// for --publish: a Node socket is the far end (a TcpPeer) of a sandbox
// socket. Bytes the guest writes go to socket.write while Node's queue is
// below the guest's send buffer (else the guest's write waits for
// 'drain'); bytes from the host go into the guest socket's receive queue
// (charged to the sandbox), and the Node socket is paused while that queue
// is full. FIN and reset cross in both directions (allowHalfOpen: a
// half-close stays half). Every Node socket is held by the sandbox's stack
// and destroyed when the sandbox ends.
import * as net from 'node:net';
import { E } from '../../errno.js';
import { type Endpoint, Ip, V4_LOOPBACK } from './address.js';
import type { Publish } from './policy.js';
import type { InetStack } from './stack.js';
import { listenerFor, type TcpPeer, type TcpSocket } from './tcp.js';

/** Errors of Node's sockets as the guest sees them. */
const ERRNO: Record<string, number> = {
  ECONNREFUSED: E.ECONNREFUSED,
  ECONNRESET: E.ECONNRESET,
  ETIMEDOUT: E.ETIMEDOUT,
  EHOSTUNREACH: E.EHOSTUNREACH,
  ENETUNREACH: E.ENETUNREACH,
  EADDRNOTAVAIL: E.EADDRNOTAVAIL,
  EPIPE: E.EPIPE,
};

class HostLink implements TcpPeer {
  #guestGone = false;
  #ended = false;
  /** The sandbox socket (set by attach, before the Node socket can deliver anything). */
  private guest!: TcpSocket;

  constructor(
    private readonly sock: net.Socket,
    stack: InetStack,
  ) {
    stack.hold(sock);
    sock.on('data', (chunk: Buffer) => this.#data(chunk));
    sock.on('end', () => this.guest.receiveFin());
    sock.on('drain', () => this.guest.windowOpened());
    sock.on('error', (err: NodeJS.ErrnoException) => this.#error(err));
    sock.on('close', () => stack.release(sock));
  }

  attach(guest: TcpSocket): this {
    this.guest = guest;
    return this;
  }

  #data(chunk: Buffer): void {
    if (this.#guestGone) {
      this.sock.resetAndDestroy();
      return;
    }
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    if (!this.guest.receive(bytes, false)) {
      this.sock.resetAndDestroy();
      this.guest.hostFailed(E.ENOBUFS);
      return;
    }
    if (this.guest.room() <= 0) this.sock.pause();
  }

  #error(err: NodeJS.ErrnoException): void {
    const errno = ERRNO[err.code ?? ''] ?? E.EIO;
    if (errno === E.ECONNRESET || errno === E.EPIPE) this.guest.receiveReset();
    else this.guest.hostFailed(errno);
  }

  room(): number {
    return this.#ended ? 0 : Math.max(0, this.guest.sndbuf - this.sock.writableLength);
  }

  receive(bytes: Uint8Array): boolean {
    this.sock.write(bytes);
    return true;
  }

  receiveFin(): void {
    this.#ended = true;
    this.sock.end();
  }

  receiveReset(): void {
    this.sock.resetAndDestroy();
  }

  peerClosed(): void {
    this.#guestGone = true;
  }

  windowOpened(): void {
    if (this.sock.isPaused() && this.guest.room() > 0) this.sock.resume();
  }

  /** The guest socket closed (reset: with a reset). */
  close(reset: boolean): void {
    if (reset) this.sock.resetAndDestroy();
    else {
      this.peerClosed();
      this.receiveFin();
    }
  }
}

/**
 * Starts a connection from `s` to `dst` through the host; `s` is told
 * (established or hostFailed) when it is up or has failed. Returns what
 * ends it early (the guest closed the socket meanwhile).
 */
export function connectHost(s: TcpSocket, dst: Endpoint): (reset: boolean) => void {
  const sock = net.connect({ host: dst.ip.toString(), port: dst.port, allowHalfOpen: true, noDelay: true });
  const link = new HostLink(sock, s.stack).attach(s);
  sock.once('connect', () => {
    // The guest's name is the host's source address with the sandbox's own port.
    const ip = Ip.parse(sock.localAddress ?? '') ?? dst.ip;
    s.established(link, dst, { ip, port: s.local!.port }, (reset) => link.close(reset));
  });
  return (reset) => link.close(reset);
}

/**
 * --publish: a server on the host's `hostAddr`:`hostPort` whose each
 * connection reaches the sandbox listener on the loopback's `guestPort`
 * (reset when none listens or its queue is full). Resolves when the host
 * server listens; rejects when it cannot.
 */
export function publish(stack: InetStack, p: Publish): Promise<void> {
  const server = net.createServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true }, (sock) => {
    const remote: Endpoint = { ip: Ip.parse(sock.remoteAddress ?? '') ?? V4_LOOPBACK, port: sock.remotePort ?? 0 };
    const to: Endpoint = { ip: V4_LOOPBACK, port: p.guestPort };
    const link = new HostLink(sock, stack);
    const child = listenerFor(stack, to, remote.port)?.admit(link, remote, to.ip, (reset) => link.close(reset));
    if (child == null) {
      sock.resetAndDestroy();
      return;
    }
    link.attach(child);
    sock.resume();
  });
  stack.hold({ destroy: () => server.close() });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(p.hostPort, p.hostAddr, () => resolve());
  });
}
