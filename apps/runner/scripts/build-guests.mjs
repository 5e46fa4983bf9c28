// Assembles the built-in guests (guests/*.S) into gen/*.bin at build time,
// so no machine code is kept in the repository.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { assemble } from '@tsv/testing';

const ORIGIN = { 'hello.S': { origin: 0x1000, code16: true } };
mkdirSync('gen', { recursive: true });
for (const name of readdirSync('guests').filter((f) => f.endsWith('.S'))) {
  const { bytes } = assemble(readFileSync(`guests/${name}`, 'utf8'), ORIGIN[name] ?? {});
  writeFileSync(`gen/${name.replace(/\.S$/, '.bin')}`, bytes);
}
