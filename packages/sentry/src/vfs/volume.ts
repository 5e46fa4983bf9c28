import { components, toBinary } from './path.js';

/** A host directory bound at a guest path: writes are real and go to the host. */
export interface Volume {
  host: string;
  /** Absolute guest path (text). */
  guest: string;
  readOnly: boolean;
}

/**
 * A guest path given as text, made canonical and binary (see path.ts). Configuration comes
 * from the operator, so a bad one throws rather than returning an errno.
 */
export function canonicalGuestPath(p: string): string {
  const b = toBinary(p);
  const parts = components(b);
  if (!b.startsWith('/') || parts.some((c) => c === '.' || c === '..')) {
    throw new Error(`tsv: guest path must be absolute without . or ..: ${p}`);
  }
  return `/${parts.join('/')}`;
}

/** Parses `HOST:GUEST[:ro|:rw]`. */
export function parseVolume(spec: string): Volume {
  const parts = spec.split(':');
  const [host, guest, mode = 'rw'] = parts;
  if (parts.length > 3 || !host || !guest || (mode !== 'ro' && mode !== 'rw')) {
    throw new Error(`tsv: volume must be HOST:GUEST[:ro]: ${spec}`);
  }
  canonicalGuestPath(guest);
  return { host, guest, readOnly: mode === 'ro' };
}
