// A worker process of a campaign (see serve.mjs): runs each seed it is sent
// under tsv with the options in argv[2] (JSON).
import { runSeed } from './run-seed.mjs';
import { serve } from './serve.mjs';

const options = JSON.parse(process.argv[2] ?? '{}');
serve((seed) => runSeed(seed, options), options);
