// Durability of MAP_SHARED file mappings end to end on KVM: testdata/
// shared-file.c stores through a shared mapping of a file in a --volume
// (into clean, write-protected pages, and again after an msync) and ends
// without a final msync or munmap; whether it returns, kills itself or is
// killed from outside, the host file holds every store afterwards, exactly
// as natively, and keeps its size.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { announceKvmSkip } from '@tsv/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boot, InputStream } from '../boot/index.js';

const TESTDATA = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata');
const SIZE = 20 * 4096 + 100;

function original(): Buffer {
  const b = Buffer.alloc(SIZE);
  for (let i = 0; i < SIZE; i++) b[i] = 0x41 + (i % 26);
  return b;
}

describe.skipIf(announceKvmSkip())('shared file mappings on KVM', () => {
  let dir: string;
  let exe: string;
  let native: Buffer;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'tsv-shared-file-'));
    exe = path.join(dir, 'shared-file');
    execFileSync('gcc', ['-static', '-O1', '-o', exe, path.join(TESTDATA, 'shared-file.c')]);
    const f = path.join(dir, 'native.bin');
    writeFileSync(f, original());
    const r = spawnSync(exe, ['exit', f]);
    expect(r.status).toBe(0);
    native = readFileSync(f);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const mode of ['exit', 'kill', 'spin'] as const) {
    it(`the volume's file has every store when the program ends by ${mode}`, async () => {
      const vol = path.join(dir, `vol-${mode}`);
      mkdirSync(vol);
      writeFileSync(path.join(vol, 'data.bin'), original());
      copyFileSync(exe, path.join(vol, 'prog'));
      const { KvmPlatform } = await import('@tsv/platform/kvm');
      const platform = new KvmPlatform({ memoryBytes: 256 << 20 });
      try {
        let sentry: Awaited<ReturnType<typeof boot>> | undefined;
        const out: string[] = [];
        sentry = await boot({
          platform,
          argv: ['/vol/prog', mode, '/vol/data.bin'],
          env: [],
          cwd: '/',
          root: '/',
          volumes: [`${vol}:/vol`],
          memoryLimit: 128 << 20,
          checkMemory: true,
          stdin: new InputStream(),
          stderr: (b) => out.push(Buffer.from(b).toString()),
          stdout: (b) => {
            out.push(Buffer.from(b).toString());
            if (mode === 'spin' && out.join('').includes('ready')) setTimeout(() => sentry!.kill(9), 20);
          },
        });
        const status = await sentry.run();
        expect(status).toMatchObject(mode === 'exit' ? { code: 0 } : { signal: 9 });
        const after = readFileSync(path.join(vol, 'data.bin'));
        expect(after.length).toBe(SIZE);
        expect(after.subarray(7, 20).toString()).toBe('page 0 stored');
        expect(after.subarray(16384 + 100, 16384 + 111).toString()).toBe('after msync');
        expect(after.equals(native)).toBe(true);
      } finally {
        platform.close();
      }
    });
  }
});
