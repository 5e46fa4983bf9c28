// Guest path names are byte strings. Inside the VFS they are carried as
// "binary strings" (one char per byte, latin1), which keeps every byte of a
// non-UTF-8 name intact, makes .length the byte length Linux limits apply to,
// and converts losslessly to the Buffer paths node:fs accepts.

/** A guest path: raw bytes (as copied from guest memory) or a JS string (UTF-8). */
export type PathArg = string | Uint8Array;

/** Bytes → binary string, cut at the first NUL as a C string would be. */
export function toBinary(p: PathArg): string {
  const b = typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
  const nul = b.indexOf(0);
  return (nul < 0 ? b : b.subarray(0, nul)).toString('latin1');
}

/** Binary string → bytes. */
export function toBytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

/** Binary string → a Buffer path for node:fs. */
export function hostPath(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}

/** Binary string → readable JS string (UTF-8 decode), for names shown to people. */
export function toText(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}

/** Non-empty components of a path, in order. `.` and `..` are kept for the walker. */
export function components(p: string): string[] {
  return p.split('/').filter((c) => c.length > 0);
}

/** Joins a canonical directory path and a component. */
export function joinPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** Parent of a canonical path ("/" for top-level names and for "/"). */
export function dirnameOf(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}
