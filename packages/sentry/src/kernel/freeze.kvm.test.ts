// Kernel.freeze: no guest instruction runs while the sandbox is frozen
// (runc pause), and it goes on where it was once thawed.
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { withKvmSentry } from '../testing/kvm-sentry.js';

const tick = () => new Promise((r) => setTimeout(r, 20));

describe.skipIf(announceKvmSkip())('Kernel.freeze on KVM', () => {
  it('stops every task until thawed', async () => {
    const out: string[] = [];
    // A process that computes without system calls, and one that sleeps and prints.
    const argv = ['/bin/busybox', 'sh', '-c', '(while :; do :; done) & sleep 0.2; echo woke'];
    await withKvmSentry({ argv, env: ['PATH=/bin'], stdout: (b) => out.push(Buffer.from(b).toString()) }, async (sentry) => {
      const k = sentry.kernel;
      const run = sentry.run();
      while (k.cpu.userNs === 0) await tick();
      k.freeze();
      const frozenAt = k.cpu.userNs;
      // Longer than the sleep: its timer expires, but nothing runs.
      for (let i = 0; i < 20; i++) await tick();
      expect(k.cpu.userNs).toBe(frozenAt);
      expect(out.join('')).toBe('');
      k.thaw();
      while (k.cpu.userNs === frozenAt || out.length === 0) await tick();
      expect(out.join('')).toBe('woke\n');
      // init has ended: the spinner goes with the sandbox.
      expect(await run).toEqual({ code: 0 });
    });
  });
});
