// /proc/self/maps, in Linux's format:
//   start-end perms offset major:minor inode<pad>name
// with the name (if any) starting at column 73, and a trailing space on
// lines without one (as show_map_vma prints them).
import { PROT_EXEC, PROT_READ, PROT_WRITE } from './constants.js';
import { VMA_SHARED, type Vma } from './vma.js';

const NAME_COLUMN = 73;

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

export function formatMapsLine(v: Vma): string {
  const perms =
    ((v.prot & PROT_READ) !== 0 ? 'r' : '-') +
    ((v.prot & PROT_WRITE) !== 0 ? 'w' : '-') +
    ((v.prot & PROT_EXEC) !== 0 ? 'x' : '-') +
    ((v.flags & VMA_SHARED) !== 0 ? 's' : 'p');
  const file = v.file;
  const dev = file?.dev ?? 0;
  const offset = file === null ? 0 : v.offset;
  const head = `${hex(v.start, 8)}-${hex(v.end, 8)} ${perms} ${hex(offset, 8)} ${hex(Math.floor(dev / 256) & 0xfff, 2)}:${hex(dev & 0xff, 2)} ${file?.ino ?? 0} `;
  const name = file !== null ? (file.name ?? '') : v.name;
  return name === '' ? head : head.padEnd(NAME_COLUMN, ' ') + name;
}

export function formatMaps(vmas: readonly Vma[]): string {
  let s = '';
  for (const v of vmas) s += formatMapsLine(v) + '\n';
  return s;
}
