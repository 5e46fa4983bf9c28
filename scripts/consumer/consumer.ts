// Type-checked with `tsc --strict` against the installed declarations (ESM).
import { Sandbox, type SandboxOptions, type SandboxResult } from '@tsv/runner';

const options: SandboxOptions = { timeoutMs: 5000, memory: '256M', stdout: 'buffer' };
const r: SandboxResult = await Sandbox.run(['/bin/busybox', 'true'], options);
const status: number = r.status;
const out: string = r.stdout.toString();
console.log(status, out, r.timedOut);
