import { defineConfig } from 'vitest/config';

// globalSetup re-assembles the .S sources first, so tests always run against
// the machine code the sources describe.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    globalSetup: ['scripts/vitest-global-setup.mjs'],
    testTimeout: 60_000,
    pool: 'forks',
  },
});
