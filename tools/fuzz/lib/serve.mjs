// The loop of a worker process (lib/worker.mjs): runs seeds when its parent
// (campaign.mjs) asks, one at a time, and watches its own descriptors and
// RSS. The baseline is taken after the first run (module loading and JIT
// warm-up are no leak), then checked every BATCH runs and when told to stop.
//
// Messages in:  {type: 'run', seed}  {type: 'stop'}
// Messages out: {type: 'result', verdict}  {type: 'host', problem, seeds, sample, baseline}  {type: 'crash', message}
import { hostLeak, sampleHost } from './host-watch.mjs';

const BATCH = 4;

/** Serves the parent with `runOne(seed)` (resolving to a verdict); `rssBound` overrides the RSS bound. */
export function serve(runOne, { rssBound } = {}) {
  let baseline;
  let since = [];

  function checkHost() {
    const now = sampleHost();
    const problem = baseline === undefined ? null : hostLeak(baseline, now, rssBound);
    process.send({ type: 'host', problem, seeds: since, sample: now, baseline });
    since = [];
    if (problem) baseline = now; // reported once; what leaks after this is a new finding
  }

  // The Sentry reports its own bugs through warn(); anything else that escapes is a host crash.
  const crash = (e) => {
    process.send({ type: 'crash', message: e instanceof Error ? (e.stack ?? e.message) : String(e) }, () => process.exit(70));
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);

  process.on('message', async (m) => {
    if (m.type === 'stop') {
      checkHost();
      process.disconnect();
      return;
    }
    const verdict = await runOne(m.seed);
    process.send({ type: 'result', verdict });
    since.push(m.seed);
    if (baseline === undefined) {
      baseline = sampleHost();
      since = [];
    } else if (since.length >= BATCH) {
      checkHost();
    }
  });
}
