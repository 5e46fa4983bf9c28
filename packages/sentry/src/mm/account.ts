// Memory accounting: bytes of frames charged against a limit. One account
// per process by default; a sandbox may hand one account to every process
// so the limit acts like a memory cgroup (frames of shared mappings are
// charged to whoever faulted them in, and uncharged when freed).
export class MemoryAccount {
  /** Bytes of frames that may be charged; Infinity for no limit. */
  limit: number;
  #used = 0;
  /** Highest `used` ever seen. */
  #peak = 0;

  constructor(limit = Infinity) {
    this.limit = limit;
  }

  get used(): number {
    return this.#used;
  }

  get peak(): number {
    return this.#peak;
  }

  /** True when `bytes` more would still fit. */
  fits(bytes: number): boolean {
    return this.#used + bytes <= this.limit;
  }

  /** Charges `bytes` if they fit; false (nothing charged) otherwise. */
  charge(bytes: number): boolean {
    if (this.#used + bytes > this.limit) return false;
    this.#used += bytes;
    if (this.#used > this.#peak) this.#peak = this.#used;
    return true;
  }

  uncharge(bytes: number): void {
    this.#used -= bytes;
  }
}
