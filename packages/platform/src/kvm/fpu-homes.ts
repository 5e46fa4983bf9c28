// Where the FPU state of a context's tasks lives: in vCPUs.
//
// Moving FPU/SSE/AVX state in or out of a vCPU takes an ioctl each way
// (KVM_GET_XSAVE, KVM_SET_XSAVE: ~7 µs apiece on this PVM host, more than
// anything else the host does per exit). It cannot be done inside the
// guest here: this host emulates ring 0 instruction by instruction, and
// its emulator has FXSAVE/FXRSTOR but neither XSAVE nor XRSTOR (they end
// the run with KVM_EXIT_INTERNAL_ERROR), so AVX and AVX-512 state could
// not move that way. Instead a context owns several vCPUs and each keeps
// one task's state loaded: running a task whose state a vCPU holds is
// just a KVM_RUN on that vCPU, which costs no more than one on the vCPU
// that ran last (measured). Two to four tasks taking turns (a client and
// a server, a thread waking another) switch without any FPU ioctl.
//
// When more states take turns than the context has vCPUs, the one used
// longest ago is written back into its `bytes` and the new one loaded, as
// on a single vCPU. The vCPUs run one at a time on the context's thread and
// share one VcpuStats, so the host time per exit counts across them.
import type { VirtualCpu } from '@tsv/vcpu';
import type { FpuState } from '../platform.js';

/** vCPUs one context uses at most, so that a VM (MAX_VCPUS) holds more than one context. */
export const FPU_HOMES = 4;

export class FpuHomes {
  /** The vCPUs created so far, [0] from the start, more on demand (never given back before release). */
  readonly vcpus: VirtualCpu[];
  /** The state each vCPU holds, by index in `vcpus`. */
  readonly #holds: (FpuState | undefined)[] = [undefined];
  /** When each vCPU was last handed out (a counter). */
  readonly #usedAt: number[] = [0];
  readonly #create: () => VirtualCpu | undefined;
  #clock = 0;

  /** `create` makes one more vCPU for this context, or returns undefined when the VM has none left. */
  constructor(first: VirtualCpu, create: () => VirtualCpu | undefined) {
    this.vcpus = [first];
    this.#create = create;
  }

  /** The vCPU that holds `fpu`, loading it into one first if none does. */
  home(fpu: FpuState): VirtualCpu {
    let i = this.#holds.indexOf(fpu);
    if (i < 0) i = this.#load(fpu);
    this.#usedAt[i] = ++this.#clock;
    return this.vcpus[i]!;
  }

  /** Writes `fpu` back into its bytes if a vCPU holds it (it stays loaded there). */
  save(fpu: FpuState): void {
    const i = this.#holds.indexOf(fpu);
    if (i >= 0) this.vcpus[i]!.saveFpu(fpu.bytes);
  }

  /** Forgets `fpu` (it will not run again): its vCPU is free for another state, with nothing to save. */
  drop(fpu: FpuState): void {
    const i = this.#holds.indexOf(fpu);
    if (i >= 0) this.#holds[i] = undefined;
  }

  /** Loads `fpu` into a vCPU that holds nothing, a new one, or the one used longest ago (saving what it held). */
  #load(fpu: FpuState): number {
    let i = this.#holds.indexOf(undefined);
    if (i < 0 && this.vcpus.length < FPU_HOMES) {
      const more = this.#create();
      if (more !== undefined) {
        i = this.vcpus.push(more) - 1;
        this.#holds.push(undefined);
        this.#usedAt.push(0);
      }
    }
    if (i < 0) {
      i = 0;
      for (let j = 1; j < this.vcpus.length; j++) if (this.#usedAt[j]! < this.#usedAt[i]!) i = j;
    }
    const vcpu = this.vcpus[i]!;
    const old = this.#holds[i];
    if (old !== undefined) vcpu.saveFpu(old.bytes);
    vcpu.restoreFpu(fpu.bytes);
    this.#holds[i] = fpu;
    return i;
  }
}
