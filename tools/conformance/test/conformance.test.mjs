// The suite checks itself natively (every case builds, exits as declared and
// prints the same thing twice) and runs the cases expected to pass under tsv.
import { existsSync, readFileSync } from 'node:fs';
import { announceKvmSkip } from '@tsv/testing';
import { beforeAll, describe, expect, test } from 'vitest';
import { busyboxJobs } from '../busybox.mjs';
import { buildCases } from '../lib/build.mjs';
import { BUSYBOX } from '../lib/busybox-fixture.mjs';
import { listCases, readExpected, selectCases } from '../lib/cases.mjs';
import { evaluate, nativeNondeterminism, runNative } from '../lib/suite.mjs';

const cases = listCases();

describe('cases natively', () => {
  let built;
  beforeAll(async () => {
    built = new Map((await buildCases(cases)).map((r) => [r.name, r]));
  }, 300_000);

  test.each(cases.map((c) => [c.name, c]))('%s builds, exits as declared, is deterministic', (_name, c) => {
    const b = built.get(c.name);
    expect(b.state, b.output).not.toBe('failed');
    const first = runNative(c);
    expect(first.status).toBe(c.exitStatus);
    expect(first.stdout.length + first.stderr.length).toBeGreaterThan(0);
    expect(nativeNondeterminism(c)).toBeNull();
  });
});

// Under tsv only where /dev/kvm exists (elsewhere these skip, and say so).
const noKvm = announceKvmSkip();

// One test per case, each with its own time bound: a single test over the whole
// list once ran past its bound on a loaded machine though every case passed.
describe.skipIf(noKvm)('expected to pass under tsv', () => {
  const expected = selectCases(cases, readExpected());
  beforeAll(async () => {
    console.log(`${expected.length} case(s) expected to pass under tsv`);
    await buildCases(expected);
  }, 300_000);

  test.each(expected.map((c) => [c.name, c]))('%s matches native', (_name, c) => {
    expect(evaluate(c).result).toBe('pass');
  });
});

describe.skipIf(!existsSync(BUSYBOX) || noKvm)('busybox under tsv', () => {
  const names = readFileSync(new URL('../expected-busybox.txt', import.meta.url), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  test.each(busyboxJobs(names).map((j) => [j.name, j]))('%s matches native', (_name, job) => {
    expect(evaluate(job).result).toBe('pass');
  });
});

describe.skipIf(!existsSync(BUSYBOX))('busybox natively', () => {
  test.each(busyboxJobs().map((j) => [j.name, j]))('%s is deterministic', (_name, job) => {
    expect(typeof runNative(job).status).toBe('number');
    expect(nativeNondeterminism(job)).toBeNull();
  });
});
