// Ring 3 against the guest kernel's CPU setup, on KVM: testdata/compat.c
// tries every way into 32-bit code (where a SYSCALL would enter ring 0 at
// CSTAR's low half on this host) and int $0x80; each is a SIGSEGV the
// program handles. Then the test reopens 32-bit code in the GDT itself, so
// that ring 0 does take a trap: the sandbox dies of SIGKILL with one
// warning, and the host throws nothing.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { boot, InputStream } from '../boot/index.js';

const TESTDATA = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata');

describe.skipIf(announceKvmSkip())('ring 3 cannot reach ring 0 (KVM)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tsv-compat-'));
  const exe = path.join(dir, 'compat');
  execFileSync('gcc', ['-static', '-O1', '-o', exe, path.join(TESTDATA, 'compat.c')]);

  async function run(args: string[], before?: (p: import('@tsv/platform/kvm').KvmPlatform) => void) {
    const { KvmPlatform } = await import('@tsv/platform/kvm');
    const platform = new KvmPlatform({ memoryBytes: 256 << 20 });
    try {
      before?.(platform);
      const out: string[] = [];
      const warnings: string[] = [];
      const sentry = await boot({
        platform,
        argv: [exe, ...args],
        env: [],
        cwd: '/',
        root: '/',
        memoryLimit: 128 << 20,
        stdin: new InputStream(),
        stdout: (b) => out.push(Buffer.from(b).toString()),
        stderr: () => {},
        warn: (l) => warnings.push(l),
      });
      const status = await sentry.run();
      return { status, out: out.join(''), warnings, stats: sentry.stats() };
    } finally {
      platform.close();
    }
  }

  it('far transfers to 32-bit code and int $0x80 are SIGSEGV, with the selector or gate in the error code', async () => {
    const r = await run([]);
    expect(r.out).toBe(
      [
        'far ret: SIGSEGV code 128 trapno 13 err 0x20',
        'far jmp: SIGSEGV code 128 trapno 13 err 0x20',
        'far call: SIGSEGV code 128 trapno 13 err 0x20',
        'iret: SIGSEGV code 128 trapno 13 err 0x20',
        'int $0x80: SIGSEGV code 128 trapno 13 err 0x402',
        '',
      ].join('\n'),
    );
    expect(r.status).toEqual({ code: 0 });
    expect(r.stats.kernelTraps).toBe(0);
  });

  it('a trap in ring 0 kills the sandbox with one warning, and is counted', async () => {
    const r = await run(['enter'], (platform) => {
      // The GDT as it was before ring 3 was kept out of 32-bit code: 0x20 is DPL-3 32-bit code again
      // (in every vCPU's GDT: the task runs on whichever holds its FPU state).
      for (let cpu = 0; cpu < platform.image.vcpus; cpu++) {
        const gdt = Number(platform.image.sregs(cpu).gdt.base & 0xffff_ffffn);
        new DataView(platform.memory.bytes.buffer).setBigUint64(gdt + 0x20, 0x00cf_fb00_0000_ffffn, true);
      }
    });
    expect(r.status).toEqual({ signal: 9 });
    expect(r.out).toBe('far ret: ');
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/^tsv: the guest kernel stopped unexpectedly \(vector \d+, at 0x[0-9a-f]+\): killing the sandbox$/);
    expect(r.stats.kernelTraps).toBe(1);
  });
});
