// Test support: an OCI bundle over a busybox root filesystem, and the
// tsv-oci command line run as an engine runs it (a new process per command).
import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultSpec } from './spec.js';

/** config.json as a test edits it: any field, including ones the runtime spec forbids. */
// biome-ignore lint/suspicious/noExplicitAny: a test writes arbitrary JSON on purpose
export type Json = any;

export const BIN = fileURLToPath(new URL('../bin/tsv-oci', import.meta.url));
export const BUSYBOX = '/bin/busybox';

/** A root filesystem of busybox (static) and sh. */
export function busyboxRootfs(dir: string): string {
  const rootfs = join(dir, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  copyFileSync(BUSYBOX, join(rootfs, 'bin', 'busybox'));
  for (const applet of ['sh', 'sleep', 'true']) symlinkSync('busybox', join(rootfs, 'bin', applet));
  return rootfs;
}

/** A fresh directory holding a bundle whose process runs `script` in sh; `change` edits its config. */
export function makeBundle(script: string, change: (c: Json) => void = () => {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-oci-'));
  busyboxRootfs(dir);
  const c = defaultSpec() as Json;
  c.process.args = ['/bin/sh', '-c', script];
  change(c);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(c));
  return dir;
}

/** Runs `tsv-oci --root ROOT ...args` to its end. */
export function oci(root: string, ...args: string[]) {
  const r = spawnSync(BIN, ['--root', root, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same without blocking the test's event loop. */
export function ociAsync(root: string, ...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(BIN, ['--root', root, ...args], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr }),
    );
  });
}
