// AF_UNIX addresses (struct sockaddr_un: sa_family, then up to 108 bytes
// of sun_path), checked as Linux's unix_validate_addr and unix_mkname_bsd:
// - a length of just the family (2) asks bind for an autobind name and
//   names an unbound socket in getsockname;
// - otherwise the length is 3..110 and the family AF_UNIX, else EINVAL;
// - sun_path starting with NUL is an abstract name: every byte up to the
//   length counts, NULs included; otherwise it is a filesystem path ending
//   at the first NUL or at the length (108 bytes need no NUL).
import { E } from '../../errno.js';
import { AF_UNIX } from '../families.js';
import { sockaddrFamily } from '../sockaddr.js';

/** offsetof(struct sockaddr_un, sun_path) and sizeof(struct sockaddr_un). */
const PATH_OFFSET = 2;
export const SOCKADDR_UN_SIZE = 110;

export type UnixAddress = { kind: 'path'; path: Uint8Array } | { kind: 'abstract'; name: string } | { kind: 'autobind' };

/** What a bind, connect or sendto address names; `bind` allows the autobind form. */
export function parseUnixAddress(b: Uint8Array, bind: boolean): UnixAddress | number {
  if (bind && b.length === PATH_OFFSET && sockaddrFamily(b) === AF_UNIX) return { kind: 'autobind' };
  if (b.length <= PATH_OFFSET || b.length > SOCKADDR_UN_SIZE || sockaddrFamily(b) !== AF_UNIX) return -E.EINVAL;
  const sun = b.subarray(PATH_OFFSET);
  if (sun[0] === 0) return { kind: 'abstract', name: String.fromCharCode(...sun) };
  const nul = sun.indexOf(0);
  return { kind: 'path', path: nul < 0 ? sun.slice() : sun.slice(0, nul) };
}

/** The sockaddr getsockname shows for a bound address: a path with its NUL, an abstract name as bound. */
export function unixSockaddr(a: { kind: 'path'; path: Uint8Array } | { kind: 'abstract'; name: string }): Uint8Array {
  const body = a.kind === 'path' ? [...a.path, 0] : [...a.name].map((c) => c.charCodeAt(0));
  const b = new Uint8Array(PATH_OFFSET + body.length);
  b[0] = AF_UNIX;
  b.set(body, PATH_OFFSET);
  return b;
}

/** An unbound socket's name: the family alone. */
export function unnamed(): Uint8Array {
  return Uint8Array.of(AF_UNIX, 0);
}
