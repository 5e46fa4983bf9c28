/**
 * Sandbox inode numbers: host (dev, ino) pairs map to small numbers that stay
 * the same for the whole run, and in-memory inodes draw from the same counter,
 * so one table per filesystem never hands out a number twice. Host inode
 * numbers are not shown to the guest: they would leak host layout.
 */
export class InoTable {
  private next = 2;
  private readonly host = new Map<string, number>();

  fresh(): number {
    return this.next++;
  }

  forHost(dev: bigint, ino: bigint): number {
    const key = `${dev}:${ino}`;
    let n = this.host.get(key);
    if (n === undefined) {
      n = this.fresh();
      this.host.set(key, n);
    }
    return n;
  }
}
