import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { constant, Kvm, KvmError } from './index.js';

describe.skipIf(announceKvmSkip())('Kvm (/dev/kvm)', () => {
  it('reports the API version, capabilities, CPUID and MSRs', () => {
    const kvm = Kvm.open();
    try {
      expect(kvm.apiVersion()).toBe(12);
      expect(kvm.checkExtension(constant('KVM_CAP_USER_MEMORY'))).toBeGreaterThan(0);
      expect(kvm.checkExtension(constant('KVM_CAP_SYNC_REGS'))).toBeGreaterThan(0);
      expect(kvm.checkExtension(constant('KVM_CAP_IMMEDIATE_EXIT'))).toBeGreaterThan(0);
      expect(kvm.vcpuMmapSize()).toBeGreaterThanOrEqual(4096);
      const cpuid = kvm.supportedCpuid();
      const leaf0 = cpuid.find((e) => e.function === 0);
      expect(leaf0?.eax).toBeGreaterThan(0); // highest basic leaf
      const msrs = kvm.msrIndexList();
      expect(msrs).toContain(0xc0000082); // LSTAR
    } finally {
      kvm.close();
    }
  });

  it('names the errno and gives a hint when the device is missing', () => {
    let err: unknown;
    try {
      Kvm.open('/dev/no-such-kvm');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KvmError);
    expect((err as KvmError).code).toBe('ENOENT');
    expect((err as Error).message).toMatch(/^open \/dev\/no-such-kvm failed: ENOENT \(.*no KVM/);
  });

  it('throws ClosedError for use after close', () => {
    const kvm = Kvm.open();
    kvm.close();
    expect(() => kvm.apiVersion()).toThrow(/is closed/);
  });
});
