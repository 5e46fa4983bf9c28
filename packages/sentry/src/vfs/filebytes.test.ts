import { describe, expect, it } from 'vitest';
import { MemoryAccount } from '../mm/account.js';
import { MemStore } from './budget.js';
import { CHUNK, CHUNK_COST, FileBytes } from './filebytes.js';

const store = (limit = 2 ** 30): MemStore => new MemStore(new MemoryAccount(limit));

const readAll = (f: FileBytes, pos = 0, len = f.length - pos): number[] => {
  const b = new Uint8Array(len).fill(0xee);
  expect(f.read(b, len, pos)).toBe(Math.max(0, Math.min(len, f.length - pos)));
  return [...b];
};

describe('FileBytes', () => {
  it("charges the bytes allocated plus each chunk's cost, growing a chunk at a time (never a copy of the file)", () => {
    const account = new MemoryAccount();
    const s = new MemStore(account);
    const f = new FileBytes();
    const piece = new Uint8Array(4096).fill(1);
    for (let at = 0; at < 4 << 20; at += piece.length) expect(f.write(s, piece, piece.length, at)).toBe(piece.length);
    expect(f.length).toBe(4 << 20);
    // Exactly the bytes: 64 full chunks, nothing held twice.
    expect(f.allocated).toBe(4 << 20);
    expect(account.used).toBe((4 << 20) + 64 * CHUNK_COST);
    expect(account.peak).toBe((4 << 20) + 64 * CHUNK_COST);
  });

  it('a small file takes a small allocation', () => {
    const s = store();
    const f = new FileBytes();
    expect(f.write(s, new Uint8Array([1, 2, 3]), 3, 0)).toBe(3);
    expect(f.allocated).toBe(64);
    expect(f.write(s, new Uint8Array(100), 100, 3)).toBe(100);
    expect(f.allocated).toBe(128);
  });

  it('a sparse file is charged for every chunk it touches', () => {
    const s = store();
    const f = new FileBytes();
    for (let i = 0; i < 100; i++) expect(f.write(s, new Uint8Array([1]), 1, i * CHUNK)).toBe(1);
    expect(f.allocated).toBe(100 * 64);
    expect(s.account.used).toBe(100 * (64 + CHUNK_COST));
    f.resize(s, 0);
    expect(s.account.used).toBe(0);
  });

  it('holes read as zeros and take nothing until written', () => {
    const s = store();
    const f = new FileBytes();
    f.resize(s, 2 ** 45);
    expect(f.allocated).toBe(0);
    expect(f.write(s, new Uint8Array([5, 6]), 2, CHUNK * 3 - 1)).toBe(2); // straddles two chunks
    expect(f.allocated).toBe(CHUNK + 64);
    expect(readAll(f, CHUNK * 3 - 3, 6)).toEqual([0, 0, 5, 6, 0, 0]);
    expect(readAll(f, 2 ** 45 - 2, 8)).toEqual([0, 0, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee]);
  });

  it('writes up to the limit, then reports nothing written', () => {
    const s = store(3 * (CHUNK + CHUNK_COST) + 100);
    const f = new FileBytes();
    const big = new Uint8Array(10 * CHUNK).fill(9);
    expect(f.write(s, big, big.length, 0)).toBe(3 * CHUNK);
    expect(f.length).toBe(3 * CHUNK);
    expect(f.write(s, big, CHUNK, 3 * CHUNK)).toBe(-1);
    expect(f.write(s, big, 10, 3)).toBe(10); // rewriting allocated bytes needs no room
    expect(s.account.used).toBe(3 * (CHUNK + CHUNK_COST));
  });

  it('shrinking gives the memory back and leaves zeros past the end', () => {
    const s = store();
    const f = new FileBytes();
    const big = new Uint8Array(3 * CHUNK).fill(7);
    f.write(s, big, big.length, 0);
    f.resize(s, 10);
    expect(f.allocated).toBe(64);
    expect(s.account.used).toBe(64 + CHUNK_COST);
    f.resize(s, 20);
    expect(readAll(f)).toEqual([...new Array(10).fill(7), ...new Array(10).fill(0)]);
    f.resize(s, 0);
    expect(s.account.used).toBe(0);
    f.write(s, big, CHUNK, 0);
    f.resize(s, CHUNK / 2 + 1); // cut within a chunk too big to shrink
    f.resize(s, CHUNK);
    expect(readAll(f, CHUNK / 2, 2)).toEqual([7, 0]);
    f.clear(s);
    expect([f.length, f.allocated, s.account.used]).toEqual([0, 0, 0]);
  });
});
