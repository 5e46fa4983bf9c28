// Thousands of random argument vectors into every handler: none may throw,
// and every result must be a non-negative value or a Linux errno.
import { describe, expect, it } from 'vitest';
import { rng, validResult } from '../../testing/hostile.js';
import { InputStream, OutputStream } from '../../kernel/stdio.js';
import { FS_SYSCALLS } from './index.js';
import { setup } from './test-helpers.js';

const ROUNDS = 1500;

describe('hostile arguments', () => {
  for (const [name] of FS_SYSCALLS) {
    it(`${name} never throws and returns a value or an errno`, async () => {
      const env = setup({ f: 'contents', 'd/x': 'x', 'd/sub/': '' }, { memoryLimit: 1 << 20 });
      try {
        const t = env.t;
        t.fds.add(new InputStream(true));
        t.fds.add(new OutputStream(() => {}, true));
        env.now('open', env.str('/f'), 2, 0);
        env.now('open', env.str('/d'), 0o200000, 0);
        env.now('pipe', env.buf(8));
        const big = env.buf(3 * 4096);
        const pointers: bigint[] = [
          0n,
          BigInt(t.mm.unmapped),
          0xffff_8000_0000_0000n,
          2n ** 64n - 1n,
          2n ** 47n - 1n,
          BigInt(big),
          BigInt(big + 4095),
          BigInt(env.str('/f')),
          BigInt(env.str('d')),
          BigInt(env.str('')),
          BigInt(env.str('/d/x')),
          BigInt(env.str('x'.repeat(300))),
          BigInt(env.buf(16, new Uint8Array(16))),
          BigInt(env.buf(4096) + 4090),
        ];
        const ints: bigint[] = [
          0n,
          1n,
          2n,
          3n,
          4n,
          5n,
          6n,
          7n,
          8n,
          100n,
          0x1000n,
          0x541bn,
          0x5401n,
          2n ** 31n,
          2n ** 63n,
          0xffff_ff9cn,
          2n ** 64n - 100n,
          2n ** 64n - 1n,
          0x7fff_f000n,
        ];
        const next = rng(name.split('').reduce((h, c) => h * 31 + c.charCodeAt(0), 7));
        const pick = (): bigint => {
          const k = next() % 3;
          if (k === 0) return pointers[next() % pointers.length]!;
          if (k === 1) return ints[next() % ints.length]!;
          return (BigInt(next()) << 32n) | BigInt(next() & (next() % 2 === 0 ? 0xffff_ffff : 0xff));
        };
        const pending: Promise<number>[] = [];
        const outcomes = new Set<number>();
        for (let i = 0; i < ROUNDS; i++) {
          const args = Array.from({ length: 6 }, pick);
          let r: number | Promise<number>;
          try {
            r = env.sys(name, ...args);
          } catch (e) {
            throw new Error(`${name}(${args.map((x) => `0x${x.toString(16)}`).join(', ')}) threw: ${String(e)}`);
          }
          if (typeof r === 'number') {
            if (!validResult(r)) throw new Error(`${name}(${args.map((x) => `0x${x.toString(16)}`).join(', ')}) = ${r}`);
            outcomes.add(r <= 0 ? r : 1);
          } else {
            pending.push(r);
          }
          if (t.exited) break; // SIGPIPE ended it
        }
        // The vectors reach past the first check: more than one kind of outcome.
        expect(outcomes.size).toBeGreaterThan(1);
        // Waiting calls must settle with valid results too, or still be waiting (they may wait for ever).
        const settled = await Promise.race([
          Promise.allSettled(pending),
          new Promise<null>((resolve) => setTimeout(() => resolve(null), 50)),
        ]);
        for (const s of settled ?? []) {
          expect(s.status).toBe('fulfilled');
          if (s.status === 'fulfilled') expect(validResult(s.value)).toBe(true);
        }
      } finally {
        env.cleanup();
      }
    });
  }
});
