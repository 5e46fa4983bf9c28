import { dtype } from './constants.js';
import type { DirEntry } from './node.js';

/** Fixed part of struct linux_dirent64: d_ino u64, d_off s64, d_reclen u16, d_type u8. */
const HEADER = 19;

/**
 * Writes one linux_dirent64 into `buf` at `off`: d_ino, d_off (the position a
 * later getdents64 resumes from), d_reclen (8-aligned), d_type, then the
 * NUL-terminated name and zero padding. Returns the record length, or 0 when
 * the record does not fit in what is left of `buf`.
 */
export function encodeDirent64(buf: Uint8Array, off: number, e: DirEntry, next: number): number {
  const reclen = (HEADER + e.name.length + 1 + 7) & ~7;
  if (off + reclen > buf.length) return 0;
  const v = new DataView(buf.buffer, buf.byteOffset + off, reclen);
  v.setUint32(0, e.ino >>> 0, true);
  v.setUint32(4, Math.floor(e.ino / 2 ** 32), true);
  v.setUint32(8, next >>> 0, true);
  v.setUint32(12, Math.floor(next / 2 ** 32), true);
  v.setUint16(16, reclen, true);
  v.setUint8(18, dtype(e.kind));
  buf.fill(0, off + HEADER, off + reclen);
  buf.set(Buffer.from(e.name, 'latin1'), off + HEADER);
  return reclen;
}

/** Decodes a getdents64 result (for tests and debugging). */
export function decodeDirents64(buf: Uint8Array, len: number): { ino: number; off: number; type: number; name: string }[] {
  const out = [];
  const v = new DataView(buf.buffer, buf.byteOffset, len);
  for (let p = 0; p < len; ) {
    const reclen = v.getUint16(p + 16, true);
    const nameEnd = buf.indexOf(0, p + HEADER);
    out.push({
      ino: v.getUint32(p, true) + v.getUint32(p + 4, true) * 2 ** 32,
      off: v.getUint32(p + 8, true) + v.getUint32(p + 12, true) * 2 ** 32,
      type: v.getUint8(p + 18),
      name: Buffer.from(buf.subarray(p + HEADER, nameEnd)).toString('latin1'),
    });
    p += reclen;
  }
  return out;
}
