// The `tsv` command line. Errors a user can act on are one line on stderr
// and a non-zero status, never a stack trace.
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { formatDoctor, runDoctor } from './doctor.js';
import { runHello } from './hello.js';
import { runCommand } from './run.js';

const USAGE = `usage: tsv <command> [options]

commands:
  run [options] -- PROGRAM [ARGS]   run a static Linux x86-64 program in the sandbox (tsv run --help)
  doctor [--json] [--device PATH]   can tsv run here? KVM flavor, capabilities, exit cost
  hello                             run the built-in real-mode hello guest
  help                              this text
  --version                         the version of tsv (@tsv/runner)
`;

/** This package's version: src/ and dist/ both sit one level below package.json. */
function version(): string {
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'doctor': {
      let values: { json?: boolean; device?: string };
      try {
        ({ values } = parseArgs({ args: rest, options: { json: { type: 'boolean' }, device: { type: 'string' } } }));
      } catch (e) {
        process.stderr.write(`tsv doctor: ${e instanceof Error ? e.message : String(e)}\n`);
        return 2;
      }
      const report = runDoctor({ path: values.device });
      process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatDoctor(report)}\n`);
      return report.ok ? 0 : 1;
    }
    case 'run':
      return runCommand(rest);
    case 'hello':
      process.stdout.write(runHello());
      return 0;
    case '--version':
    case '-V':
      process.stdout.write(`tsv ${version()}\n`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`tsv: unknown command '${command}'\n${USAGE}`);
      return 2;
  }
}
