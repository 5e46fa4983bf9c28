// The CPU as a task sees it: the probe's machine code is its source, and what
// it reports is a coherent x86-64 CPU, probed once, with nothing left behind.
import { announceKvmSkip, assemble } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { Stop } from '../platform.js';
import { PROBE_CODE, PROBE_SOURCE } from './cpu-probe.js';
import { newPlatform, newTask, run } from './test-support.js';

describe('cpu probe', () => {
  it('runs the machine code of its documented source', () => {
    expect([...PROBE_CODE]).toEqual([...assemble(PROBE_SOURCE).bytes]);
  });
});

describe.skipIf(announceKvmSkip())('KvmPlatform.guestCpu', () => {
  it('reports an x86-64 CPU whose XCR0 agrees with OSXSAVE, once, and frees what it used', () => {
    const { platform } = newPlatform();
    const used = platform.memory.used;
    const cpu = platform.guestCpu();
    expect(platform.memory.used - platform.memory.quarantined * 4096).toBe(used); // its tables wait for the next entry to be forgotten
    expect(platform.guestCpu()).toBe(cpu);
    const [maxBasic] = cpu.cpuid(0);
    expect(maxBasic).toBeGreaterThanOrEqual(1);
    const edx1 = cpu.cpuid(1)[3];
    for (const bit of [0, 15, 24, 25, 26]) expect((edx1 >>> bit) & 1, `CPUID.1:EDX bit ${bit}`).toBe(1); // fpu cmov fxsr sse sse2
    expect((cpu.cpuid(0x8000_0001)[3] >>> 29) & 1, 'long mode').toBe(1);
    const osxsave = (cpu.cpuid(1)[2] >>> 27) & 1;
    if (osxsave) expect(cpu.xcr0 & 3).toBe(3);
    else expect(cpu.xcr0).toBe(0);
    // Leaf 0xD.0 EBX is the XSAVE area size for the XCR0 in force: at least the legacy area and header.
    if (osxsave) expect(cpu.cpuid(0xd)[1]).toBeGreaterThanOrEqual(576);
    expect(cpu.cpuid(maxBasic + 1)).toEqual([0, 0, 0, 0]);
    expect(cpu.cpuid(0x1234_5678)).toEqual([0, 0, 0, 0]);
  });

  it('probes on a context of the Sentry without disturbing it', () => {
    const { platform, ctx } = newPlatform();
    platform.guestCpu();
    // The probe's FPU state left no vCPU taken: the first task's goes into the context's first.
    expect(run(ctx, newTask(platform, ctx, '1: mov $39, %eax\nsyscall\njmp 1b'))).toBe(Stop.Syscall);
    expect(ctx.vcpus.length).toBe(1);
    expect(platform.newContext().vcpu.index).toBe(ctx.vcpu.index + 1);
  });

  it('leaves its context idle: the wait until the first task runs (a prepared VM in a pool) is not host time', () => {
    const { platform, ctx } = newPlatform();
    platform.guestCpu();
    // exitedAt 0: the next KVM_RUN starts no host-time interval from the probe's last exit.
    expect(ctx.vcpu.stats.exitedAt).toBe(0);
  });
});
