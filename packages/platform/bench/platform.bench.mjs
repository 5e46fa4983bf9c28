// Benchmarks of the KVM platform, against the C floor of the same paths
// (../shared/tools/kvm-floor, measured in the same `pnpm bench` run).
//   platform.syscall_roundtrip_ns  ring-3 syscall answered by a TypeScript handler   vs d-emul-pf
//   platform.host_ns_per_exit      host time from KVM_RUN returning to the next KVM_RUN
//   platform.fault_roundtrip_ns    a page fault resolved in TypeScript (map, resume)  vs d-emul-pf
//   platform.cpu_ratio             CPU-bound guest loop with the tick on, native/guest (f-alu-host)
import { floorNs, median, report } from '@tsv/bench';
import { assemble } from '@tsv/testing';
import { PROT_EXEC, PROT_READ, PROT_WRITE, Reg, Registers, Stop } from '../dist/index.js';
import { KvmPlatform } from '../dist/kvm/index.js';
import { constant, Vcpu } from '@tsv/kvm-sys';

const CODE = 0x40_0000;
const STACK_TOP = 0x7fff_0000_0000;
const platform = new KvmPlatform({ memoryBytes: 256 << 20 });
const ctx = platform.newContext();

function task(source) {
  const as = platform.newAddressSpace();
  const code = assemble(source, { origin: CODE }).bytes;
  const f = platform.memory.allocate(1);
  platform.memory.bytes.set(code, f);
  as.map(CODE, 4096, f, PROT_READ | PROT_EXEC);
  as.map(STACK_TOP - 65536, 65536, platform.memory.allocate(16), PROT_READ | PROT_WRITE);
  const regs = new Registers();
  regs.set(Reg.rip, CODE);
  regs.set(Reg.rsp, STACK_TOP);
  regs.set(Reg.eflags, 0x202);
  return { as, regs, fpu: ctx.newFpuState() };
}

function rounds(fn, perRound, n = 5) {
  fn(Math.max(10, perRound >> 4)); // warm up
  const out = [];
  for (let i = 0; i < n; i++) out.push(fn(perRound));
  return median(out);
}

// --- system call round trip, and the host's share of it ---
{
  const t = task('1: mov $39, %eax\nsyscall\njmp 1b');
  const stats = ctx.vcpu.stats;
  const hostPerExit = [];
  const per = Math.round(3e8 / (floorNs('d-emul-pf') ?? 80000));
  const ns = rounds((n) => {
    stats.reset();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      if (ctx.switch(t.as, t.regs, t.fpu) !== Stop.Syscall) throw new Error('expected a syscall');
      t.regs.set(Reg.rax, 1); // the handler: getpid() = 1
    }
    const dt = Number(process.hrtime.bigint() - t0) / n;
    hostPerExit.push(stats.hostNs / (stats.runs - 1));
    return dt;
  }, per);
  report({ name: 'platform.syscall_roundtrip_ns', value: ns, unit: 'ns', baseline: 'd-emul-pf' });
  report({
    name: 'platform.host_ns_per_exit',
    value: median(hostPerExit.slice(1)),
    unit: 'ns',
    note: 'trivial handler; includes the register copy in and out and the timing itself',
  });
}

// --- the TypeScript path alone, hot: KVM_RUN replaced by restoring a recorded
// syscall exit into kvm_run, so only switch()'s own work is timed ---
{
  const t = task('1: mov $39, %eax\nsyscall\njmp 1b');
  ctx.switch(t.as, t.regs, t.fpu);
  const runBuf = new Uint8Array(ctx.vcpu.regs.buffer);
  const recorded = runBuf.slice();
  const realRun = Vcpu.prototype.run;
  const HLT = constant('KVM_EXIT_HLT');
  Vcpu.prototype.run = function () {
    runBuf.set(recorded);
    return HLT;
  };
  const N = 300_000;
  const loop = (restoreOnly) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) {
      if (restoreOnly) runBuf.set(recorded);
      else if (ctx.switch(t.as, t.regs, t.fpu) !== Stop.Syscall) throw new Error('expected a syscall');
      t.regs.set(Reg.rax, 1);
    }
    return Number(process.hrtime.bigint() - t0) / N;
  };
  loop(false);
  const ns = median([0, 1, 2].map(() => loop(false) - loop(true)));
  Vcpu.prototype.run = realRun;
  report({ name: 'platform.host_path_hot_ns', value: ns, unit: 'ns', note: 'switch() per syscall exit with warm caches, KVM_RUN stubbed' });
}

// --- page fault resolved in TypeScript: touch a new page, map it, resume ---
{
  const REGION = 0x1000_0000;
  const PAGES = 4096;
  const t = task(`movabs $${REGION}, %rbx\n1: mov (%rbx), %rax\nadd $4096, %rbx\njmp 1b`);
  const frame = platform.memory.allocate(1);
  let next = 0;
  const ns = rounds((n) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      if (ctx.switch(t.as, t.regs, t.fpu) !== Stop.Fault) throw new Error('expected a fault');
      t.as.map(ctx.fault.address - (ctx.fault.address % 4096), 4096, frame, PROT_READ);
      if (++next === PAGES) {
        // wrap around: start over on a fresh range of the same region
        t.as.unmap(REGION, PAGES * 4096);
        t.regs.set(Reg.rbx, REGION);
        next = 0;
      }
    }
    return Number(process.hrtime.bigint() - t0) / n;
  }, 1000);
  report({ name: 'platform.fault_roundtrip_ns', value: ns, unit: 'ns', baseline: 'd-emul-pf', note: 'one fault, one 4 KiB map, resume' });
}

// --- CPU-bound code with the preemption tick running ---
{
  // The same loop as the floor's spin_alu (f-alu-host is its native ns/iteration).
  const ITERS = 1_000_000_000;
  const t = task(`
    movabs $0x9e3779b97f4a7c15, %rax
    mov $1, %edx
    mov $${ITERS}, %rdi
  1: imul %rax, %rdx
    add $7, %rdx
    xor %rdx, %rax
    ror $13, %rax
    dec %rdi
    jnz 1b
    mov $39, %eax
    syscall
    ud2`);
  ctx.setPreemption(10e6);
  const t0 = process.hrtime.bigint();
  let ticks = 0;
  for (;;) {
    const stop = ctx.switch(t.as, t.regs, t.fpu);
    if (stop === Stop.Syscall) break;
    if (stop !== Stop.Interrupt) throw new Error(`cpu loop: stop ${stop}`);
    ticks++;
  }
  ctx.setPreemption(0);
  const guestPerIter = Number(process.hrtime.bigint() - t0) / ITERS;
  const native = floorNs('f-alu-host');
  report({
    name: 'platform.cpu_alu_ns_per_iter',
    value: guestPerIter,
    unit: 'ns',
    baseline: 'f-alu-host',
    note: `${ticks} ticks of 10 ms during the run`,
  });
  if (native !== undefined)
    report({
      name: 'platform.cpu_ratio',
      value: native / guestPerIter,
      unit: 'x native speed',
      note: 'f-alu-host / guest ns per iteration; 1.0 = native',
    });
}

platform.close();
