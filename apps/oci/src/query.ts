// The commands that only read: state, list, ps.
import { readFileSync } from 'node:fs';
import type { Globals } from './lifecycle.js';
import { CommandError, pids } from './lifecycle.js';
import { containerDir, currentStatus, listIds, readState, stateDocument } from './state.js';
import { readConfig } from './config.js';

/** The runtime spec's state of `id`, as JSON. */
export function state(g: Globals, id: string): string {
  const s = readState(containerDir(g.root, id));
  if (s === null) throw new CommandError(`container ${id} does not exist`);
  return `${JSON.stringify(stateDocument(s, rootfsOf(s.bundle)), null, 2)}\n`;
}

function rootfsOf(bundle: string): string | undefined {
  try {
    return readConfig(bundle).rootPath;
  } catch {
    return undefined;
  }
}

/** Every container under --root: a table (or only ids with `quiet`), or JSON. */
export function list(g: Globals, format: 'table' | 'json', quiet: boolean): string {
  const states = listIds(g.root)
    .map((id) => readState(containerDir(g.root, id)))
    .filter((s) => s !== null);
  if (quiet) return states.map((s) => `${s.id}\n`).join('');
  if (format === 'json') return `${JSON.stringify(states.map((s) => stateDocument(s, rootfsOf(s.bundle))))}\n`;
  const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER']];
  for (const s of states) {
    const status = currentStatus(s);
    rows.push([s.id, String(status === 'stopped' ? 0 : s.pid), status, s.bundle, s.created, 'root']);
  }
  return table(rows);
}

/** The host processes of the container: JSON pids (what containerd reads), or a PID/CMD table. */
export async function ps(g: Globals, id: string, format: 'table' | 'json'): Promise<string> {
  const list = await pids(g, id);
  if (format === 'json') return `${JSON.stringify(list)}\n`;
  return table([['PID', 'CMD'], ...list.map((pid) => [String(pid), cmdline(pid)])]);
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('')}\n`).join('');
}
