// Sandbox.pause/resume: a paused sandbox runs nothing (its input is kept)
// until resumed, on a pool's worker and on the caller's thread.
import { PassThrough } from 'node:stream';
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { Sandbox } from './sandbox.js';

describe.skipIf(announceKvmSkip())('Sandbox.pause', () => {
  for (const pool of [undefined, false] as const) {
    it(`runs nothing until resumed (pool ${pool ?? 'default'})`, async () => {
      const stdin = new PassThrough();
      const out: string[] = [];
      const s = new Sandbox(['/bin/busybox', 'sh', '-c', 'read x; echo "got $x"'], {
        stdin,
        stdout: (b) => out.push(Buffer.from(b).toString()),
        pool,
      });
      const result = s.wait();
      await s.start();
      s.pause();
      stdin.end('typed\n');
      await new Promise((r) => setTimeout(r, 500));
      expect(out).toEqual([]); // the line is there, nobody runs to read it
      s.resume();
      const r = await result;
      expect([r.status, out.join('')]).toEqual([0, 'got typed\n']);
    });
  }
});
