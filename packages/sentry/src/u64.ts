// 64-bit fields of guest structures and ELF files as JS numbers, read the
// same way everywhere: exact below 2^53, Infinity above.

/** The little-endian u64 at `at` of `view`: exact below 2^53, Infinity from there (every range check rejects it). */
export function safeU64(view: DataView, at: number): number {
  const x = view.getBigUint64(at, true);
  return x > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(x);
}
