// The seed example: a real-mode guest writes a string to an I/O port byte by
// byte and halts; the host collects the string from the exits.
import { announceKvmSkip, assemble } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { constant, Kvm, runOffsets } from './index.js';

const HELLO = `
  mov $0x3f8, %dx
  mov $msg, %si
1: lodsb
  test %al, %al
  jz 2f
  out %al, %dx
  jmp 1b
2: hlt
msg: .asciz "Hello from a real-mode guest!\\n"
`;

describe.skipIf(announceKvmSkip())('real-mode guest', () => {
  it('writes a string to port 0x3f8 and halts', () => {
    const kvm = Kvm.open();
    const vm = kvm.createVm();
    const mem = vm.createGuestMemory(0x10000);
    vm.mapMemory(0, 0, mem);
    const code = assemble(HELLO, { origin: 0x1000, code16: true });
    mem.bytes.set(code.bytes, 0x1000);
    const cpu = vm.createVcpu(0);
    const s = cpu.getSregs();
    s.cs.base = 0n;
    s.cs.selector = 0;
    s.ds.base = 0n;
    s.ds.selector = 0;
    cpu.setSregs(s);
    cpu.setRegs({ rip: 0x1000n, rflags: 2n });

    const EXIT_IO = constant('KVM_EXIT_IO');
    let out = '';
    let reason: number;
    for (let i = 0; i < 1000; i++) {
      reason = cpu.run();
      if (reason === constant('KVM_EXIT_INTR')) continue; // a signal to this thread ended the run early: resume
      if (reason !== EXIT_IO) break;
      const v = cpu.runView;
      expect(v.getUint8(runOffsets['io.direction']!)).toBe(constant('KVM_EXIT_IO_OUT'));
      expect(v.getUint16(runOffsets['io.port']!, true)).toBe(0x3f8);
      const at = Number(v.getBigUint64(runOffsets['io.data_offset']!, true));
      out += String.fromCharCode(cpu.runBytes[at]!);
    }
    expect(reason!).toBe(constant('KVM_EXIT_HLT'));
    expect(out).toBe('Hello from a real-mode guest!\n');
    cpu.close();
    vm.destroy();
    kvm.close();
  });
});
