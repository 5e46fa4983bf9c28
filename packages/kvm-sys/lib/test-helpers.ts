// What /proc/self/smaps says of this process's mappings, for the tests.
import { readFileSync } from 'node:fs';

export interface MappingInfo {
  start: bigint;
  /** Bytes mapped. */
  size: number;
  /** Resident bytes. */
  rss: number;
  /** VmFlags, e.g. "dc" (not copied on fork), "nh" (no huge pages). */
  flags: string[];
}

/** Every mapping of this process. */
export function mappings(): MappingInfo[] {
  const out: MappingInfo[] = [];
  for (const block of readFileSync('/proc/self/smaps', 'utf8').split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/)) {
    const start = BigInt(`0x${block.slice(0, block.indexOf('-'))}`);
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(block)?.[1] ?? 0) * 1024;
    const rss = kib('Rss');
    const size = kib('Size');
    const flags = (/^VmFlags:(.*)$/m.exec(block)?.[1] ?? '').trim().split(/\s+/);
    out.push({ start, size, rss, flags });
  }
  return out;
}

/** The mapping that starts at `address` (a GuestMemory's hostAddress), or undefined. */
export function mappingAt(address: bigint): MappingInfo | undefined {
  return mappings().find((m) => m.start === address);
}

/**
 * vCPU kvm_run mappings, and guest memory mappings of `guestBytes` (a size
 * the test chooses so that nothing else in the process has it: guest
 * memory is anonymous, so only its size and flags tell it apart).
 */
export function kvmMappings(guestBytes: number): number {
  const vcpus = readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((l) => l.includes('kvm-vcpu')).length;
  return vcpus + mappings().filter((m) => m.size === guestBytes && m.flags.includes('dc')).length;
}
