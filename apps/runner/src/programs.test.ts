// Real programs that fork, exec, wait and run threads (issue 8, "What must
// run"), each compared with the same binary run natively: same stdout,
// stderr and exit status. C with gcc -static, C++ with g++ -static, Rust
// with a static C runtime, Go with CGO_ENABLED=0.
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { compare } from './test-compare.js';
import { program, PROGRAMS_VOLUME } from './test-programs.js';
import { cxxProgram, goProgram, missingTool, rustProgram } from './test-toolchains.js';

const noKvm = announceKvmSkip();

/** Runs `exe args` natively and under tsv and expects the same outcome, with tsv's log as the message otherwise. */
async function same(exe: string, args: string[] = []): Promise<string> {
  const { expected, actual, why } = await compare([exe, ...args], { volumes: [PROGRAMS_VOLUME] });
  expect(actual, why).toEqual(expected);
  expect(expected.status).toBe(0);
  return expected.stdout;
}

describe.skipIf(noKvm)('C programs with processes', () => {
  it('fork and wait: children exit with their own statuses, waited by pid and by wait()', async () => {
    expect(await same(program('proc_fork_wait'))).toContain('three more by wait(): sum 33\n');
  });

  it('fork and exec: by path, through PATH, a failing program and a missing one', async () => {
    expect(await same(program('proc_fork_exec'))).toContain('/no/such/program: exit 127\n');
  });

  it('pipes between parent and child: 1 MiB each way, a filter, a two-child pipeline', async () => {
    expect(await same(program('proc_pipes'))).toContain('child read 1048576 bytes');
  });

  it('posix_spawn and posix_spawnp with file actions and attributes', async () => {
    expect(await same(program('proc_posix_spawn'))).toContain('own group\n');
  });

  it('system() and popen() through /bin/sh', async () => {
    expect(await same(program('proc_system'))).toContain('popen read: sum 15, pclose 0\n');
  });

  it('a SIGCHLD handler reaps every child', async () => {
    expect(await same(program('proc_sigchld'))).toBe('reaped 10 children, statuses sum 45, handler ran: yes\n');
  });
});

describe.skipIf(noKvm)('C programs with threads', () => {
  it('pthreads: mutex, condition variables and a barrier over 8 threads', async () => {
    expect(await same(program('thread_sync'))).toContain('mutex counter: 160000 (expected 160000)\n');
  });

  it('thread-local storage and pthread keys', async () => {
    expect(await same(program('thread_tls'))).toContain('each thread had its own: yes\n');
  });

  it('a threaded program that forks', async () => {
    expect(await same(program('thread_fork'))).toContain('1 thread(s) after fork');
  });
});

describe.skipIf(noKvm || missingTool('g++'))('C++', () => {
  it('std::thread, std::async, std::promise and condition_variable', async () => {
    expect(await same(cxxProgram('threads'))).toContain('std::async x8 sum: 23997\n');
  });
});

describe.skipIf(noKvm || missingTool('rustc'))('Rust', () => {
  it('std::thread: spawn and join, Mutex, Barrier, mpsc, scoped threads', async () => {
    expect(await same(rustProgram('threads'))).toContain('channel: 800 messages');
  });
});

describe.skipIf(noKvm || missingTool('go', 'version'))('Go (CGO_ENABLED=0)', () => {
  it.each([
    ['channels', 'goroutines with channels'],
    ['waitgroup', 'sync.WaitGroup over 100 goroutines'],
    ['exec', 'os/exec of /bin/busybox'],
    ['sleep', 'time.Sleep, timers and tickers'],
  ])('%s: %s', async (mode) => {
    expect(await same(goProgram('goprocs'), [mode])).not.toBe('');
  });
});
