// The same against the CommonJS declarations (index.d.cts).
import { Sandbox, SandboxError } from '@tsv/runner';

async function run(): Promise<number> {
  try {
    return (await Sandbox.run(['/bin/busybox', 'true'])).status;
  } catch (e) {
    if (e instanceof SandboxError) return 127;
    throw e;
  }
}
void run();
