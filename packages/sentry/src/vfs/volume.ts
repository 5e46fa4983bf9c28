import { components, toBinary } from './path.js';

/**
 * How a host directory is bound: 'rw' writes to the host; 'ro' refuses
 * writes (EROFS); 'overlay' never writes the host and keeps the program's
 * changes in memory, where they vanish with the sandbox.
 */
export type HostMode = 'rw' | 'ro' | 'overlay';

/** A host directory bound at a guest path. */
export interface Volume {
  host: string;
  /** Absolute guest path (text). */
  guest: string;
  mode: HostMode;
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

/** Parses `HOST:GUEST[:ro|:rw|:overlay]`. */
export function parseVolume(spec: string): Volume {
  const parts = spec.split(':');
  const [host, guest, mode = 'rw'] = parts;
  if (parts.length > 3 || !host || !guest || (mode !== 'ro' && mode !== 'rw' && mode !== 'overlay')) {
    throw new Error(`tsv: volume must be HOST:GUEST[:ro|:overlay]: ${spec}`);
  }
  canonicalGuestPath(guest);
  return { host, guest, mode };
}
