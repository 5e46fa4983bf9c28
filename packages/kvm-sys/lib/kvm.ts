// The /dev/kvm system handle: what the host's KVM can do, and VM creation.
import { native } from './binding.js';
import { check, KvmError } from './errors.js';
import { FdResource } from './resource.js';
import { checkSizes, type CpuidEntry, decodeCpuid2 } from './structs.js';
import { constants, ioctl } from './ioctl.js';
import { Vm } from './vm.js';

export class Kvm {
  readonly path: string;
  readonly #fd: FdResource;

  /** Opens the KVM device. Throws KvmError with a hint when it is missing or not accessible. */
  static open(path = '/dev/kvm'): Kvm {
    return new Kvm(path);
  }

  private constructor(path: string) {
    checkSizes();
    this.path = path;
    this.#fd = new FdResource(check('open', native.open(path), path), path);
    const v = this.apiVersion();
    if (v !== constants.KVM_API_VERSION) {
      this.close();
      throw new Error(`${path}: KVM API version ${v}, expected ${constants.KVM_API_VERSION}`);
    }
  }

  get fd(): number {
    return this.#fd.fd;
  }

  apiVersion(): number {
    return check('KVM_GET_API_VERSION', native.ioctlInt(this.fd, ioctl('KVM_GET_API_VERSION'), 0));
  }

  /** KVM_CHECK_EXTENSION: 0 when absent, else a capability-specific value. */
  checkExtension(cap: number): number {
    return check('KVM_CHECK_EXTENSION', native.ioctlInt(this.fd, ioctl('KVM_CHECK_EXTENSION'), cap));
  }

  /** Size of the per-vCPU kvm_run mapping. */
  vcpuMmapSize(): number {
    return check('KVM_GET_VCPU_MMAP_SIZE', native.ioctlInt(this.fd, ioctl('KVM_GET_VCPU_MMAP_SIZE'), 0));
  }

  /** CPUID leaves this KVM can expose to a guest (KVM_GET_SUPPORTED_CPUID). */
  supportedCpuid(): CpuidEntry[] {
    for (let n = 64; n <= 4096; n *= 2) {
      const b = new Uint8Array(8 + n * 40);
      new DataView(b.buffer).setUint32(0, n, true);
      const r = native.ioctlBuf(this.fd, ioctl('KVM_GET_SUPPORTED_CPUID'), b);
      if (r === -7 /* E2BIG */) continue;
      check('KVM_GET_SUPPORTED_CPUID', r);
      return decodeCpuid2(b);
    }
    throw new KvmError('KVM_GET_SUPPORTED_CPUID', 7);
  }

  /** MSR indices this KVM saves and restores (KVM_GET_MSR_INDEX_LIST). */
  msrIndexList(): number[] {
    const probe = new Uint8Array(8);
    native.ioctlBuf(this.fd, ioctl('KVM_GET_MSR_INDEX_LIST'), probe); // E2BIG, sets nmsrs
    const n = new DataView(probe.buffer).getUint32(0, true);
    const b = new Uint8Array(4 + n * 4);
    new DataView(b.buffer).setUint32(0, n, true);
    check('KVM_GET_MSR_INDEX_LIST', native.ioctlBuf(this.fd, ioctl('KVM_GET_MSR_INDEX_LIST'), b));
    const v = new DataView(b.buffer);
    const count = v.getUint32(0, true);
    return Array.from({ length: count }, (_, i) => v.getUint32(4 + i * 4, true));
  }

  createVm(type = 0): Vm {
    const fd = check('KVM_CREATE_VM', native.ioctlInt(this.fd, ioctl('KVM_CREATE_VM'), type));
    return new Vm(this, fd);
  }

  close(): void {
    this.#fd.close();
  }
}
