import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { detectFlavor, formatDoctor, runDoctor } from './doctor.js';

function fakeHost(modules: string[], flags: string): { sys: string; cpuinfo: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tsv-doctor-'));
  for (const m of modules) mkdirSync(join(dir, 'module', m), { recursive: true });
  mkdirSync(join(dir, 'module'), { recursive: true });
  writeFileSync(join(dir, 'cpuinfo'), `vendor_id\t: AuthenticAMD\nflags\t\t: fpu ${flags}\n`);
  return { sys: join(dir, 'module'), cpuinfo: join(dir, 'cpuinfo') };
}

describe('detectFlavor', () => {
  it('recognises PVM, VMX and SVM from the loaded module', () => {
    const pvm = fakeHost(['kvm', 'kvm_pvm'], 'hypervisor');
    expect(detectFlavor(pvm.sys, pvm.cpuinfo)).toMatchObject({ kind: 'pvm', module: 'kvm_pvm', hostIsVirtualMachine: true });
    const vmx = fakeHost(['kvm', 'kvm_intel'], 'vmx');
    expect(detectFlavor(vmx.sys, vmx.cpuinfo)).toMatchObject({ kind: 'intel-vmx', cpuVendor: 'AuthenticAMD', hostIsVirtualMachine: false });
    const svm = fakeHost(['kvm', 'kvm_amd'], 'svm');
    expect(detectFlavor(svm.sys, svm.cpuinfo).kind).toBe('amd-svm');
  });

  it('falls back to CPU flags, and says unknown when nothing matches', () => {
    const flags = fakeHost([], 'svm');
    expect(detectFlavor(flags.sys, flags.cpuinfo).kind).toBe('amd-svm');
    const none = fakeHost([], 'sse');
    expect(detectFlavor(none.sys, none.cpuinfo).kind).toBe('unknown');
  });
});

describe('runDoctor', () => {
  it('fails with the reason when the device is missing', () => {
    const r = runDoctor({ path: '/dev/no-such-kvm', measure: false });
    expect(r.ok).toBe(false);
    expect(r.device).toMatchObject({ exists: false, accessible: false });
    expect(r.reason).toMatch(/ENOENT.*no KVM/);
    expect(formatDoctor(r)).toMatch(/tsv cannot run on this host: open \/dev\/no-such-kvm failed: ENOENT/);
  });

  it.skipIf(announceKvmSkip())('passes on this host and measures the exit cost', () => {
    const r = runDoctor();
    expect(r.reason).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.apiVersion).toBe(12);
    expect(r.capabilities.filter((c) => c.required).every((c) => c.ok)).toBe(true);
    expect(r.costs!.exitRoundTripNs).toBeGreaterThan(0);
    expect(r.costs!.ioctlNs).toBeGreaterThan(0);
    expect(r.costs!.syscallRoundTripNs).toBeGreaterThan(0);
    expect(formatDoctor(r)).toMatch(/tsv can run on this host\./);
  });
});
