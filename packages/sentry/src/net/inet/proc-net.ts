// /proc/net/tcp, tcp6, udp and udp6: the sandbox's open inet sockets in
// Linux's formats (tcp4_seq_show, tcp6_seq_show, udp4_format_sock,
// __ip6_dgram_sock_seq_show), which netstat and ss parse: addresses as the
// hex of their network-order words read little-endian, ports in hex, the
// TCP state number, the receive queue, the owner's uid and the socket's
// inode. Timers, retransmits and the kernel pointer are zero, as they are
// for an idle loopback socket shown to an unprivileged reader; connections
// in TIME_WAIT (time-wait.ts) follow the sockets, as get_timewait4_sock
// prints them.
import { AF_INET6 } from '../families.js';
import { SOCK_STREAM } from '../socket.js';
import type { Endpoint, Ip } from './address.js';
import type { InetSocket } from './inet-socket.js';
import { inetStack } from './stack.js';
import type { TimeWait } from './time-wait.js';

const TCP_HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     ';
const TCP6_HEADER =
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const UDP_HEADER = '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops';
const UDP6_HEADER =
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops';
/** tcp4 lines are padded to 149 characters, udp4 lines to 127 (seq_setwidth). */
const TCP4_WIDTH = 149;
const UDP4_WIDTH = 127;
const KERNEL_POINTER = '0000000000000000';
const TCP_TIME_WAIT = 6;
/** Clock ticks per second, the unit of the timer column. */
const USER_HZ = 100;

const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0');

/** The words of `ip` (the last one for IPv4), each as Linux prints a __be32 with %08X on x86-64. */
function words(ip: Ip, v6: boolean): string {
  const b = ip.bytes;
  let out = '';
  for (let at = v6 ? 0 : 12; at < 16; at += 4) out += hex((b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0, 8);
  return out;
}

/** An address and port (zeros while there is none). */
function endpoint(e: Endpoint | null, v6: boolean): string {
  return `${e === null ? '0'.repeat(v6 ? 32 : 8) : words(e.ip, v6)}:${hex(e?.port ?? 0, 4)}`;
}

/** A TIME_WAIT entry's line after its number (get_timewait4_sock): timer 3 with the time left in clock ticks, no uid or inode. */
function timeWaitLine(e: TimeWait, v6: boolean, now: number): string {
  const left = Math.max(0, Math.ceil((e.ends - now) / (1000 / USER_HZ)));
  return (
    `${endpoint(e.local, v6)} ${endpoint(e.remote, v6)} ${hex(TCP_TIME_WAIT, 2)} ${hex(0, 8)}:${hex(0, 8)} ` +
    `03:${hex(left, 8)} ${hex(0, 8)} ${String(0).padStart(5)} ${String(0).padStart(8)} 0 3 ${KERNEL_POINTER}`
  );
}

/** The sockets of one table: TCP or UDP, of the family AF_INET6 (`v6`) or AF_INET. */
function socketsOf(kernel: object, stream: boolean, v6: boolean): InetSocket[] {
  return [...inetStack(kernel).sockets].filter((s) => (s.type === SOCK_STREAM) === stream && (s.family === AF_INET6) === v6);
}

/** /proc/net/tcp (`v6` false) or /proc/net/tcp6. */
export function tcpText(kernel: object, v6: boolean): string {
  const lines = [v6 ? TCP6_HEADER : TCP_HEADER];
  const sockets = socketsOf(kernel, true, v6);
  sockets.forEach((s, i) => {
    const line =
      `${String(i).padStart(4)}: ${endpoint(s.local, v6)} ${endpoint(s.remote, v6)} ${hex(s.procState, 2)} ` +
      `${hex(0, 8)}:${hex(s.procRxQueue, 8)} 00:00000000 00000000 ${String(s.context.creds.uid).padStart(5)} ` +
      `${String(0).padStart(8)} ${s.ino} 1 ${KERNEL_POINTER} 100 0 0 10 0`;
    lines.push(v6 ? line : line.padEnd(TCP4_WIDTH));
  });
  const now = performance.now();
  let i = sockets.length;
  for (const e of inetStack(kernel).timeWait.entries) {
    if (e.v6 !== v6) continue;
    const line = `${String(i++).padStart(4)}: ${timeWaitLine(e, v6, now)}`;
    lines.push(v6 ? line : line.padEnd(TCP4_WIDTH));
  }
  return `${lines.join('\n')}\n`;
}

/** /proc/net/udp (`v6` false) or /proc/net/udp6; each line is numbered by its port (Linux: its hash bucket). */
export function udpText(kernel: object, v6: boolean): string {
  const lines = [v6 ? UDP6_HEADER : UDP_HEADER.padEnd(UDP4_WIDTH)];
  socketsOf(kernel, false, v6).forEach((s) => {
    const line =
      `${String(s.local?.port ?? 0).padStart(5)}: ${endpoint(s.local, v6)} ${endpoint(s.remote, v6)} ${hex(s.procState, 2)} ` +
      `${hex(0, 8)}:${hex(s.procRxQueue, 8)} 00:00000000 00000000 ${String(s.context.creds.uid).padStart(5)} ` +
      `${String(0).padStart(8)} ${s.ino} 2 ${KERNEL_POINTER} 0`;
    lines.push(v6 ? line : line.padEnd(UDP4_WIDTH));
  });
  return `${lines.join('\n')}\n`;
}
