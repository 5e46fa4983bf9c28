import { describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { FdTable, release } from '../kernel/fdtable.js';
import { O_CREAT, O_RDONLY, O_WRONLY } from './constants.js';
import { Vfs } from './vfs.js';
import { WriteAccess } from './write-access.js';

function setup() {
  const vfs = new Vfs({ dev: false });
  const d = vfs.open('/tmp/prog', O_CREAT | O_WRONLY, 0o755);
  if (typeof d === 'number') throw new Error(`create: ${d}`);
  d.close();
  const st = vfs.stat('/tmp/prog');
  if (typeof st === 'number') throw new Error(`stat: ${st}`);
  return { vfs, key: WriteAccess.keyOf(st) };
}

describe('WriteAccess', () => {
  it('a description writes from its first descriptor to its final close, counted once however many hold it', () => {
    const { vfs, key } = setup();
    const fds = new FdTable();
    const d = vfs.open('/tmp/prog', O_WRONLY);
    if (typeof d === 'number') throw new Error(`open: ${d}`);
    expect(vfs.writeAccess.writing(key)).toBe(false); // not held by anything yet
    const a = fds.add(d);
    fds.put(a + 1, d);
    expect(vfs.writeAccess.writing(key)).toBe(true);
    fds.close(a);
    expect(vfs.writeAccess.writing(key)).toBe(true);
    fds.close(a + 1);
    expect(vfs.writeAccess.writing(key)).toBe(false);
    release(d); // a stray release of a description no longer held changes nothing
    expect(vfs.writeAccess.denied(key)).toBe(false);
  });

  it('a running program denies writing it until it stops running; reading stays allowed', () => {
    const { vfs, key } = setup();
    vfs.writeAccess.addExecutor(key);
    expect(vfs.open('/tmp/prog', O_WRONLY)).toBe(-E.ETXTBSY);
    expect(vfs.truncate('/tmp/prog', 0)).toBe(-E.ETXTBSY);
    expect(typeof vfs.open('/tmp/prog', O_RDONLY)).toBe('object');
    vfs.writeAccess.dropExecutor(key);
    expect(typeof vfs.open('/tmp/prog', O_WRONLY)).toBe('object');
  });
});
