// struct msghdr and control messages (cmsg) as bytes: decoding what the
// guest hands sendmsg/recvmsg, and encoding what recvmsg gives back. The
// syscall layer copies the bytes in and out; nothing here reads guest memory.
//
// Linux's rules (net/socket.c, net/core/scm.c, include/linux/socket.h):
// - a control buffer shorter than one cmsghdr carries nothing; each header
//   must have 16 <= cmsg_len <= the bytes left (CMSG_OK) or the whole call
//   is EINVAL; the next header starts at CMSG_ALIGN(cmsg_len);
// - on the way out, a message that does not fit is cut to the room left and
//   MSG_CTRUNC is set; SCM_RIGHTS is cut to whole descriptors.
import { E } from '../errno.js';
import type { RawCmsg } from './socket.js';

/** sizeof(struct msghdr) and of struct mmsghdr (msghdr + msg_len, padded). */
export const MSGHDR_SIZE = 56;
export const MMSGHDR_SIZE = 64;
/** sizeof(struct cmsghdr): cmsg_len (size_t), cmsg_level, cmsg_type. */
export const CMSG_HDR = 16;
/** Linux's net.core.optmem_max on 6.x kernels: the largest control buffer sendmsg takes (ENOBUFS beyond). */
export const OPTMEM_MAX = 131072;
const INT_MAX = 0x7fff_ffff;

export const SOL_SOCKET = 1;
export const SCM_RIGHTS = 1;
export const SCM_CREDENTIALS = 2;

export const cmsgAlign = (n: number): number => (n + 7) & ~7;
export const cmsgLen = (n: number): number => CMSG_HDR + n;
export const cmsgSpace = (n: number): number => CMSG_HDR + cmsgAlign(n);

/** A struct msghdr's fields; the pointers are unchecked guest addresses (-1 for one that cannot be a user address). */
export interface Msghdr {
  name: number;
  namelen: number;
  iov: number;
  iovlen: number;
  control: number;
  controllen: number;
  flags: number;
}

function ptrAt(v: DataView, o: number): number {
  const hi = v.getUint32(o + 4, true);
  return hi >= 0x8000 ? -1 : hi * 2 ** 32 + v.getUint32(o, true);
}

/** size_t fields: exact below 2^53, Infinity above (callers compare against limits). */
function sizeAt(v: DataView, o: number): number {
  const hi = v.getUint32(o + 4, true);
  return hi >= 0x20_0000 ? Infinity : hi * 2 ** 32 + v.getUint32(o, true);
}

/** Decodes the 56 bytes of a struct msghdr. */
export function decodeMsghdr(b: Uint8Array): Msghdr {
  const v = new DataView(b.buffer, b.byteOffset, MSGHDR_SIZE);
  return {
    name: ptrAt(v, 0),
    namelen: v.getInt32(8, true),
    iov: ptrAt(v, 16),
    iovlen: sizeAt(v, 24),
    control: ptrAt(v, 32),
    controllen: sizeAt(v, 40),
    flags: v.getInt32(48, true),
  };
}

/**
 * Checks a sendmsg control length before its bytes are copied: -ENOBUFS
 * above INT_MAX or optmem_max (sock_kmalloc), as ____sys_sendmsg.
 */
export function checkControlLen(len: number): number {
  return len > INT_MAX || len > OPTMEM_MAX ? -E.ENOBUFS : 0;
}

/** The control messages in `buf` (for_each_cmsghdr with CMSG_OK): -EINVAL for a header whose length lies. */
export function parseCmsgs(buf: Uint8Array): RawCmsg[] | number {
  const out: RawCmsg[] = [];
  const v = new DataView(buf.buffer, buf.byteOffset, buf.length);
  for (let at = 0; at + CMSG_HDR <= buf.length; ) {
    const len = sizeAt(v, at);
    if (len < CMSG_HDR || len > buf.length - at) return -E.EINVAL;
    out.push({ level: v.getInt32(at + 8, true), type: v.getInt32(at + 12, true), data: buf.subarray(at + CMSG_HDR, at + len) });
    at += cmsgAlign(len);
  }
  return out;
}

/** Builds a recvmsg control buffer of `room` bytes as put_cmsg does, noting MSG_CTRUNC. */
export class ControlWriter {
  readonly bytes: Uint8Array;
  /** Bytes used (the msg_controllen given back). */
  used = 0;
  truncated = false;

  constructor(readonly room: number) {
    this.bytes = new Uint8Array(Math.min(room, OPTMEM_MAX));
  }

  get #left(): number {
    return this.room - this.used;
  }

  /** Appends one message, cut to the room left (MSG_CTRUNC); nothing when not even a header fits. */
  put(level: number, type: number, data: Uint8Array): void {
    if (this.#left < CMSG_HDR || this.used + CMSG_HDR > this.bytes.length) {
      this.truncated = true;
      return;
    }
    let len = cmsgLen(data.length);
    if (len > this.#left) {
      this.truncated = true;
      len = this.#left;
    }
    len = Math.min(len, this.bytes.length - this.used);
    const v = new DataView(this.bytes.buffer, this.used, CMSG_HDR);
    v.setUint32(0, len, true);
    v.setInt32(8, level, true);
    v.setInt32(12, type, true);
    this.bytes.set(data.subarray(0, len - CMSG_HDR), this.used + CMSG_HDR);
    this.used += Math.min(cmsgSpace(data.length), this.#left);
  }

  /** How many descriptors an SCM_RIGHTS message may still carry (scm_max_fds). */
  get rightsRoom(): number {
    return this.#left > CMSG_HDR ? Math.floor((this.#left - CMSG_HDR) / 4) : 0;
  }
}

/** The 4-byte little-endian ints of `values`, as SCM_RIGHTS carries descriptors. */
export function intsBytes(values: readonly number[]): Uint8Array {
  const b = new Uint8Array(values.length * 4);
  const v = new DataView(b.buffer);
  values.forEach((x, i) => v.setInt32(i * 4, x, true));
  return b;
}
