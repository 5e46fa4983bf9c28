// Signal delivery end to end on KVM: testdata/signals.c (faults with
// siginfo, the FPU state across a handler and in its frame, a handler
// editing uc_mcontext, masks, SA_NODEFER/RESETHAND, pending signals,
// sigsuspend, sigtimedwait, SIGPIPE, an unwritable alternate stack) prints
// the same lines and ends with the same status natively and in the Sentry.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { withKvmSentry } from '../testing/kvm-sentry.js';

const TESTDATA = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata');

describe.skipIf(announceKvmSkip())('signals on KVM', () => {
  it('signals.c behaves as it does natively', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tsv-signals-'));
    const exe = path.join(dir, 'signals');
    execFileSync('gcc', ['-static', '-O1', '-o', exe, path.join(TESTDATA, 'signals.c')]);
    const native = spawnSync(exe, { encoding: 'utf8' });
    expect(native.signal).toBe('SIGSEGV');

    const out: string[] = [];
    await withKvmSentry({ argv: [exe], stdout: (b) => out.push(Buffer.from(b).toString()) }, async (sentry) => {
      const status = await sentry.run();
      expect(out.join('')).toBe(native.stdout);
      expect(status).toEqual({ signal: 11, coreDumped: true });
    });
  });
});
