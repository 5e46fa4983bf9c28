// Dynamically linked programs run through the loader their PT_INTERP names,
// as execve loads them: compared with the same program run natively.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';

const TSV = fileURLToPath(new URL('../bin/tsv', import.meta.url));
/**
 * `tsv run` over the whole host root, so programs built in the host's temp
 * dir are visible; tsv's own warnings (ls asks for a socket to reach nscd,
 * which does not exist yet) go to a log, not the program's stderr.
 */
const tsv = (argv: string[]) =>
  spawnSync(process.execPath, [TSV, 'run', '--root', '/', '--log', '/dev/null', '--', ...argv], { encoding: 'utf8' });
const native = (argv: string[]) => spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });

describe.skipIf(announceKvmSkip())('dynamically linked programs', () => {
  it('a C program gets AT_BASE, AT_ENTRY and AT_PHDR as Linux gives them, and its libraries load', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsv-dyn-'));
    const exe = join(dir, 'dynamic_auxv');
    execFileSync('gcc', ['-O1', '-o', exe, fileURLToPath(new URL('./testdata/dynamic_auxv.c', import.meta.url))]);
    const n = native([exe, 'hello']);
    const t = tsv([exe, 'hello']);
    expect(n.stdout).not.toContain(': no');
    expect([t.status, t.stdout, t.stderr]).toEqual([n.status, n.stdout, n.stderr]);
  });

  it('/bin/ls -l and python3 from the host run as natively', () => {
    const ls = ['/bin/ls', '-l', '--time-style=+%s', '/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', '/usr/bin'];
    const n = native(ls);
    const t = tsv(ls);
    expect([t.status, t.stdout, t.stderr]).toEqual([n.status, n.stdout, n.stderr]);
    if (existsSync('/usr/bin/python3')) {
      const py = ['/usr/bin/python3', '-c', 'import json, hashlib; print(json.dumps({"h": hashlib.sha256(b"tsv").hexdigest()}))'];
      const np = native(py);
      const tp = tsv(py);
      expect([tp.status, tp.stdout]).toEqual([np.status, np.stdout]);
    }
  });

  it('a missing or broken interpreter is an execve error, as the shell reports it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsv-dyn-'));
    const src = join(dir, 'x.c');
    writeFileSync(src, 'int main(void) { return 0; }\n');
    const missing = join(dir, 'missing-interp');
    execFileSync('gcc', ['-O1', `-Wl,--dynamic-linker=${join(dir, 'no-such-ld.so')}`, '-o', missing, src]);
    const m = tsv([missing]);
    expect(m.status).toBe(127);
    expect(m.stderr).toMatch(/No such file or directory/);
    const notElf = join(dir, 'not-elf.so');
    writeFileSync(notElf, 'not an ELF file at all, but long enough to be read as a header by the loader......');
    chmodSync(notElf, 0o755);
    const broken = join(dir, 'broken-interp');
    execFileSync('gcc', ['-O1', `-Wl,--dynamic-linker=${notElf}`, '-o', broken, src]);
    const b = tsv([broken]);
    expect(b.status).toBe(126);
    expect(b.stderr).toMatch(/corrupted shared library/);
  });
});
