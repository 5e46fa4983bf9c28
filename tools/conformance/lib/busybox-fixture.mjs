// Input files for busybox scenarios. Every file and directory gets the same
// fixed mtime so listings and archives are identical on every run.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const BUSYBOX = process.env.BUSYBOX ?? '/bin/busybox';
const FIXED_TIME = new Date('2020-01-02T03:04:05Z');

const FILES = {
  'a.txt': 'the quick brown fox\njumps over\nthe lazy dog\nthe quick brown fox\nzebra\napple\napple\n',
  'nums.txt': '10\n2\n33\n-4\n2\n100\n7\n',
  'data.csv': 'name,qty,price\nbolt,10,0.25\nnut,25,0.10\nwasher,7,0.05\n',
  'dir/x.txt': 'x file\n',
  'dir/sub/y.txt': 'y file line 1\ny file line 2\n',
  'dir/sub/z.log': 'log entry\n',
};

function binaryData() {
  const b = Buffer.alloc(3000);
  let x = 1;
  for (let i = 0; i < b.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

function busybox(cwd, ...args) {
  const r = spawnSync(BUSYBOX, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`fixture: busybox ${args.join(' ')} failed: ${r.stderr}`);
}

function fixTimes(path) {
  for (const e of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, e.name);
    if (e.isDirectory()) fixTimes(p);
    else utimesSync(p, FIXED_TIME, FIXED_TIME);
  }
  utimesSync(path, FIXED_TIME, FIXED_TIME);
}

/** Fills `dir` with the fixture; archives are made natively by busybox itself. */
export function createFixture(dir) {
  for (const [name, text] of Object.entries(FILES)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  writeFileSync(join(dir, 'bin.dat'), binaryData());
  mkdirSync(join(dir, 'unpack'));
  fixTimes(dir);
  busybox(dir, 'tar', 'cf', 'pack.tar', 'dir');
  busybox(dir, 'gzip', '-k', '-n', 'a.txt');
  fixTimes(dir);
}
