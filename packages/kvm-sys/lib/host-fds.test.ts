import { closeSync, fstatSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KvmError } from './errors.js';
import { openPty, unixAccept, unixListen, unixSend } from './host-fds.js';

const opened: number[] = [];
const keep = (fd: number): number => {
  opened.push(fd);
  return fd;
};
afterEach(() => {
  for (const fd of opened.splice(0)) closeSync(fd);
});

function read(fd: number): string {
  const b = Buffer.alloc(64);
  return b.subarray(0, readSync(fd, b)).toString();
}

describe('host descriptors', () => {
  it('openPty: a raw pair, bytes passed as they are both ways', () => {
    const { master, slave } = openPty();
    keep(master);
    keep(slave);
    writeSync(master, 'typed\r');
    expect(read(slave)).toBe('typed\r'); // no ICRNL, no line editing
    writeSync(slave, 'shown\n');
    expect(read(master)).toBe('shown\n'); // no ONLCR, and no echo of 'typed' before it
  });

  it('unixSend and unixAccept carry data and descriptors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvm-sys-fds-'));
    try {
      const listener = keep(unixListen(join(dir, 's')));
      expect(unixAccept(listener)).toBeNull(); // nobody waits
      const file = keep(openSync(join(dir, 'f'), 'w+'));
      unixSend(join(dir, 's'), Buffer.from('hello'), [file, file]);
      const got = unixAccept(listener)!;
      for (const fd of got.fds) keep(fd);
      expect(got.data.toString()).toBe('hello');
      expect(got.fds).toHaveLength(2);
      expect(got.fds.map((fd) => fstatSync(fd).ino)).toEqual([fstatSync(file).ino, fstatSync(file).ino]);
      // The same open file: the offset is shared.
      writeSync(got.fds[0]!, 'abc');
      writeSync(file, 'def');
      expect(readSync(file, Buffer.alloc(8), 0, 8, 0)).toBe(6);
      expect(() => unixSend(join(dir, 'none'), Buffer.from('x'))).toThrow(KvmError);
      expect(() => unixListen(join(dir, 'x'.repeat(200)))).toThrow(/ENAMETOOLONG/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
