// Measures what one vCPU ioctl and one guest exit cost on this host, with a
// two-instruction guest: `tsv doctor` and the benchmarks use it. The guest
// runs in 64-bit ring 0 and loops on a store to a guest-physical address that
// has no memslot, so every iteration is one KVM_EXIT_MMIO.
import { native } from './binding.js';
import { check } from './errors.js';
import { constant, ioctl } from './ioctl.js';
import type { Kvm } from './kvm.js';
import { REGS_SIZE } from './structs.js';

// The guest, encoded here because it is two instructions and must run on
// machines without an assembler:
//   loop: mov %rax, (%rbx)   REX.W 89 /r, ModRM 00 000 011 = 0x03
//         jmp loop           EB rel8, -5 back to the mov
const GUEST = [0x48, 0x89, 0x03, 0xeb, 0xfb];
const CODE_GPA = 0x10000;
const MMIO_GPA = 0xd000_0000n;
const MMIO_VA = 0x20_0000n;

export interface ExitProbe {
  /** Median ns of one KVM_RUN -> KVM_EXIT_MMIO -> KVM_RUN round trip. */
  exitRoundTripNs: number;
  /** Median ns of one KVM_GET_REGS ioctl. */
  ioctlNs: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/**
 * Runs `rounds` batches of `perRound` exits (and ioctls) and returns the
 * medians. Throws KvmError if the guest does not behave (e.g. no MMIO exit).
 */
export function probeExitCost(kvm: Kvm, perRound = 2000, rounds = 5): ExitProbe {
  const vm = kvm.createVm();
  try {
    const mem = vm.createGuestMemory(2 << 20);
    vm.mapMemory(0, 0, mem);
    const q = (gpa: number, v: bigint) => mem.view.setBigUint64(gpa, v, true);
    // Identity map 0-2 MiB, and VA 2 MiB -> the MMIO hole, with 2 MiB pages.
    q(0x1000, 0x2000n | 3n);
    q(0x2000, 0x3000n | 3n);
    q(0x3000, 0x83n);
    q(0x3008, MMIO_GPA | 0x83n);
    mem.bytes.set(GUEST, CODE_GPA);
    const cpu = vm.createVcpu(0);
    try {
      cpu.setCpuid(kvm.supportedCpuid());
      const s = cpu.getSregs();
      const flat = { base: 0n, limit: 0xfffff, present: 1, dpl: 0, s: 1, g: 1, avl: 0, unusable: 0 };
      s.cs = { ...flat, selector: 0x8, type: 0xb, l: 1, db: 0 };
      s.ds = s.es = s.fs = s.gs = s.ss = { ...flat, selector: 0x10, type: 0x3, l: 0, db: 1 };
      s.cr3 = 0x1000n;
      s.cr4 = 0x20n;
      s.cr0 = 0x80000011n;
      s.efer = 0x500n;
      cpu.setSregs(s);
      cpu.setRegs({ rip: BigInt(CODE_GPA), rbx: MMIO_VA, rflags: 2n });
      const MMIO = constant('KVM_EXIT_MMIO');
      for (let i = 0; i < 20; i++) {
        const r = cpu.run();
        if (r !== MMIO) throw new Error(`self-test guest: expected an MMIO exit, got exit reason ${r}`);
      }
      const fd = cpu.fd;
      const GET_REGS = ioctl('KVM_GET_REGS');
      const regs = new Uint8Array(REGS_SIZE);
      const exits: number[] = [];
      const ioctls: number[] = [];
      for (let k = 0; k < rounds; k++) {
        let t = process.hrtime.bigint();
        for (let i = 0; i < perRound; i++) cpu.run();
        exits.push(Number(process.hrtime.bigint() - t) / perRound);
        t = process.hrtime.bigint();
        for (let i = 0; i < perRound; i++) check('KVM_GET_REGS', native.ioctlBuf(fd, GET_REGS, regs));
        ioctls.push(Number(process.hrtime.bigint() - t) / perRound);
      }
      return { exitRoundTripNs: median(exits), ioctlNs: median(ioctls) };
    } finally {
      cpu.close();
    }
  } finally {
    vm.destroy();
  }
}
