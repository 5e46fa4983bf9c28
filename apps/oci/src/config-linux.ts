// config.json's `linux` object: namespaces the sandbox satisfies by being
// its own, resources that become the sandbox's limits, and what the
// sandbox makes moot (masked and read-only /proc paths: its /proc shows
// nothing of the host; device rules: its /dev is the Sentry's own).
import type { SandboxOptions } from '@tsv/runner';
import type { Fields } from './config-fields.js';

const NAMESPACES = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'];
/** The weight a cgroup gets by default: the only one that asks for nothing. */
const DEFAULT_CPU_SHARES = 1024;

/**
 * The sysctls Docker sets in every container with a network of its own, which
 * its user cannot leave out: accepted, and the log says what the sandbox does
 * instead. Any other sysctl is refused.
 */
const DOCKER_SYSCTLS: Readonly<Record<string, string>> = {
  'net.ipv4.ip_unprivileged_port_start':
    'not applied: in the sandbox only uid 0 binds ports below 1024 (its network is its own, nothing is bound on the host)',
  'net.ipv4.ping_group_range': 'not applied: the sandbox has no ICMP sockets, so no group opens one',
};

type LinuxOptions = Pick<SandboxOptions, 'memory' | 'pids'> & { warnings: string[] };

/** The sandbox options `linux` asks for (its memory and task limits), and the warnings for the log. */
export function linuxOf(l: Fields | undefined): LinuxOptions {
  if (l === undefined) return { warnings: [] };
  l.only([
    'namespaces',
    'uidMappings',
    'gidMappings',
    'resources',
    'cgroupsPath',
    'sysctl',
    'seccomp',
    'maskedPaths',
    'readonlyPaths',
    'rootfsPropagation',
    'mountLabel',
    'devices',
    'intelRdt',
    'personality',
    'timeOffsets',
  ]);
  for (const ns of l.array('namespaces')) {
    ns.only(['type', 'path']);
    const type = ns.string('type') ?? '';
    if (!NAMESPACES.includes(type)) ns.refuse('type', `unknown namespace '${type}'`);
    ns.empty('path', 'joining an existing namespace is not supported (the sandbox is its own)');
  }
  l.empty('uidMappings', 'user id mappings are not supported');
  l.empty('gidMappings', 'group id mappings are not supported');
  const warnings: string[] = [];
  for (const [k, v] of Object.entries(l.stringMap('sysctl'))) {
    const why = DOCKER_SYSCTLS[k];
    if (why === undefined) l.refuse(`sysctl.${k}`, 'sysctls are not supported');
    warnings.push(`config.json: linux.sysctl.${k}=${v}: ${why}`);
  }
  l.empty(
    'seccomp',
    "seccomp filters are not supported (no system call of the program reaches the host's kernel; Docker: --security-opt seccomp=unconfined)",
  );
  l.empty('mountLabel', 'SELinux mount labels are not supported');
  l.empty('devices', 'device nodes are not supported (the sandbox has its own /dev)');
  l.empty('intelRdt', 'Intel RDT is not supported');
  l.empty('personality', 'personalities are not supported');
  l.empty('timeOffsets', 'time namespace offsets are not supported');
  l.stringArray('maskedPaths');
  l.stringArray('readonlyPaths');
  l.string('rootfsPropagation');
  // tsv creates no cgroup: the limits below are the sandbox's own.
  l.string('cgroupsPath');
  return { ...resourcesOf(l.object('resources')), warnings };
}

function resourcesOf(r: Fields): Pick<SandboxOptions, 'memory' | 'pids'> {
  r.only(['devices', 'memory', 'cpu', 'pids', 'blockIO', 'hugepageLimits', 'network', 'rdma', 'unified']);
  for (const d of r.array('devices')) d.only(['allow', 'type', 'major', 'minor', 'access']);
  // A weight of 0 is no weight (Docker writes blockIO.weight 0 when none is asked for).
  const io = r.object('blockIO');
  io.only(['weight', 'leafWeight']);
  for (const k of ['weight', 'leafWeight']) io.empty(k, 'not supported by tsv (no block device is shared)');
  for (const k of ['hugepageLimits', 'network', 'rdma', 'unified'])
    r.empty(k, 'not supported by tsv (only memory.limit, pids.limit and a cpu quota of at least one CPU are)');
  const out: Pick<SandboxOptions, 'memory' | 'pids'> = {};

  const mem = r.object('memory');
  mem.only(['limit', 'swap', 'reservation', 'disableOOMKiller', 'useHierarchy', 'checkBeforeUpdate']);
  const limit = mem.integer('limit');
  if (limit !== undefined && limit > 0) out.memory = limit;
  const swap = mem.integer('swap');
  // memory+swap at least the limit: the sandbox never swaps, so it cannot use more than the limit anyway.
  if (swap !== undefined && swap !== -1 && (limit === undefined || limit <= 0 || swap < limit))
    mem.refuse('swap', 'memory+swap below memory.limit is not supported');
  mem.empty('reservation', 'a memory reservation is not supported');
  mem.empty('disableOOMKiller', 'the sandbox always ends a program that exceeds its memory');
  mem.boolean('useHierarchy');
  mem.boolean('checkBeforeUpdate');

  const pids = r.object('pids');
  pids.only(['limit']);
  const max = pids.integer('limit');
  if (max !== undefined && max > 0) out.pids = max;

  const cpu = r.object('cpu');
  cpu.only(['shares', 'quota', 'period', 'burst', 'realtimeRuntime', 'realtimePeriod', 'cpus', 'mems', 'idle']);
  const shares = cpu.natural('shares');
  // 0 asks for no weight (Docker writes it when none is asked for), as runc takes it.
  if (shares !== undefined && shares !== 0 && shares !== DEFAULT_CPU_SHARES)
    cpu.refuse('shares', `only ${DEFAULT_CPU_SHARES} (the default weight) is supported`);
  const quota = cpu.integer('quota');
  const period = cpu.natural('period') ?? 100_000;
  // One sandbox runs its guest on one host thread: a quota of a CPU or more is always met; less would need throttling.
  if (quota !== undefined && quota > 0 && quota < period)
    cpu.refuse('quota', `less than one CPU (${quota}/${period}) is not supported: a sandbox uses at most one`);
  for (const k of ['burst', 'realtimeRuntime', 'realtimePeriod', 'cpus', 'mems', 'idle']) cpu.empty(k, 'not supported by tsv');
  return out;
}
