// Descriptors and mappings are released by close() and by garbage collection.
import { readdirSync } from 'node:fs';
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { Kvm } from './index.js';
import { kvmMappings } from './test-helpers.js';

/** A guest memory size nothing else in the process maps. */
const GUEST_BYTES = (1 << 20) + 3 * 4096;
const mappings = () => kvmMappings(GUEST_BYTES);

const fds = () => readdirSync('/proc/self/fd').length;

function cycle(closeThem: boolean): void {
  const kvm = Kvm.open();
  const vm = kvm.createVm();
  const mem = vm.createGuestMemory(GUEST_BYTES);
  vm.mapMemory(0, 0, mem);
  const cpu = vm.createVcpu(0);
  if (closeThem) {
    cpu.close();
    vm.destroy();
    kvm.close();
  }
}

describe.skipIf(announceKvmSkip())('resource release', () => {
  it('leaks no descriptor or mapping over 200 create/close cycles', () => {
    cycle(true);
    const fd0 = fds();
    const map0 = mappings();
    for (let i = 0; i < 200; i++) cycle(true);
    expect(fds()).toBe(fd0);
    expect(mappings()).toBe(map0);
  });

  it('releases descriptors of objects dropped without close() once collected', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    expect(gc, 'run with --expose-gc').toBeTypeOf('function');
    const fd0 = fds();
    for (let i = 0; i < 50; i++) cycle(false);
    expect(fds()).toBeGreaterThan(fd0);
    for (let i = 0; i < 10 && fds() > fd0; i++) {
      gc!();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(fds()).toBe(fd0);
  });
});
