// Fixtures for the loader tests: C programs compiled on the spot, files served
// through the loader's pread interface, and the vDSO build.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ElfSource } from './elf.js';

export const TESTDATA = fileURLToPath(new URL('./testdata/', import.meta.url));
const PACKAGE = fileURLToPath(new URL('../../', import.meta.url));

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsv-loader-'));
// TSV_KEEP=1 keeps the compiled programs and manifests for debugging.
if (!process.env.TSV_KEEP) process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }));

/** A scratch path inside this test file's temporary directory. */
export function scratch(name: string): string {
  return path.join(work, name);
}

/** Compiles testdata/<src> with gcc and returns the output path. */
export function compile(src: string, out: string, flags: string[] = []): string {
  const dst = scratch(out);
  execFileSync('gcc', ['-O1', '-o', dst, path.join(TESTDATA, src), ...flags], { stdio: 'pipe' });
  return dst;
}

/** Serves `bytes` as an ELF file; `failAt` makes reads at or beyond that offset fail with `failErrno`. */
export function bytesSource(bytes: Uint8Array, failAt = Infinity, failErrno = -5): ElfSource {
  return {
    size: bytes.length,
    pread(buf, len, offset) {
      if (offset >= failAt) return failErrno;
      const n = Math.max(0, Math.min(len, bytes.length - offset));
      buf.set(bytes.subarray(offset, offset + n));
      return n;
    },
  };
}

export function fileSource(file: string): ElfSource {
  return bytesSource(fs.readFileSync(file));
}

/** Builds gen/vdso.so with the package's own build script and returns its path. */
export function buildVdso(): string {
  execFileSync('sh', [path.join(PACKAGE, 'vdso/build.sh')], { stdio: 'pipe' });
  return path.join(PACKAGE, 'gen/vdso.so');
}

export function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env });
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
