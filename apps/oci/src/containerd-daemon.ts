// A containerd of one's own, for the containerd test and the oci.run_ms
// benchmark: its state, root, sockets and config in one directory, the CRI
// plugin off unless asked for, so it touches nothing of a containerd the
// host may run. Driven with ctr as an operator would.
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a ctr command ended with. */
export interface CtrResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface Containerd {
  /** Its config file (`containerd --config`). */
  config: string;
  /** Its gRPC socket. */
  address: string;
  /** Runs `ctr --address ADDRESS ...args`. */
  ctr(...args: string[]): Promise<CtrResult>;
  /** Ends it (SIGTERM) and waits for it. */
  stop(): Promise<void>;
}

/** Why containerd cannot run here, or null. */
export function noContainerd(): string | null {
  if (spawnSync('containerd', ['--version']).error !== undefined) return 'containerd is not installed (scripts/setup.sh installs it)';
  if (spawnSync('ctr', ['--version']).error !== undefined) return 'ctr is not installed (Debian package containerd)';
  if (process.getuid?.() !== 0) return 'containerd needs root';
  return null;
}

/**
 * Starts containerd with its state under `dir`; `toml` is more of its
 * config (a runtime table, say), and `cri` keeps the CRI plugin on (where
 * those tables live). Resolves once ctr reaches it; rejects if it ended.
 */
export async function startContainerd(dir: string, o: { toml?: string; cri?: boolean } = {}): Promise<Containerd> {
  const address = join(dir, 'c.sock');
  const config = join(dir, 'config.toml');
  writeFileSync(
    config,
    [
      'version = 2',
      `root = "${dir}/root"`,
      `state = "${dir}/state"`,
      o.cri ? '' : 'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      `[grpc]\n  address = "${address}"`,
      `[ttrpc]\n  address = "${address}.ttrpc"`,
      o.toml ?? '',
    ].join('\n'),
  );
  const ctr = (...args: string[]) =>
    new Promise<CtrResult>((resolve) => {
      execFile('ctr', ['--address', address, ...args], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr }),
      );
    });
  const daemon: ChildProcess = spawn('containerd', ['--config', config], { stdio: 'ignore' });
  const stop = async () => {
    if (daemon.exitCode !== null || daemon.signalCode !== null) return;
    const ended = new Promise((r) => daemon.once('exit', r));
    daemon.kill('SIGTERM');
    await ended;
  };
  // Ready when ctr reaches it; a bounded wait, so that a containerd that cannot start fails instead of hanging.
  for (let i = 0; i < 300 && daemon.exitCode === null; i++) {
    if ((await ctr('version')).status === 0) return { config, address, ctr, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`containerd did not start (config ${config})`);
}
