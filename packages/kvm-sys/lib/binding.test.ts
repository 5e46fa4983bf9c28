import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { native } from './binding.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const loaded = (): string[] => Object.keys(createRequire(import.meta.url).cache);

describe('the addon', () => {
  it('is the prebuild, required by its path without node-gyp-build, unless a local build exists', () => {
    expect(typeof native.open).toBe('function');
    const prebuilt = join(root, 'prebuilds', 'linux-x64', '@tsv+kvm-sys.glibc.node');
    if (existsSync(join(root, 'build', 'Release', 'kvm_sys.node'))) {
      expect(loaded().some((f) => f.includes('node-gyp-build'))).toBe(true);
    } else {
      expect(loaded()).toContain(prebuilt);
      expect(loaded().some((f) => f.includes('node-gyp-build'))).toBe(false);
    }
  });
});
