// The KVM platform: one VM with one guest-physical memory region, the
// @tsv/ring0 kernel image at its bottom, frames above it for the Sentry,
// and a VirtualCpu per Context.
import { GuestMemory, Kvm, type Vm } from '@tsv/kvm-sys';
import { KERNEL_PHYS_END, type KernelImage, MAX_VCPUS, USER_MAX, USER_MIN, writeKernelImage } from '@tsv/ring0';
import { type VcpuStats, VirtualCpu } from '@tsv/vcpu';
import type { GuestCpu, Platform, PlatformStats } from '../platform.js';
import { KvmAddressSpace } from './address-space.js';
import { KvmContext } from './context.js';
import { probeGuestCpu } from './cpu-probe.js';
import { FrameAllocator } from './frames.js';
import { Revoker } from './revoke.js';
import { SpareMemory } from './spare-memory.js';

export interface KvmPlatformOptions {
  /** Guest-physical memory in bytes (a multiple of 2 MiB, at most 4 GiB). Default 1 GiB; pages cost host memory only when used. */
  memoryBytes?: number;
  /**
   * Bytes at the top of guest memory that hold page tables and nothing else
   * (a multiple of 2 MiB, below memoryBytes less 2 MiB). Page tables are not
   * charged to a memory limit: give what the limit leaves. Default an eighth
   * of memoryBytes, at least 2 MiB.
   */
  tableBytes?: number;
  /** The KVM device. Default /dev/kvm. */
  device?: string;
  /**
   * Guest memory a closed platform left (retire()), of memoryBytes, to use
   * instead of a new region; taken by this platform, which closes it. See
   * spare-memory.ts for why and for what keeps one guest's bytes from the next.
   */
  spare?: SpareMemory;
}

export class KvmPlatform implements Platform {
  readonly name = 'kvm';
  readonly memory: FrameAllocator;
  readonly minUserAddress = USER_MIN;
  readonly maxUserAddress = USER_MAX;
  readonly kvm: Kvm;
  readonly vm: Vm;
  readonly image: KernelImage;
  readonly #contexts = new Set<KvmContext>();
  readonly #revoker: Revoker;
  readonly #guest: GuestMemory;
  #guestCpu: GuestCpu | undefined;
  #vcpusMade = 0;
  #closed = false;

  constructor(options: KvmPlatformOptions = {}) {
    const size = options.memoryBytes ?? 1 << 30;
    if (!Number.isInteger(size) || size % (2 << 20) !== 0 || size < 4 << 20 || size > 2 ** 32) {
      throw new RangeError(`memoryBytes must be a multiple of 2 MiB between 4 MiB and 4 GiB, got ${size}`);
    }
    const tables = options.tableBytes ?? Math.max(2 << 20, Math.ceil(size / 8 / (2 << 20)) * (2 << 20));
    if (!Number.isInteger(tables) || tables % (2 << 20) !== 0 || tables <= 0 || tables > size - (2 << 20)) {
      throw new RangeError(`tableBytes must be a multiple of 2 MiB below memoryBytes less 2 MiB, got ${tables}`);
    }
    if (options.spare !== undefined && options.spare.size !== size) {
      throw new RangeError(`the spare guest memory has ${options.spare.size} bytes, not memoryBytes ${size}`);
    }
    const spare = options.spare?.take();
    const mem = spare?.memory ?? new GuestMemory(size);
    this.#guest = mem;
    try {
      this.kvm = Kvm.open(options.device);
    } catch (e) {
      mem.close();
      throw e;
    }
    try {
      this.vm = this.kvm.createVm();
      this.vm.mapMemory(0, 0, mem);
      this.image = writeKernelImage(mem, MAX_VCPUS, spare === undefined); // new guest memory reads as zeros
      const populate = (offset: number, length: number) => mem.populate(offset, length);
      this.memory = new FrameAllocator(mem.bytes, mem.view, KERNEL_PHYS_END, tables, populate, spare?.dirty);
      this.#revoker = new Revoker(this.memory);
      // Out of table frames with table frames in quarantine: any idle vCPU can
      // make KVM forget them now (contexts run one at a time, on this thread).
      this.memory.reclaim = () => {
        const ctx = this.#contexts.values().next().value;
        if (ctx === undefined) return false;
        this.#revoker.revoke(ctx.vcpu);
        return true;
      };
    } catch (e) {
      this.kvm.close();
      mem.close();
      throw e;
    }
  }

  newAddressSpace(): KvmAddressSpace {
    return new KvmAddressSpace(this.memory, this.image.sharedEntries);
  }

  newContext(): KvmContext {
    const first = this.#newVcpu();
    if (first === undefined) throw new RangeError(`at most ${MAX_VCPUS} vCPUs`);
    const ctx = new KvmContext(
      first,
      this.memory.bytes,
      this.#revoker,
      () => this.#contexts.delete(ctx),
      () => this.#newVcpu(first.stats),
    );
    this.#contexts.add(ctx);
    return ctx;
  }

  /**
   * A vCPU with the next unused id, or undefined when MAX_VCPUS have been
   * made: KVM keeps a vCPU (and its id) until the VM goes, even after its
   * descriptor is closed, so an id is never used twice.
   */
  #newVcpu(stats?: VcpuStats): VirtualCpu | undefined {
    if (this.#vcpusMade >= MAX_VCPUS) return undefined;
    return new VirtualCpu(this.kvm, this.vm, this.image, this.memory, this.#vcpusMade++, stats);
  }

  guestTsc(): { tsc: bigint; tscKhz: number } {
    const ctx = this.#contexts.values().next().value ?? this.newContext();
    return ctx.vcpu.readTsc();
  }

  /** Probed once (one exit or two, on a context of the Sentry's if it has one) and kept: the CPU does not change under a VM. */
  guestCpu(): GuestCpu {
    if (this.#guestCpu === undefined) {
      const own = this.#contexts.values().next().value;
      const ctx = own ?? this.newContext();
      try {
        this.#guestCpu = probeGuestCpu(this.memory, this.newAddressSpace(), ctx);
      } finally {
        if (own === undefined) ctx.release();
      }
    }
    return this.#guestCpu;
  }

  get stats(): PlatformStats {
    const s: PlatformStats = { exits: { syscall: 0, fault: 0, interrupt: 0, other: 0 }, hostNs: 0 };
    for (const c of this.#contexts) {
      const v = c.vcpu.stats;
      s.exits.syscall += v.syscalls;
      s.exits.fault += v.exceptions;
      s.exits.interrupt += v.interrupts;
      s.exits.other += v.unexpected + v.kernelRuns;
      s.hostNs += v.hostNs;
    }
    return s;
  }

  close(): void {
    if (this.#closed) return;
    this.#closeVm();
    this.#guest.close();
  }

  /**
   * Closes the VM and keeps its guest memory for the next platform of the
   * same size (KvmPlatformOptions.spare); undefined when already closed.
   */
  retire(): SpareMemory | undefined {
    if (this.#closed) return undefined;
    this.#closeVm();
    try {
      return new SpareMemory(this.#guest, this.memory.retire());
    } catch {
      this.#guest.close(); // the host would not take pages back: the memory goes
      return undefined;
    }
  }

  #closeVm(): void {
    this.#closed = true;
    for (const c of [...this.#contexts]) c.release();
    this.vm.close();
    this.kvm.close();
  }
}
