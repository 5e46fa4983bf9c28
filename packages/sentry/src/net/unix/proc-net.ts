// /proc/net/unix: the sandbox's open AF_UNIX sockets in Linux's format
// (unix_seq_show), which netstat, ss and lsof parse: the kernel pointer
// (zero, as an unprivileged reader sees it), the reference count, the
// protocol (0), __SO_ACCEPTCON for a listener, the type, the socket state
// (SS_*), the inode (the one /proc/<pid>/fd shows as socket:[N]; 0 for a
// connection not accepted yet, which has no socket) and the bound address:
// a path as bound, an abstract name with '@' for each NUL.
import { namesOf } from './names.js';
import type { UnixSocket } from './socket.js';

const HEADER = 'Num       RefCount Protocol Flags    Type St Inode Path';
const KERNEL_POINTER = '0000000000000000';
/** The flag Linux shows for a listening socket. */
const SO_ACCEPTCON = 0x10000;
/**
 * A socket's sk_refcnt on Linux at rest: its own and its file's; each
 * socket whose peer it is (a connected stream end, a datagram socket
 * connected to it, an embryo's client) holds one more.
 */
const BASE_REFS = 2;
const PATH_OFFSET = 2;

const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0');

/** The bound address as Linux prints it: a path up to its NUL, or '@' and an abstract name with each NUL as '@'. */
function pathText(addr: Uint8Array): string {
  const sun = addr.subarray(PATH_OFFSET);
  if (sun[0] !== 0) {
    const nul = sun.indexOf(0);
    return String.fromCharCode(...sun.subarray(0, nul < 0 ? sun.length : nul));
  }
  return String.fromCharCode(...sun.map((b) => (b === 0 ? 0x40 : b)));
}

/** /proc/net/unix of the sandbox whose kernel is `kernel` (a binary string: paths are bytes). */
export function unixText(kernel: object): string {
  const sockets = namesOf<UnixSocket>(kernel).sockets;
  const held = new Map<UnixSocket, number>();
  for (const s of sockets) if (s.peer !== null) held.set(s.peer, (held.get(s.peer) ?? 0) + 1);
  const lines = [HEADER];
  for (const s of sockets) {
    const addr = s.address;
    lines.push(
      `${KERNEL_POINTER}: ${hex(BASE_REFS + (held.get(s) ?? 0), 8)} ${hex(0, 8)} ${hex(s.listening ? SO_ACCEPTCON : 0, 8)} ` +
        `${hex(s.type, 4)} ${hex(s.procState, 2)} ${String(s.hasInode ? s.ino : 0).padStart(5)}` +
        (addr === null ? '' : ` ${pathText(addr)}`),
    );
  }
  return `${lines.join('\n')}\n`;
}
