// Linux x86-64 errno numbers (asm-generic/errno-base.h, asm-generic/errno.h).
// The Sentry returns failures to the guest as the negated value: -E.ENOENT.
export const E = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  ENOTBLK: 15,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  ETXTBSY: 26,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EMLINK: 31,
  EPIPE: 32,
  EDOM: 33,
  ERANGE: 34,
  EDEADLK: 35,
  ENAMETOOLONG: 36,
  ENOLCK: 37,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  ENOMSG: 42,
  EIDRM: 43,
  ENOSTR: 60,
  ENODATA: 61,
  ETIME: 62,
  ENOSR: 63,
  ENOLINK: 67,
  EPROTO: 71,
  EBADMSG: 74,
  EOVERFLOW: 75,
  EBADFD: 77,
  ELIBBAD: 80,
  EILSEQ: 84,
  EUSERS: 87,
  ENOTSOCK: 88,
  EDESTADDRREQ: 89,
  EMSGSIZE: 90,
  EPROTOTYPE: 91,
  ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93,
  ESOCKTNOSUPPORT: 94,
  EOPNOTSUPP: 95,
  EPFNOSUPPORT: 96,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETDOWN: 100,
  ENETUNREACH: 101,
  ENETRESET: 102,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  EISCONN: 106,
  ENOTCONN: 107,
  ESHUTDOWN: 108,
  ETOOMANYREFS: 109,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTDOWN: 112,
  EHOSTUNREACH: 113,
  EALREADY: 114,
  EINPROGRESS: 115,
  ESTALE: 116,
  EDQUOT: 122,
  ECANCELED: 125,
  EOWNERDEAD: 130,
  ENOTRECOVERABLE: 131,
} as const;

export type ErrnoName = keyof typeof E;

/** ENOTSUP is an alias of EOPNOTSUPP on Linux. */
export const ENOTSUP = E.EOPNOTSUPP;

const byName: ReadonlyMap<string, number> = new Map(
  Object.entries(E).concat([
    ['ENOTSUP', E.EOPNOTSUPP],
    ['EWOULDBLOCK', E.EAGAIN],
  ]),
);

/**
 * Maps a host exception (a Node `SystemError` with `code` such as 'ENOENT') to a
 * negative Linux errno. Anything unrecognised — including non-system errors —
 * becomes -EIO: the guest must never see a host exception.
 */
export function hostErrno(err: unknown): number {
  const code = (err as { code?: unknown } | null)?.code;
  return -(typeof code === 'string' ? (byName.get(code) ?? E.EIO) : E.EIO);
}

/** Name of a (positive or negative) errno, for messages and tests. */
export function errnoName(errno: number): string {
  const n = Math.abs(errno);
  for (const [name, v] of Object.entries(E)) if (v === n) return name;
  return `E${n}`;
}
