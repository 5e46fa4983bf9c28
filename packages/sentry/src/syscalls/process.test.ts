import { Reg } from '@tsv/platform';
import { describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { call, type FakeTask, handlerOf, makeTask } from '../testing/fake-task.js';
import { ARCH_GET_FS, ARCH_GET_GS, ARCH_SET_FS, ARCH_SET_GS, PROCESS_SYSCALLS, TASK_SIZE_MAX } from './process.js';
import { setHostname } from './uts.js';

const sys = (t: FakeTask, name: string, ...args: (number | bigint)[]): number => {
  const r = call(t, handlerOf(PROCESS_SYSCALLS, name), ...args);
  if (typeof r !== 'number') throw new Error(`${name} returned a promise`);
  return r;
};
const u64 = (t: FakeTask, addr: number): bigint => t.mm.dv(addr, 8).getBigUint64(0, true);
const u32 = (t: FakeTask, addr: number): number => t.mm.dv(addr, 4).getUint32(0, true);

describe('exit', () => {
  it('ends the task with the low 8 bits of the status', () => {
    const t = makeTask();
    sys(t, 'exit_group', 0x1234);
    expect(t.exitStatus).toEqual({ code: 0x34 });
    const u = makeTask();
    sys(u, 'exit', -1);
    expect(u.exitStatus).toEqual({ code: 255 });
  });
});

describe('ids', () => {
  it('reports pid, tid, ppid, groups and session', () => {
    const t = makeTask({ creds: { uid: 1000, gid: 100, euid: 1001, egid: 101 } });
    expect(sys(t, 'getpid')).toBe(t.pid);
    expect(sys(t, 'gettid')).toBe(t.tid);
    expect(sys(t, 'getppid')).toBe(0);
    expect([sys(t, 'getuid'), sys(t, 'geteuid'), sys(t, 'getgid'), sys(t, 'getegid')]).toEqual([1000, 1001, 100, 101]);
    expect(sys(t, 'getpgrp')).toBe(t.pid);
    expect(sys(t, 'getpgid', 0)).toBe(t.pid);
    expect(sys(t, 'getpgid', t.pid)).toBe(t.pid);
    expect(sys(t, 'getpgid', t.pid + 1)).toBe(-E.ESRCH);
    expect(sys(t, 'getsid', 0)).toBe(t.pid);
    expect(sys(t, 'getsid', 999)).toBe(-E.ESRCH);
  });

  it('getresuid writes three ids and faults on each pointer', () => {
    const t = makeTask({ creds: { uid: 1, euid: 2, suid: 3 } });
    const p = t.mm.alloc(12);
    expect(sys(t, 'getresuid', p, p + 4, p + 8)).toBe(0);
    expect([u32(t, p), u32(t, p + 4), u32(t, p + 8)]).toEqual([1, 2, 3]);
    for (const bad of [0, t.mm.unmapped, -1n]) {
      expect(sys(t, 'getresuid', bad, p + 4, p + 8)).toBe(-E.EFAULT);
      expect(sys(t, 'getresgid', p, bad, p + 8)).toBe(-E.EFAULT);
      expect(sys(t, 'getresgid', p, p + 4, bad)).toBe(-E.EFAULT);
    }
  });

  it('getgroups: size 0 counts, a short size is EINVAL, a bad list EFAULT', () => {
    const t = makeTask({ creds: { groups: [5, 7] } });
    expect(sys(t, 'getgroups', 0, 0)).toBe(2);
    expect(sys(t, 'getgroups', -1, 0)).toBe(-E.EINVAL);
    expect(sys(t, 'getgroups', 1, t.mm.alloc(4))).toBe(-E.EINVAL);
    const p = t.mm.alloc(8);
    expect(sys(t, 'getgroups', 2, p)).toBe(2);
    expect([u32(t, p), u32(t, p + 4)]).toEqual([5, 7]);
    expect(sys(t, 'getgroups', 2, t.mm.unmapped)).toBe(-E.EFAULT);
    expect(sys(t, 'getgroups', 2, p + 4)).toBe(-E.EFAULT); // runs into the guard page
  });

  it('setgroups needs privilege, bounds the size and sorts', () => {
    const t = makeTask();
    const p = t.mm.alloc(8);
    t.mm.dv(p, 8).setUint32(0, 9, true);
    t.mm.dv(p, 8).setUint32(4, 3, true);
    expect(sys(t, 'setgroups', 2, p)).toBe(0);
    expect(t.creds.groups).toEqual([3, 9]);
    expect(sys(t, 'setgroups', 65_537, p)).toBe(-E.EINVAL);
    expect(sys(t, 'setgroups', 2, t.mm.unmapped)).toBe(-E.EFAULT);
    expect(sys(t, 'setgroups', 0, 0)).toBe(0);
    expect(t.creds.groups).toEqual([]);
    const u = makeTask({ creds: { uid: 1000 } });
    expect(sys(u, 'setgroups', 0, 0)).toBe(-E.EPERM);
  });

  it('setuid: root sets all three; others only switch between real and saved', () => {
    const root = makeTask();
    expect(sys(root, 'setuid', 1000)).toBe(0);
    expect([root.creds.uid, root.creds.euid, root.creds.suid]).toEqual([1000, 1000, 1000]);
    expect(sys(root, 'setuid', 0)).toBe(-E.EPERM);
    expect(sys(root, 'setuid', 0xffff_ffff)).toBe(-E.EINVAL);
    const u = makeTask({ creds: { uid: 1000, euid: 1000, suid: 2000 } });
    expect(sys(u, 'setuid', 2000)).toBe(0);
    expect([u.creds.uid, u.creds.euid, u.creds.suid]).toEqual([1000, 2000, 2000]);
    expect(sys(u, 'setuid', 1000)).toBe(0);
    expect(u.creds.euid).toBe(1000);
    expect(sys(u, 'setgid', 5)).toBe(-E.EPERM);
  });

  it('setreuid and setresuid follow Linux rules', () => {
    const u = makeTask({ creds: { uid: 1000, euid: 1001, suid: 1002 } });
    expect(sys(u, 'setreuid', 0xffff_ffff, 1002)).toBe(0);
    // The effective id left the real one: the saved id follows it.
    expect([u.creds.uid, u.creds.euid, u.creds.suid]).toEqual([1000, 1002, 1002]);
    expect(sys(u, 'setreuid', 5, 0xffff_ffff)).toBe(-E.EPERM);
    expect(sys(u, 'setresuid', 0xffff_ffff, 1000, 0xffff_ffff)).toBe(0);
    expect([u.creds.uid, u.creds.euid, u.creds.suid]).toEqual([1000, 1000, 1002]);
    expect(sys(u, 'setresuid', 0, 0xffff_ffff, 0xffff_ffff)).toBe(-E.EPERM);
    expect(sys(u, 'setresuid', 0xffff_ffff, 0xffff_ffff, 0xffff_ffff)).toBe(0);
    const root = makeTask();
    expect(sys(root, 'setresgid', 1, 2, 3)).toBe(0);
    expect([root.creds.gid, root.creds.egid, root.creds.sgid]).toEqual([1, 2, 3]);
    expect(sys(root, 'setregid', 7, 0xffff_ffff)).toBe(0);
    expect([root.creds.gid, root.creds.egid, root.creds.sgid]).toEqual([7, 2, 2]);
  });

  it('setpgid and setsid: the sandbox process leads its session', () => {
    const t = makeTask();
    expect(sys(t, 'setpgid', 0, -1)).toBe(-E.EINVAL);
    expect(sys(t, 'setpgid', 999, 0)).toBe(-E.ESRCH);
    expect(sys(t, 'setpgid', 0, 0)).toBe(-E.EPERM);
    expect(sys(t, 'setsid')).toBe(-E.EPERM);
    // A process that is not a group leader may start a session, then not move.
    t.pgid = 77;
    t.sid = 77;
    expect(sys(t, 'setpgid', 0, 0)).toBe(0);
    expect(t.pgid).toBe(t.pid);
    t.pgid = 77;
    expect(sys(t, 'setsid')).toBe(t.pid);
    expect([t.sid, t.pgid]).toEqual([t.pid, t.pid]);
  });
});

describe('arch_prctl', () => {
  it('sets and gets fs and gs bases', () => {
    const t = makeTask();
    expect(sys(t, 'arch_prctl', ARCH_SET_FS, 0x7f00_0000_1000)).toBe(0);
    expect(t.regs.get(Reg.fs_base)).toBe(0x7f00_0000_1000);
    expect(sys(t, 'arch_prctl', ARCH_SET_GS, 0x1234)).toBe(0);
    expect(t.regs.get(Reg.gs_base)).toBe(0x1234);
    const p = t.mm.alloc(8);
    expect(sys(t, 'arch_prctl', ARCH_GET_FS, p)).toBe(0);
    expect(u64(t, p)).toBe(0x7f00_0000_1000n);
    expect(sys(t, 'arch_prctl', ARCH_GET_GS, p)).toBe(0);
    expect(u64(t, p)).toBe(0x1234n);
  });

  it('refuses non-user bases, faults on bad pointers, EINVAL for unknown codes', () => {
    const t = makeTask();
    for (const base of [TASK_SIZE_MAX, 2 ** 47, 0xffff_8000_0000_0000n, -1n]) {
      expect(sys(t, 'arch_prctl', ARCH_SET_FS, base)).toBe(-E.EPERM);
    }
    expect(sys(t, 'arch_prctl', ARCH_SET_FS, TASK_SIZE_MAX - 1)).toBe(0);
    expect(t.regs.get(Reg.fs_base)).toBe(TASK_SIZE_MAX - 1);
    expect(sys(t, 'arch_prctl', ARCH_GET_FS, 0)).toBe(-E.EFAULT);
    expect(sys(t, 'arch_prctl', ARCH_GET_GS, t.mm.alloc(8, false))).toBe(-E.EFAULT);
    expect(sys(t, 'arch_prctl', 0x9999, 0)).toBe(-E.EINVAL);
    expect(sys(t, 'arch_prctl', 0x1011, 0)).toBe(1);
  });
});

describe('thread set-up', () => {
  it('set_tid_address stores the pointer and returns the tid', () => {
    const t = makeTask();
    expect(sys(t, 'set_tid_address', 0x5000)).toBe(t.tid);
    expect(t.clearChildTid).toBe(0x5000);
  });

  it('set_robust_list needs the 24-byte head; get_robust_list reads it back', () => {
    const t = makeTask();
    expect(sys(t, 'set_robust_list', 0x6000, 23)).toBe(-E.EINVAL);
    expect(sys(t, 'set_robust_list', 0x6000, 24)).toBe(0);
    const head = t.mm.alloc(8);
    const len = t.mm.alloc(8);
    expect(sys(t, 'get_robust_list', 0, head, len)).toBe(0);
    expect([u64(t, head), u64(t, len)]).toEqual([0x6000n, 24n]);
    expect(sys(t, 'get_robust_list', 999, head, len)).toBe(-E.ESRCH);
    expect(sys(t, 'get_robust_list', 0, head, 0)).toBe(-E.EFAULT);
    expect(sys(t, 'get_robust_list', 0, t.mm.unmapped, len)).toBe(-E.EFAULT);
  });

  it('rseq is not offered', () => {
    expect(sys(makeTask(), 'rseq', 0, 32, 0, 0)).toBe(-E.ENOSYS);
  });
});

describe('resource limits', () => {
  const RLIMIT_STACK = 3;
  const RLIMIT_NOFILE = 7;
  const RLIMIT_AS = 9;
  const write = (t: FakeTask, cur: bigint, max: bigint): number => {
    const p = t.mm.alloc(16);
    t.mm.dv(p, 16).setBigUint64(0, cur, true);
    t.mm.dv(p, 16).setBigUint64(8, max, true);
    return p;
  };
  const read = (t: FakeTask, p: number): [bigint, bigint] => [u64(t, p), u64(t, p + 8)];
  const INF = 0xffff_ffff_ffff_ffffn;

  it('has Linux defaults', () => {
    const t = makeTask();
    const p = t.mm.alloc(16);
    expect(sys(t, 'getrlimit', RLIMIT_STACK, p)).toBe(0);
    expect(read(t, p)).toEqual([8n << 20n, INF]);
    expect(sys(t, 'prlimit64', 0, RLIMIT_AS, 0, p)).toBe(0);
    expect(read(t, p)).toEqual([INF, INF]);
    expect(sys(t, 'getrlimit', RLIMIT_NOFILE, p)).toBe(0);
    expect(read(t, p)).toEqual([1024n, 4096n]);
  });

  it('keeps the descriptor table limit in step with RLIMIT_NOFILE', () => {
    const t = makeTask({ creds: { uid: 1000 } });
    expect(sys(t, 'setrlimit', RLIMIT_NOFILE, write(t, 100n, 4096n))).toBe(0);
    expect(t.fds.limit).toBe(100);
    const old = t.mm.alloc(16);
    expect(sys(t, 'prlimit64', t.pid, RLIMIT_NOFILE, write(t, 200n, 300n), old)).toBe(0);
    expect(read(t, old)).toEqual([100n, 4096n]);
    expect(t.fds.limit).toBe(200);
    // Raising the hard limit again needs privilege.
    expect(sys(t, 'setrlimit', RLIMIT_NOFILE, write(t, 200n, 400n))).toBe(-E.EPERM);
    expect(sys(t, 'setrlimit', RLIMIT_NOFILE, write(t, 301n, 300n))).toBe(-E.EINVAL);
    t.fds.limit = 50;
    expect(sys(t, 'getrlimit', RLIMIT_NOFILE, old)).toBe(0);
    expect(read(t, old)).toEqual([50n, 300n]);
  });

  it('root may raise hard limits, but not NOFILE past nr_open', () => {
    const t = makeTask();
    // The sandbox's nr_open is 2^16 (see rlimit.ts), not Linux's 2^20.
    expect(sys(t, 'setrlimit', RLIMIT_NOFILE, write(t, 1n << 16n, 1n << 16n))).toBe(0);
    expect(t.fds.limit).toBe(1 << 16);
    expect(sys(t, 'setrlimit', RLIMIT_NOFILE, write(t, 1n, (1n << 16n) + 1n))).toBe(-E.EPERM);
    expect(sys(t, 'setrlimit', RLIMIT_NOFILE, write(t, INF, INF))).toBe(-E.EPERM);
    expect(sys(t, 'setrlimit', RLIMIT_STACK, write(t, 1n << 30n, INF))).toBe(0);
    const p = t.mm.alloc(16);
    expect(sys(t, 'getrlimit', RLIMIT_STACK, p)).toBe(0);
    expect(read(t, p)).toEqual([1n << 30n, INF]);
  });

  it('checks resource, pid and pointers in Linux order', () => {
    const t = makeTask();
    const p = t.mm.alloc(16);
    expect(sys(t, 'getrlimit', 16, p)).toBe(-E.EINVAL);
    expect(sys(t, 'getrlimit', 0xffff_ffff, p)).toBe(-E.EINVAL);
    expect(sys(t, 'getrlimit', RLIMIT_STACK, 0)).toBe(-E.EFAULT);
    expect(sys(t, 'setrlimit', RLIMIT_STACK, t.mm.unmapped)).toBe(-E.EFAULT);
    expect(sys(t, 'setrlimit', 99, p)).toBe(-E.EINVAL);
    expect(sys(t, 'prlimit64', 0, 16, 0, 0)).toBe(-E.EINVAL);
    expect(sys(t, 'prlimit64', 999, 16, 0, 0)).toBe(-E.ESRCH);
    expect(sys(t, 'prlimit64', 999, 3, 8, 0)).toBe(-E.EFAULT);
    expect(sys(t, 'prlimit64', 0, 3, 0, t.mm.unmapped)).toBe(-E.EFAULT);
    expect(sys(t, 'prlimit64', 0, 3, 0, 0)).toBe(0);
  });
});

describe('usage', () => {
  it('getrusage: EINVAL for an unknown who, EFAULT for a bad buffer, zeros for children', () => {
    const t = makeTask();
    const p = t.mm.alloc(144);
    expect(sys(t, 'getrusage', 2, p)).toBe(-E.EINVAL);
    expect(sys(t, 'getrusage', 0, 0)).toBe(-E.EFAULT);
    expect(sys(t, 'getrusage', 0, p + 8)).toBe(-E.EFAULT);
    t.mm.write(p, new Uint8Array(144).fill(1));
    expect(sys(t, 'getrusage', -1, p)).toBe(0);
    expect(t.mm.read(p, 144).every((b) => b === 0)).toBe(true);
    // The scheduler's count of the thread's guest time (2.5 s) is what RUSAGE_THREAD and RUSAGE_SELF report.
    t.userNs = 2.5e9;
    for (const who of [1, 0]) {
      expect(sys(t, 'getrusage', who, p)).toBe(0);
      const dv = t.mm.dv(p, 144);
      expect([Number(dv.getBigInt64(0, true)), Number(dv.getBigInt64(8, true))]).toEqual([2, 500_000]);
    }
  });

  it('sysinfo: uptime, memory and one process', () => {
    const t = makeTask();
    const p = t.mm.alloc(112);
    expect(sys(t, 'sysinfo', p)).toBe(0);
    const dv = t.mm.dv(p, 112);
    expect(dv.getBigInt64(0, true)).toBeGreaterThanOrEqual(0n);
    expect(dv.getBigInt64(0, true)).toBeLessThan(5n);
    expect(dv.getBigUint64(40, true)).toBe(dv.getBigUint64(32, true)); // nothing used on the fake platform
    expect(sys(t, 'sysinfo', t.mm.unmapped)).toBe(-E.EFAULT);
  });
});

describe('scheduling', () => {
  it('sched_getaffinity reports CPU 0 in one 8-byte word', () => {
    const t = makeTask();
    const p = t.mm.alloc(16);
    t.mm.write(p, new Uint8Array(16).fill(0xff));
    expect(sys(t, 'sched_getaffinity', 0, 16, p)).toBe(8);
    expect([...t.mm.read(p, 9)]).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0xff]);
    for (const len of [0, 4, 12, 7]) expect(sys(t, 'sched_getaffinity', 0, len, p)).toBe(-E.EINVAL);
    expect(sys(t, 'sched_getaffinity', 999, 8, p)).toBe(-E.ESRCH);
    expect(sys(t, 'sched_getaffinity', 0, 8, 0)).toBe(-E.EFAULT);
    expect(sys(t, 'sched_getaffinity', 0, 16, p + 12)).toBe(-E.EFAULT);
  });

  it('sched_setaffinity accepts masks with CPU 0', () => {
    const t = makeTask();
    const p = t.mm.alloc(8);
    t.mm.write(p, new Uint8Array([3, 0, 0, 0, 0, 0, 0, 0]));
    expect(sys(t, 'sched_setaffinity', 0, 8, p)).toBe(0);
    expect(sys(t, 'sched_setaffinity', 0, 1, p)).toBe(0);
    expect(sys(t, 'sched_setaffinity', 0, 0, p)).toBe(-E.EINVAL);
    t.mm.write(p, new Uint8Array([2]));
    expect(sys(t, 'sched_setaffinity', 0, 8, p)).toBe(-E.EINVAL);
    expect(sys(t, 'sched_setaffinity', 0, 8, 0)).toBe(-E.EFAULT);
    expect(sys(t, 'sched_setaffinity', 5, 8, p)).toBe(-E.ESRCH);
  });

  it('getcpu, sched_yield, policies and nice values', () => {
    const t = makeTask({ creds: { uid: 1000 } });
    const p = t.mm.alloc(8);
    t.mm.write(p, new Uint8Array(8).fill(9));
    expect(sys(t, 'getcpu', p, p + 4, 0)).toBe(0);
    expect(t.mm.read(p, 8).every((b) => b === 0)).toBe(true);
    expect(sys(t, 'getcpu', 0, 0, 0)).toBe(0);
    expect(sys(t, 'getcpu', t.mm.unmapped, 0, 0)).toBe(-E.EFAULT);
    expect(sys(t, 'sched_yield')).toBe(0);
    expect(sys(t, 'sched_getscheduler', 0)).toBe(0);
    expect(sys(t, 'sched_getscheduler', -1)).toBe(-E.EINVAL);
    expect(sys(t, 'sched_get_priority_max', 1)).toBe(99);
    expect(sys(t, 'sched_get_priority_min', 2)).toBe(1);
    expect(sys(t, 'sched_get_priority_max', 7)).toBe(-E.EINVAL);
    expect(sys(t, 'getpriority', 0, 0)).toBe(20);
    expect(sys(t, 'setpriority', 0, 0, 5)).toBe(0);
    expect(sys(t, 'getpriority', 0, t.pid)).toBe(15);
    expect(sys(t, 'setpriority', 0, 0, 0)).toBe(-E.EACCES);
    expect(sys(t, 'getpriority', 3, 0)).toBe(-E.EINVAL);
    expect(sys(t, 'getpriority', 0, 999)).toBe(-E.ESRCH);
  });
});

describe('uname', () => {
  it('reports Linux x86_64 with the configured host name', () => {
    const t = makeTask();
    setHostname(t.kernel, 'judge-7');
    const p = t.mm.alloc(390);
    expect(sys(t, 'uname', p)).toBe(0);
    expect(new TextDecoder().decode(t.mm.read(p + 65, 8))).toBe('judge-7\0');
    expect(sys(t, 'uname', p + 1)).toBe(-E.EFAULT);
    expect(sys(t, 'uname', 0)).toBe(-E.EFAULT);
  });

  it('sethostname: root only, 64 bytes at most', () => {
    const t = makeTask();
    const name = t.mm.alloc(5);
    t.mm.write(name, 'sbox1');
    expect(sys(t, 'sethostname', name, 5)).toBe(0);
    const p = t.mm.alloc(390);
    sys(t, 'uname', p);
    expect(new TextDecoder().decode(t.mm.read(p + 65, 6))).toBe('sbox1\0');
    expect(sys(t, 'sethostname', name, 65)).toBe(-E.EINVAL);
    expect(sys(t, 'sethostname', name, -1)).toBe(-E.EINVAL);
    expect(sys(t, 'sethostname', name, 6)).toBe(-E.EFAULT);
    expect(sys(makeTask({ creds: { uid: 1 } }), 'sethostname', name, 5)).toBe(-E.EPERM);
  });
});
