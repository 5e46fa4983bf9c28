// memfd memory: the inode and the bytes are charged to the sandbox's store,
// writes past it are ENOSPC, and the last close gives everything back.
import { describe, expect, it } from 'vitest';
import { E } from '../errno.js';
import { MemoryAccount } from '../mm/account.js';
import { INODE_COST, MemStore } from '../vfs/budget.js';
import { MemfdSpace } from './memfd.js';

const MiB = 1 << 20;

describe('memfd memory', () => {
  it('is charged to the store, bounded by it, and freed by the last close', () => {
    const account = new MemoryAccount(4 * MiB);
    const space = new MemfdSpace(99, new MemStore(account));
    const f = space.create('big', 0, 0, 0);
    if (typeof f === 'number') throw new Error(`create: ${f}`);
    expect(account.used).toBe(INODE_COST);
    const chunk = new Uint8Array(MiB).fill(1);
    let written = 0;
    for (let i = 0; i < 8; i++) {
      const n = f.write(chunk);
      if (n < 0) {
        expect(n).toBe(-E.ENOSPC);
        break;
      }
      written += n;
    }
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(4 * MiB);
    expect(account.used).toBeLessThanOrEqual(4 * MiB);
    const again = f.node.open(0);
    f.close();
    expect(account.used).toBeGreaterThan(written);
    if (typeof again !== 'number') again.close();
    expect(account.used).toBe(0);
  });

  it('past the inode limit, memfd_create is ENOMEM', () => {
    const space = new MemfdSpace(99, new MemStore(new MemoryAccount(MiB), 2));
    expect(typeof space.create('a', 0, 0, 0)).not.toBe('number');
    expect(typeof space.create('b', 0, 0, 0)).not.toBe('number');
    expect(space.create('c', 0, 0, 0)).toBe(-E.ENOMEM);
  });
});
