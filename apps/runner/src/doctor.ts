// `tsv doctor`: can tsv run on this host, and what will it cost? Reports the
// KVM device, its flavor, the capabilities tsv relies on and the measured
// cost of one vCPU ioctl and one guest exit.
import { existsSync, readFileSync } from 'node:fs';
import { constant, Kvm, KvmError, probeExitCost } from '@tsv/kvm-sys';

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
  apiVersion?: number;
  flavor: { kind: KvmFlavor; module?: string; cpuVendor?: string; hostIsVirtualMachine: boolean; evidence: string[] };
  capabilities: Capability[];
  costs?: { ioctlNs: number; exitRoundTripNs: number };
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
    evidence.push(`CPU has ${flags.includes('vmx') ? 'vmx' : flags.includes('svm') ? 'svm' : 'neither vmx nor svm'}: PVM runs guests without hardware virtualization`);
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
  lines.push(`${mark(r.device.accessible)} ${r.device.path}: ${r.device.accessible ? 'present and accessible' : r.device.error ?? 'not accessible'}`);
  if (r.apiVersion !== undefined) lines.push(`ok   KVM API version ${r.apiVersion}`);
  const f = r.flavor;
  lines.push(`     KVM flavor: ${FLAVOR_NAMES[f.kind]}${f.module ? ` (module ${f.module})` : ''}${f.cpuVendor ? `, CPU ${f.cpuVendor}` : ''}`);
  for (const e of f.evidence) lines.push(`       - ${e}`);
  for (const c of r.capabilities) {
    const status = c.ok ? 'ok  ' : c.required ? 'FAIL' : 'warn';
    lines.push(`${status} ${c.name.padEnd(24)} ${c.ok ? 'present' : 'missing'}${c.required ? '' : ' (optional)'}: ${c.use}`);
  }
  if (r.costs) {
    lines.push(`     one vCPU ioctl:         ${us(r.costs.ioctlNs)}`);
    lines.push(`     one guest exit (KVM_RUN round trip): ${us(r.costs.exitRoundTripNs)}`);
    if (f.kind === 'pvm') {
      lines.push('     note: under PVM each ring-3 entry and exit traps to the outer hypervisor, so a system call');
      lines.push('     of the sandboxed program costs several times one exit here (see tsv run --stats)');
    }
  }
  lines.push(r.ok ? 'tsv can run on this host.' : `tsv cannot run on this host: ${r.reason}`);
  return lines.join('\n');
}
