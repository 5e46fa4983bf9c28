// Assembles a flat binary from GNU assembler source, for guest programs in
// tests: the source stays readable in the test, and no machine code is
// pasted into the repository. Needs gcc and binutils (objcopy, nm).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Assembled {
  /** The .text section as a flat binary, linked at `origin`. */
  bytes: Uint8Array;
  /** Every symbol in .text: its address (origin + offset). */
  symbols: Record<string, number>;
}

export interface AssembleOptions {
  /** Address the code runs at (absolute references resolve against it). Default 0. */
  origin?: number;
  /** Start in 16-bit mode (.code16), for real-mode guests. */
  code16?: boolean;
}

const cache = new Map<string, Assembled>();

export function assemble(source: string, options: AssembleOptions = {}): Assembled {
  const origin = options.origin ?? 0;
  const key = `${origin}:${options.code16 ? 16 : 64}:${source}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const dir = mkdtempSync(join(tmpdir(), 'tsv-asm-'));
  try {
    const mode = options.code16 ? '.code16' : '.code64';
    writeFileSync(join(dir, 'a.S'), `\t.text\n\t${mode}\n${source}\n`);
    const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    run('gcc', ['-c', '-o', 'a.o', 'a.S']);
    run('ld', ['-o', 'a.elf', `-Ttext=0x${origin.toString(16)}`, '-e', '0', '--no-warn-rwx-segments', 'a.o']);
    run('objcopy', ['-O', 'binary', '-j', '.text', 'a.elf', 'a.bin']);
    const symbols: Record<string, number> = {};
    for (const line of run('nm', ['a.elf']).toString().split('\n')) {
      const m = /^([0-9a-f]+) [tT] (\S+)$/.exec(line.trim());
      if (m) symbols[m[2]!] = parseInt(m[1]!, 16);
    }
    const result = { bytes: new Uint8Array(readFileSync(join(dir, 'a.bin'))), symbols };
    cache.set(key, result);
    return result;
  } catch (e) {
    const err = e as { stderr?: Buffer };
    throw new Error(`assembly failed: ${err.stderr?.toString() ?? String(e)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
