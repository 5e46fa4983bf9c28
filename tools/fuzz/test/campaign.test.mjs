// The campaign's watch over its workers, with fake workers that break the way
// a host can (test/fixtures/fake-worker.mjs): each must be a failure naming
// its seed, and the campaign must go on with the next seed.
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { runCampaign } from '../lib/campaign.mjs';

const FAKE = fileURLToPath(new URL('./fixtures/fake-worker.mjs', import.meta.url));

/**
 * A campaign over `seeds` where seed N behaves as fake[N] (default: a clean run).
 * The hang margin is what a fake run may take beyond its zero guest time: long
 * enough for a worker to start on a loaded machine (1 s was not), short enough
 * that the spinning fake's hang is found in a test's time.
 */
function campaign(seeds, fake) {
  return runCampaign({
    seeds: seeds.values(),
    workerModule: FAKE,
    hangMarginMs: 20_000,
    runOptions: { fake, guestSeconds: 0, graceMs: 0 },
  });
}

const failed = (report) => report.failures.map((f) => [f.seeds.join(','), f.problems[0].split('\n')[0]]);

describe('a campaign', () => {
  test('passes clean runs, host checks included', async () => {
    const report = await campaign([1, 2, 3, 4, 5, 6], {});
    expect(report.results.map((v) => v.seed)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(report.failures).toEqual([]);
  });

  test('fails a seed whose worker never returns, and carries on in a new worker', async () => {
    const report = await campaign([1, 2, 3], { 2: 'spin' });
    expect(report.results.map((v) => v.seed)).toEqual([1, 2, 3]);
    expect(failed(report)).toEqual([['2', expect.stringMatching(/^host hang: /)]]);
  });

  test('fails a seed whose worker dies', async () => {
    const report = await campaign([1, 2], { 1: 'exit' });
    expect(failed(report)).toEqual([['1', 'host crashed: the worker exited (code 3, signal null)']]);
    expect(report.results[1].problems).toEqual([]);
  });

  test('fails a seed during which the host throws outside the Sentry', async () => {
    const report = await campaign([1], { 1: 'throw' });
    expect(failed(report)).toEqual([['1', 'host crashed: Error: thrown outside the Sentry']]);
  });

  test("fails a seed during which 'internal error' reaches the host's stderr", async () => {
    const report = await campaign([1, 2], { 2: 'stderr' });
    expect(failed(report)).toEqual([['2', expect.stringMatching(/^internal error on the host's stderr: tsv: internal error in read/)]]);
  });

  test('fails the seeds after which host descriptors leaked', async () => {
    const report = await campaign([1, 2, 3, 4, 5, 6], { 3: 'leak-fd' });
    expect(failed(report)).toEqual([['2,3,4,5', expect.stringMatching(/^host descriptors leaked: \d+ open before, \d+ after$/)]]);
  });
});
