// Error paths: each failing call names the ioctl and the errno.
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { ClosedError, Kvm, KvmError } from './index.js';

function fails(f: () => unknown, call: string, code: string): KvmError {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(KvmError);
  expect((err as KvmError).call).toBe(call);
  expect((err as KvmError).code).toBe(code);
  return err as KvmError;
}

describe.skipIf(announceKvmSkip())('error paths', () => {
  it('rejects a bad slot, an overlapping region and a misaligned size', () => {
    const kvm = Kvm.open();
    const vm = kvm.createVm();
    const mem = vm.createGuestMemory(0x20000);
    vm.mapMemory(0, 0, mem, { size: 0x10000 });

    const bad = fails(() => vm.mapMemory(100_000, 0x100000, mem), 'KVM_SET_USER_MEMORY_REGION', 'EINVAL');
    expect(bad.message).toMatch(/slot 100000 failed: EINVAL \(.*slot number/);
    const overlap = fails(() => vm.mapMemory(1, 0x8000, mem, { offset: 0x10000, size: 0x10000 }), 'KVM_SET_USER_MEMORY_REGION', 'EEXIST');
    expect(overlap.hint).toMatch(/overlaps/);
    fails(
      () => vm.setUserMemoryRegion({ slot: 2, flags: 0, guestPhysAddr: 0x200000, memorySize: 0x1234, userspaceAddr: mem.hostAddress }),
      'KVM_SET_USER_MEMORY_REGION',
      'EINVAL',
    );
    fails(
      () => vm.setUserMemoryRegion({ slot: 2, flags: 0, guestPhysAddr: 0x200001, memorySize: 0x1000, userspaceAddr: mem.hostAddress }),
      'KVM_SET_USER_MEMORY_REGION',
      'EINVAL',
    );
    expect(() => vm.mapMemory(3, 0x400000, mem, { offset: 0x10000, size: 0x20000 })).toThrow(RangeError);
    expect(() => vm.createGuestMemory(1000)).toThrow(/multiple of 4096/);
    vm.destroy();
    kvm.close();
  });

  it('refuses to run, kick or read registers after close', () => {
    const kvm = Kvm.open();
    const vm = kvm.createVm();
    const cpu = vm.createVcpu(0);
    cpu.close();
    expect(() => cpu.run()).toThrow(ClosedError);
    expect(() => cpu.kick()).toThrow(ClosedError);
    expect(() => cpu.getRegs()).toThrow(ClosedError);
    cpu.close(); // idempotent
    vm.close();
    expect(() => vm.createVcpu(1)).toThrow(ClosedError);
    kvm.close();
  });

  it('detaches guest memory on close so it cannot be touched', () => {
    const kvm = Kvm.open();
    const vm = kvm.createVm();
    const mem = vm.createGuestMemory(0x10000);
    const old = mem.bytes;
    mem.close();
    expect(old.byteLength).toBe(0);
    expect(mem.bytes.byteLength).toBe(0);
    expect(() => mem.buffer).toThrow(ClosedError);
    vm.destroy();
    kvm.close();
  });

  it('rejects a duplicate vCPU id', () => {
    const kvm = Kvm.open();
    const vm = kvm.createVm();
    const cpu = vm.createVcpu(0);
    fails(() => vm.createVcpu(0), 'KVM_CREATE_VCPU', 'EEXIST');
    cpu.close();
    vm.destroy();
    kvm.close();
  });
});
