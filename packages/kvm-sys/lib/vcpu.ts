// A virtual CPU: KVM_RUN, its kvm_run page, register state and kicks.
//
// run() is the hot path: one ioctl, no allocation, the exit reason as a
// number. Everything about the exit is read from `kvmRun` (mapped shared
// with the kernel), e.g. through the sync-regs area when enabled.
import { native } from './binding.js';
import { check, ClosedError, KvmError } from './errors.js';
import { constant, ioctl, runOffsets, structSizes } from './ioctl.js';
import {
  type CpuidEntry,
  decodeFpu,
  decodeMsrs,
  decodeRegs,
  decodeSregs,
  encodeCpuid2,
  encodeEnableCap,
  encodeFpu,
  encodeGuestDebug,
  encodeMsrs,
  encodeRegs,
  encodeSregs,
  type Fpu,
  FPU_SIZE,
  type GuestDebug,
  type MsrEntry,
  type Regs,
  REGS_SIZE,
  type Sregs,
  SREGS_SIZE,
} from './structs.js';
import type { Vm } from './vm.js';

const EINTR = 4;
const ESRCH = 3;
const KVM_EXIT_INTR = constant('KVM_EXIT_INTR');
const EXIT_REASON = runOffsets['exit_reason']!;
const IMMEDIATE_EXIT = runOffsets['immediate_exit']!;
const VALID_REGS = runOffsets['kvm_valid_regs']!;
const DIRTY_REGS = runOffsets['kvm_dirty_regs']!;
export const XSAVE_SIZE = structSizes['kvm_xsave'] ?? 4096;
const XCRS_SIZE = structSizes['kvm_xcrs'] ?? 392;

// A vCPU GC'd without close() must still release its descriptor and timer.
interface Held {
  fd: number;
  timer: number;
  tid: number;
}
// The vCPU whose immediate_exit the kick handler sets on this thread. Several
// vCPUs may share a thread (several sandboxes in one Node process): the
// binding follows whichever is about to run.
let bound: WeakRef<Vcpu> | undefined;

const registry = new FinalizationRegistry<Held>((h) => {
  if (h.timer >= 0) native.tickStop(h.timer);
  native.close(h.fd);
});

export class Vcpu {
  readonly vm: Vm;
  readonly id: number;
  /** The kvm_run page, shared with the kernel. Detached after close(). */
  readonly kvmRun: ArrayBuffer;
  readonly runBytes: Uint8Array;
  readonly runView: DataView;
  readonly #runU32: Uint32Array;
  readonly #held: Held;
  #fd: number;

  /** @internal use Vm.createVcpu(). */
  constructor(vm: Vm, id: number, fd: number) {
    this.vm = vm;
    this.id = id;
    this.#fd = fd;
    this.#held = { fd, timer: -1, tid: 0 };
    registry.register(this, this.#held, this);
    const size = vm.kvm.vcpuMmapSize();
    const m = native.mapShared(fd, size, 0);
    if (typeof m === 'number') {
      this.close();
      check('mmap', m, 'kvm_run');
      throw new Error('unreachable');
    }
    this.kvmRun = m.buffer;
    this.runBytes = new Uint8Array(m.buffer);
    this.runView = new DataView(m.buffer);
    this.#runU32 = new Uint32Array(m.buffer, 0, 64);
    this.#immediateExit = m.address + BigInt(IMMEDIATE_EXIT);
    this.#bind();
  }

  readonly #immediateExit: bigint;
  readonly #self = new WeakRef(this);

  // Kicks and ticks are aimed at the thread that runs the vCPU.
  #bind(): void {
    this.#held.tid = check('bindThread', native.bindThread(this.#immediateExit));
    bound = this.#self;
  }

  get fd(): number {
    if (this.#fd < 0) throw new ClosedError(`vCPU ${this.id}`);
    return this.#fd;
  }

  /**
   * KVM_RUN. Returns the exit reason (KVM_EXIT_*); KVM_EXIT_INTR when a kick
   * or tick interrupted it (immediate_exit is cleared again). Throws KvmError
   * on any other failure.
   */
  run(): number {
    if (bound !== this.#self && this.#fd >= 0) this.#bind();
    const r = native.run(this.#fd);
    if (r === 0) return this.#runU32[EXIT_REASON >> 2]!;
    if (r === -EINTR) {
      this.runBytes[IMMEDIATE_EXIT] = 0;
      return KVM_EXIT_INTR;
    }
    if (this.#fd < 0) throw new ClosedError(`vCPU ${this.id}`);
    throw new KvmError('KVM_RUN', -r);
  }

  /** The OS thread id kicks and ticks are aimed at (the creating thread). */
  get threadId(): number {
    return this.#held.tid;
  }

  /** Makes a running KVM_RUN return KVM_EXIT_INTR now (or the next one at once). Any thread. */
  kick(): void {
    if (this.#fd < 0) throw new ClosedError(`vCPU ${this.id}`);
    // Mark this vCPU first: the thread may be running another one right now.
    Atomics.store(this.runBytes, IMMEDIATE_EXIT, 1);
    // ESRCH: the thread has no vCPU bound (the last one bound there was closed),
    // so none is in KVM_RUN; the mark above stops this one's next entry.
    const r = native.kick(this.#held.tid);
    if (r !== -ESRCH) check('kick', r);
  }

  /** Kicks this vCPU every `periodNs` until stopTick(): the preemption tick. */
  startTick(periodNs: number): void {
    this.stopTick();
    this.#held.timer = check('timer_create', native.tickStart(this.#held.tid, periodNs));
  }

  stopTick(): void {
    if (this.#held.timer >= 0) native.tickStop(this.#held.timer);
    this.#held.timer = -1;
  }

  /** Asks KVM to publish these register sets (KVM_SYNC_X86_*) in kvm_run at every exit. */
  setSyncRegs(mask: number): void {
    this.runView.setBigUint64(VALID_REGS, BigInt(mask), true);
  }

  /** Tells KVM to load these sync-regs sets from kvm_run at the next KVM_RUN. */
  markDirty(mask: number): void {
    this.runView.setUint32(DIRTY_REGS, this.runView.getUint32(DIRTY_REGS, true) | mask, true);
  }

  #get(name: string, size: number): Uint8Array {
    const b = new Uint8Array(size);
    check(name, native.ioctlBuf(this.fd, ioctl(name), b));
    return b;
  }

  #set(name: string, b: Uint8Array): void {
    check(name, native.ioctlBuf(this.fd, ioctl(name), b));
  }

  getRegs(): Regs {
    return decodeRegs(this.#get('KVM_GET_REGS', REGS_SIZE));
  }

  /** Fields left out keep their current value. */
  setRegs(r: Partial<Regs>): void {
    const b = this.#get('KVM_GET_REGS', REGS_SIZE);
    encodeRegs(r, b);
    this.#set('KVM_SET_REGS', b);
  }

  getSregs(): Sregs {
    return decodeSregs(this.#get('KVM_GET_SREGS', SREGS_SIZE));
  }

  setSregs(s: Sregs): void {
    const b = new Uint8Array(SREGS_SIZE);
    encodeSregs(s, b);
    this.#set('KVM_SET_SREGS', b);
  }

  getFpu(): Fpu {
    return decodeFpu(this.#get('KVM_GET_FPU', FPU_SIZE));
  }

  setFpu(f: Fpu): void {
    const b = new Uint8Array(FPU_SIZE);
    encodeFpu(f, b);
    this.#set('KVM_SET_FPU', b);
  }

  /** The XSAVE area (struct kvm_xsave), into `into` when given. */
  getXsave(into: Uint8Array = new Uint8Array(XSAVE_SIZE)): Uint8Array {
    if (into.byteLength < XSAVE_SIZE) throw new RangeError(`xsave buffer must be ${XSAVE_SIZE} bytes`);
    check('KVM_GET_XSAVE', native.ioctlBuf(this.fd, ioctl('KVM_GET_XSAVE'), into));
    return into;
  }

  setXsave(area: Uint8Array): void {
    if (area.byteLength < XSAVE_SIZE) throw new RangeError(`xsave buffer must be ${XSAVE_SIZE} bytes`);
    this.#set('KVM_SET_XSAVE', area);
  }

  /** Reads the given MSRs; throws if KVM does not know one of them. */
  getMsrs(indices: readonly number[]): MsrEntry[] {
    const b = encodeMsrs(indices.map((index) => ({ index, data: 0n })));
    const n = check('KVM_GET_MSRS', native.ioctlBuf(this.fd, ioctl('KVM_GET_MSRS'), b));
    if (n !== indices.length) throw new KvmError('KVM_GET_MSRS', 22, `MSR ${indices[n]?.toString(16)}`);
    return decodeMsrs(b, n);
  }

  setMsrs(entries: readonly MsrEntry[]): void {
    const n = check('KVM_SET_MSRS', native.ioctlBuf(this.fd, ioctl('KVM_SET_MSRS'), encodeMsrs(entries)));
    if (n !== entries.length) throw new KvmError('KVM_SET_MSRS', 22, `MSR 0x${entries[n]?.index.toString(16)}`);
  }

  /** The guest's TSC frequency in kHz (KVM_GET_TSC_KHZ). */
  getTscKhz(): number {
    return check('KVM_GET_TSC_KHZ', native.ioctlInt(this.fd, ioctl('KVM_GET_TSC_KHZ'), 0));
  }

  /** Extended control registers (XCR0: which XSAVE features the guest may use). */
  getXcrs(): { xcr: number; value: bigint }[] {
    const b = this.#get('KVM_GET_XCRS', XCRS_SIZE);
    const v = new DataView(b.buffer);
    return Array.from({ length: v.getUint32(0, true) }, (_, i) => ({
      xcr: v.getUint32(8 + i * 16, true),
      value: v.getBigUint64(16 + i * 16, true),
    }));
  }

  setXcrs(xcrs: readonly { xcr: number; value: bigint }[]): void {
    const b = new Uint8Array(XCRS_SIZE);
    const v = new DataView(b.buffer);
    v.setUint32(0, xcrs.length, true);
    xcrs.forEach((x, i) => {
      v.setUint32(8 + i * 16, x.xcr, true);
      v.setBigUint64(16 + i * 16, x.value, true);
    });
    this.#set('KVM_SET_XCRS', b);
  }

  setCpuid(entries: readonly CpuidEntry[]): void {
    this.#set('KVM_SET_CPUID2', encodeCpuid2(entries));
  }

  setGuestDebug(d: GuestDebug): void {
    this.#set('KVM_SET_GUEST_DEBUG', encodeGuestDebug(d));
  }

  /** KVM_ENABLE_CAP on the vCPU. */
  enableCap(cap: number, args: readonly (bigint | number)[] = []): void {
    this.#set('KVM_ENABLE_CAP', encodeEnableCap(cap, args));
  }

  get closed(): boolean {
    return this.#fd < 0;
  }

  close(): void {
    if (this.#fd < 0) return;
    this.stopTick();
    registry.unregister(this);
    if (bound === this.#self) bound = undefined;
    if (this.kvmRun !== undefined && this.kvmRun.byteLength > 0) native.unmap(this.kvmRun); // also unbinds the kick target
    native.close(this.#fd);
    this.#fd = -1;
  }
}
