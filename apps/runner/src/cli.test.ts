// The command line as a user runs it: bin/tsv in a child process.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';

const TSV = fileURLToPath(new URL('../bin/tsv', import.meta.url));
const tsv = (...args: string[]) => spawnSync(process.execPath, [TSV, ...args], { encoding: 'utf8' });

describe('tsv command line', () => {
  it('prints usage and rejects unknown commands with status 2', () => {
    expect(tsv('help')).toMatchObject({ status: 0, stdout: expect.stringMatching(/^usage: tsv/) });
    const bad = tsv('frobnicate');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^tsv: unknown command 'frobnicate'/);
  });

  it('--version prints the version of @tsv/runner, and nothing else', () => {
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(tsv('--version')).toMatchObject({ status: 0, stdout: `tsv ${version}\n`, stderr: '' });
  });

  it('doctor exits 1 with one clear line when the device is missing', () => {
    const r = tsv('doctor', '--device', '/dev/no-such-kvm');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/tsv cannot run on this host/);
    expect(r.stderr).toBe('');
  });

  it('doctor names an unknown flag in one line and exits 2', () => {
    expect(tsv('doctor', '--bogus')).toMatchObject({ status: 2, stderr: "tsv doctor: Unknown option '--bogus'\n" });
  });

  it.skipIf(announceKvmSkip())('doctor --json reports a usable KVM here', () => {
    const r = tsv('doctor', '--json');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(true);
    expect(['pvm', 'intel-vmx', 'amd-svm']).toContain(report.flavor.kind);
  });

  it.skipIf(announceKvmSkip())('hello runs the real-mode guest', () => {
    const r = tsv('hello');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('Hello from a KVM guest, run by tsv!\n');
  });
});
