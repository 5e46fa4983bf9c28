// `tsv doctor`: can tsv run on this host, and what will it cost? Reports the
// KVM device, its flavor, the capabilities tsv relies on and the measured
// cost of one vCPU ioctl and one guest exit.
import { existsSync, readFileSync } from 'node:fs';
import { constant, Kvm, KvmError, probeExitCost } from '@tsv/kvm-sys';
import { PROT_EXEC, PROT_READ, Reg, Registers, Stop } from '@tsv/platform';
import { KvmPlatform } from '@tsv/platform/kvm';
import { accessAdvice, describeDevice, readAccessFacts } from './kvm-access.js';

export type KvmFlavor = 'pvm' | 'intel-vmx' | 'amd-svm' | 'unknown';

export interface Capability {
  name: string;
  /** Why tsv needs it. */
  use: string;
  required: boolean;
  value: number;
  ok: boolean;
}

export interface DoctorReport {
  ok: boolean;
  /** One line saying why tsv cannot run here (when !ok). */
  reason?: string;
  device: { path: string; exists: boolean; accessible: boolean; error?: string };
  /** When this user may not open the device: what would let it, fitted to this host. */
  advice?: string[];
  apiVersion?: number;
  flavor: { kind: KvmFlavor; module?: string; cpuVendor?: string; hostIsVirtualMachine: boolean; evidence: string[] };
  capabilities: Capability[];
  costs?: { ioctlNs: number; exitRoundTripNs: number; syscallRoundTripNs?: number };
}

const MODULES: [string, KvmFlavor][] = [
  ['kvm_pvm', 'pvm'],
  ['kvm_intel', 'intel-vmx'],
  ['kvm_amd', 'amd-svm'],
];

/** Which KVM implementation backs /dev/kvm: loaded module first, CPU flags second. */
export function detectFlavor(sysModule = '/sys/module', cpuinfoPath = '/proc/cpuinfo'): DoctorReport['flavor'] {
  const evidence: string[] = [];
  let kind: KvmFlavor = 'unknown';
  let module: string | undefined;
  for (const [name, k] of MODULES) {
    if (existsSync(`${sysModule}/${name}`)) {
      evidence.push(`${sysModule}/${name} is loaded`);
      if (kind === 'unknown') {
        kind = k;
        module = name;
      }
    }
  }
  let cpuVendor: string | undefined;
  let flags: string[] = [];
  try {
    const cpuinfo = readFileSync(cpuinfoPath, 'utf8');
    cpuVendor = /^vendor_id\s*:\s*(\S+)/m.exec(cpuinfo)?.[1];
    flags = (/^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? '').split(/\s+/);
  } catch {
    evidence.push(`${cpuinfoPath} unreadable`);
  }
  const hostIsVirtualMachine = flags.includes('hypervisor');
  if (kind === 'unknown') {
    if (flags.includes('vmx')) kind = 'intel-vmx';
    else if (flags.includes('svm')) kind = 'amd-svm';
    if (kind !== 'unknown') evidence.push(`CPU flag ${kind === 'intel-vmx' ? 'vmx' : 'svm'}`);
  } else if (kind === 'pvm') {
    evidence.push(
      `CPU has ${flags.includes('vmx') ? 'vmx' : flags.includes('svm') ? 'svm' : 'neither vmx nor svm'}: PVM runs guests without hardware virtualization`,
    );
  }
  if (hostIsVirtualMachine) evidence.push('CPU flag hypervisor: this host is itself a virtual machine');
  return { kind, module, cpuVendor, hostIsVirtualMachine, evidence };
}

const CAPS: [string, string, boolean][] = [
  ['KVM_CAP_USER_MEMORY', 'guest memory from a host mapping', true],
  ['KVM_CAP_SYNC_REGS', 'registers through kvm_run: one ioctl per exit', true],
  ['KVM_CAP_IMMEDIATE_EXIT', 'kicks and the preemption tick', true],
  ['KVM_CAP_EXT_CPUID', 'CPUID for the guest', true],
  ['KVM_CAP_NR_MEMSLOTS', 'memory slots', true],
  ['KVM_CAP_XSAVE', 'saving FPU/AVX state per task', false],
  ['KVM_CAP_READONLY_MEM', 'read-only memory slots', false],
  ['KVM_CAP_SET_GUEST_DEBUG', 'debugging guests', false],
];

export function runDoctor(options: { path?: string; measure?: boolean } = {}): DoctorReport {
  const path = options.path ?? '/dev/kvm';
  const report: DoctorReport = {
    ok: false,
    device: { path, exists: existsSync(path), accessible: false },
    flavor: detectFlavor(),
    capabilities: [],
  };
  let kvm: Kvm;
  try {
    kvm = Kvm.open(path);
  } catch (e) {
    report.device.error = e instanceof Error ? e.message : String(e);
    if (e instanceof KvmError && (e.code === 'EACCES' || e.code === 'EPERM')) {
      const facts = readAccessFacts(path);
      report.device.error = `no permission: ${describeDevice(facts)}, and this is ${facts.user.name} (uid ${facts.user.uid})`;
      report.advice = accessAdvice(facts);
    }
    report.reason = report.device.error;
    return report;
  }
  try {
    report.device.accessible = true;
    report.apiVersion = kvm.apiVersion();
    const syncWanted = constant('KVM_SYNC_X86_REGS') | constant('KVM_SYNC_X86_SREGS');
    for (const [name, use, required] of CAPS) {
      const value = kvm.checkExtension(constant(name));
      const ok = name === 'KVM_CAP_SYNC_REGS' ? (value & syncWanted) === syncWanted : value > 0;
      report.capabilities.push({ name, use, required, value, ok });
    }
    const missing = report.capabilities.filter((c) => c.required && !c.ok).map((c) => c.name);
    if (missing.length > 0) {
      report.reason = `KVM lacks what tsv needs: ${missing.join(', ')}`;
      return report;
    }
    if (options.measure !== false) {
      try {
        report.costs = probeExitCost(kvm, 500, 5);
        report.costs.syscallRoundTripNs = probeSyscallCost(path);
      } catch (e) {
        report.reason = `a test guest did not run: ${e instanceof KvmError || e instanceof Error ? e.message : String(e)}`;
        return report;
      }
    }
    report.ok = true;
    return report;
  } finally {
    kvm.close();
  }
}

// A ring-3 loop making system calls, encoded here (two instructions) because
// doctor must run where no assembler is installed:
//   1: mov $39, %eax   B8 imm32
//      syscall         0F 05
//      jmp 1b          EB rel8 (-9)
const SYSCALL_LOOP = [0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf7];
const LOOP_VA = 0x40_0000;

/** Median ns of one system call round trip through the KVM platform (what a program's syscall costs, before the Sentry's own work). */
function probeSyscallCost(device: string, perRound = 200, rounds = 5): number {
  const platform = new KvmPlatform({ memoryBytes: 16 << 20, device });
  try {
    const ctx = platform.newContext();
    const as = platform.newAddressSpace();
    const frame = platform.memory.allocate(1);
    platform.memory.bytes.set(SYSCALL_LOOP, frame);
    as.map(LOOP_VA, 4096, frame, PROT_READ | PROT_EXEC);
    const regs = new Registers();
    regs.set(Reg.rip, LOOP_VA);
    const fpu = ctx.newFpuState();
    const times: number[] = [];
    for (let k = 0; k <= rounds; k++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < perRound; i++) {
        if (ctx.switch(as, regs, fpu) !== Stop.Syscall) throw new Error('the syscall probe did not make a system call');
      }
      if (k > 0) times.push(Number(process.hrtime.bigint() - t0) / perRound);
    }
    times.sort((a, b) => a - b);
    return times[times.length >> 1]!;
  } finally {
    platform.close();
  }
}

const FLAVOR_NAMES: Record<KvmFlavor, string> = {
  pvm: 'PVM (paravirtualized KVM, no hardware virtualization)',
  'intel-vmx': 'Intel VMX',
  'amd-svm': 'AMD SVM',
  unknown: 'unknown',
};

const us = (ns: number) => `${(ns / 1000).toFixed(1)} µs`;

export function formatDoctor(r: DoctorReport): string {
  const mark = (ok: boolean) => (ok ? 'ok  ' : 'FAIL');
  const lines: string[] = [];
  lines.push(
    `${mark(r.device.accessible)} ${r.device.path}: ${r.device.accessible ? 'present and accessible' : (r.device.error ?? 'not accessible')}`,
  );
  if (r.apiVersion !== undefined) lines.push(`ok   KVM API version ${r.apiVersion}`);
  const f = r.flavor;
  lines.push(
    `     KVM flavor: ${FLAVOR_NAMES[f.kind]}${f.module ? ` (module ${f.module})` : ''}${f.cpuVendor ? `, CPU ${f.cpuVendor}` : ''}`,
  );
  for (const e of f.evidence) lines.push(`       - ${e}`);
  for (const c of r.capabilities) {
    const status = c.ok ? 'ok  ' : c.required ? 'FAIL' : 'warn';
    lines.push(`${status} ${c.name.padEnd(24)} ${c.ok ? 'present' : 'missing'}${c.required ? '' : ' (optional)'}: ${c.use}`);
  }
  if (r.costs) {
    lines.push(`     one vCPU ioctl:         ${us(r.costs.ioctlNs)}`);
    lines.push(`     one guest exit (KVM_RUN round trip): ${us(r.costs.exitRoundTripNs)}`);
    if (r.costs.syscallRoundTripNs !== undefined) {
      lines.push(`     one system call of a sandboxed program (ring 3 -> tsv -> ring 3): ${us(r.costs.syscallRoundTripNs)}`);
    }
  }
  if (r.advice?.length) lines.push('     to let this user open it:', ...r.advice.map((a) => `       - ${a}`));
  lines.push(r.ok ? 'tsv can run on this host.' : `tsv cannot run on this host: ${r.reason}`);
  return lines.join('\n');
}
