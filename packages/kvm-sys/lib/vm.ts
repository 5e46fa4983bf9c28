// A virtual machine: memory slots and vCPUs.
import { native } from './binding.js';
import { check } from './errors.js';
import { constant, ioctl } from './ioctl.js';
import type { Kvm } from './kvm.js';
import { GuestMemory } from './memory.js';
import { FdResource } from './resource.js';
import { encodeEnableCap, encodeMemoryRegion, type MemoryRegion } from './structs.js';
import { Vcpu } from './vcpu.js';

export class Vm {
  readonly kvm: Kvm;
  readonly #fd: FdResource;
  // Memory regions handed to KVM must outlive the VM's use of them.
  readonly #memories = new Set<GuestMemory>();

  /** @internal use Kvm.createVm(). */
  constructor(kvm: Kvm, fd: number) {
    this.kvm = kvm;
    this.#fd = new FdResource(fd, 'VM');
  }

  get fd(): number {
    return this.#fd.fd;
  }

  /** KVM_CHECK_EXTENSION on the VM (some capabilities answer per VM). */
  checkExtension(cap: number): number {
    return check('KVM_CHECK_EXTENSION', native.ioctlInt(this.fd, ioctl('KVM_CHECK_EXTENSION'), cap));
  }

  /** A new zero-filled guest memory region (not yet in a slot). */
  createGuestMemory(size: number): GuestMemory {
    const m = new GuestMemory(size);
    this.#memories.add(m);
    return m;
  }

  /** KVM_SET_USER_MEMORY_REGION, as the kernel takes it. A size of 0 deletes the slot. */
  setUserMemoryRegion(region: MemoryRegion): void {
    check(
      'KVM_SET_USER_MEMORY_REGION',
      native.ioctlBuf(this.fd, ioctl('KVM_SET_USER_MEMORY_REGION'), encodeMemoryRegion(region)),
      `slot ${region.slot}`,
    );
  }

  /** Puts `memory` (or part of it) into `slot` at guest-physical `guestPhysAddr`. */
  mapMemory(
    slot: number,
    guestPhysAddr: number | bigint,
    memory: GuestMemory,
    options: { offset?: number; size?: number; readOnly?: boolean } = {},
  ): void {
    const offset = options.offset ?? 0;
    const size = options.size ?? memory.size - offset;
    if (offset < 0 || size <= 0 || offset + size > memory.size) {
      throw new RangeError(`mapMemory: [${offset}, ${offset + size}) is outside the ${memory.size}-byte region`);
    }
    this.setUserMemoryRegion({
      slot,
      flags: options.readOnly ? constant('KVM_MEM_READONLY') : 0,
      guestPhysAddr,
      memorySize: size,
      userspaceAddr: memory.hostAddress + BigInt(offset),
    });
  }

  /** KVM_SET_TSS_ADDR: three pages of guest-physical space Intel VMX needs for real mode. */
  setTssAddr(addr: number): void {
    check('KVM_SET_TSS_ADDR', native.ioctlInt(this.fd, ioctl('KVM_SET_TSS_ADDR'), addr));
  }

  /** KVM_SET_IDENTITY_MAP_ADDR: one page for Intel VMX's real-mode identity map. */
  setIdentityMapAddr(addr: number | bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(addr), true);
    check('KVM_SET_IDENTITY_MAP_ADDR', native.ioctlBuf(this.fd, ioctl('KVM_SET_IDENTITY_MAP_ADDR'), b));
  }

  /** KVM_ENABLE_CAP on the VM. */
  enableCap(cap: number, args: readonly (bigint | number)[] = []): void {
    check('KVM_ENABLE_CAP', native.ioctlBuf(this.fd, ioctl('KVM_ENABLE_CAP'), encodeEnableCap(cap, args)));
  }

  createVcpu(id = 0): Vcpu {
    const fd = check('KVM_CREATE_VCPU', native.ioctlInt(this.fd, ioctl('KVM_CREATE_VCPU'), id));
    return new Vcpu(this, id, fd);
  }

  /** Closes the VM. Guest memory created here stays usable until closed itself. */
  close(): void {
    this.#fd.close();
  }

  /** Closes the VM and every guest memory region it created. */
  destroy(): void {
    this.close();
    for (const m of this.#memories) m.close();
    this.#memories.clear();
  }
}
