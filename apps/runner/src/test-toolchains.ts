// Test programs in C++, Rust and Go, built static once per run into the C
// programs' directory (test-programs.ts), so the same volume shows them.
// scripts/setup.sh installs every toolchain here (g++ with build-essential,
// rustc, golang-go), so CI builds them all; a machine without one skips its
// tests and says why.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROGRAMS_DIR } from './test-programs.js';

const source = (path: string) => fileURLToPath(new URL(`./testdata/${path}`, import.meta.url));
const built = new Map<string, string>();

function build(key: string, make: (exe: string) => void): string {
  let exe = built.get(key);
  if (exe === undefined) {
    exe = join(PROGRAMS_DIR, key);
    make(exe);
    built.set(key, exe);
  }
  return exe;
}

/** Why `tool` does not run here (`go version`, `rustc --version`...): undefined when it runs. */
function toolProblem(tool: string, versionFlag: string): string | undefined {
  const r = spawnSync(tool, [versionFlag], { encoding: 'utf8' });
  if (r.error !== undefined) return `${tool} is not installed here (scripts/setup.sh installs it)`;
  if (r.status === 0) return undefined;
  // Installed, but failing: a rustup proxy first on PATH with no toolchain under this HOME, say.
  const said = `${r.stderr ?? ''}`.trim().split('\n')[0] ?? '';
  return `\`${tool} ${versionFlag}\` fails here (status ${r.status}${said === '' ? '' : `: ${said}`})`;
}

/** Whether `tool` runs here. */
export function hasTool(tool: string, versionFlag = '--version'): boolean {
  return toolProblem(tool, versionFlag) === undefined;
}

/** A skip condition for a describe block: true (skip) and one line on the console saying why, when `tool` does not run. */
export function missingTool(tool: string, versionFlag = '--version'): boolean {
  const problem = toolProblem(tool, versionFlag);
  if (problem === undefined) return false;
  console.warn(`skipped: ${problem}`);
  return true;
}

/** testdata/NAME.cc compiled with g++ -static. */
export const cxxProgram = (name: string): string =>
  build(`${name}-cxx`, (exe) => execFileSync('g++', ['-static', '-O1', '-pthread', '-o', exe, source(`${name}.cc`)]));

/** testdata/NAME.rs compiled by rustc with a static C runtime. */
export const rustProgram = (name: string): string =>
  build(`${name}-rust`, (exe) => execFileSync('rustc', ['-O', '-C', 'target-feature=+crt-static', '-o', exe, source(`${name}.rs`)]));

/** testdata/go/NAME.go built with CGO_ENABLED=0 (a static binary that makes every system call itself). */
export const goProgram = (name: string): string =>
  build(`${name}-go`, (exe) =>
    execFileSync('go', ['build', '-o', exe, `${name}.go`], {
      cwd: source('go'),
      env: { ...process.env, CGO_ENABLED: '0', GO111MODULE: 'off' },
    }),
  );
