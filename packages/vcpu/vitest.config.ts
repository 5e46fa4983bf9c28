import { defineConfig } from 'vitest/config';

// Time bounds catch hangs, nothing else: this machine is shared and a loaded run
// can be ten times slower than a quiet one, so a test asserts progress, never speed.
export default defineConfig({
  test: { include: ['src/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 300_000, pool: 'forks' },
});
