import { defineConfig } from 'vitest/config';

// globalSetup re-assembles the .S sources first, so tests always run against
// the machine code the sources describe.
// Time bounds catch hangs, nothing else: this machine is shared and a loaded run
// can be ten times slower than a quiet one, so a test asserts progress, never speed.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    globalSetup: ['scripts/vitest-global-setup.mjs'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
