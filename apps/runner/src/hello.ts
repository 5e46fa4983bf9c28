// `tsv hello`: the smallest real guest. A real-mode program (guests/hello.S,
// assembled at build time into gen/hello.bin) writes a greeting to port
// 0x3f8; each KVM_EXIT_IO carries one byte.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constant, Kvm, runOffsets } from '@tsv/kvm-sys';

const LOAD_AT = 0x1000;
const SERIAL = 0x3f8;
const MAX_EXITS = 10_000;

export function runHello(devicePath = '/dev/kvm'): string {
  const image = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'gen', 'hello.bin'));
  const kvm = Kvm.open(devicePath);
  const vm = kvm.createVm();
  try {
    const mem = vm.createGuestMemory(0x10000);
    vm.mapMemory(0, 0, mem);
    mem.bytes.set(image, LOAD_AT);
    const cpu = vm.createVcpu(0);
    const s = cpu.getSregs();
    s.cs.base = 0n;
    s.cs.selector = 0;
    s.ds.base = 0n;
    s.ds.selector = 0;
    cpu.setSregs(s);
    cpu.setRegs({ rip: BigInt(LOAD_AT), rflags: 2n });
    const out: number[] = [];
    const EXIT_IO = constant('KVM_EXIT_IO');
    const EXIT_HLT = constant('KVM_EXIT_HLT');
    for (let i = 0; i < MAX_EXITS; i++) {
      const reason = cpu.run();
      if (reason === EXIT_HLT) return Buffer.from(out).toString('utf8');
      if (reason !== EXIT_IO || cpu.runView.getUint16(runOffsets['io.port']!, true) !== SERIAL) {
        throw new Error(`hello guest: unexpected exit ${reason}`);
      }
      out.push(cpu.runBytes[Number(cpu.runView.getBigUint64(runOffsets['io.data_offset']!, true))]!);
    }
    throw new Error('hello guest: did not halt');
  } finally {
    vm.destroy();
    kvm.close();
  }
}
