import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['lib/**/*.test.ts'],
    testTimeout: 30_000,
    // Separate processes: KVM tests own signals (the kick) and need --expose-gc.
    pool: 'forks',
    execArgv: ['--expose-gc'],
  },
});
