// Sizes as users write them: 512M, 2G, 1048576, 64k.
const UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** Bytes for "512M", "2g", "4096", "1.5G"; NaN when it is not a size. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) return NaN;
  return Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
}
