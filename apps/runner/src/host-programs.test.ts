// Dynamically linked programs of the host, from tsv's default root (issue 8,
// "What must run"): each compared with the same command run natively, in a
// fresh working directory holding the same files (an overlay volume in the
// sandbox, so gcc, make and git may write there).
import { existsSync } from 'node:fs';
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { BASE_ENV, type CompareOptions, compare } from './test-compare.js';

const noKvm = announceKvmSkip();

/** Runs argv natively and under tsv; expects the same status, stdout and stderr, and status 0. */
async function same(argv: string[], o: CompareOptions = {}): Promise<string> {
  const { expected, actual, why } = await compare(argv, o);
  expect(actual, why).toEqual(expected);
  expect(expected.status, expected.stderr).toBe(0);
  return expected.stdout;
}

const needs = (path: string) => !existsSync(path);

/** Identity and dates fixed, so commit ids are the same natively and in the sandbox. */
const GIT_ENV = {
  ...BASE_ENV,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Tess Sandbox',
  GIT_AUTHOR_EMAIL: 'tess@example.com',
  GIT_COMMITTER_NAME: 'Tess Sandbox',
  GIT_COMMITTER_EMAIL: 'tess@example.com',
  GIT_AUTHOR_DATE: '2020-01-02T03:04:05Z',
  GIT_COMMITTER_DATE: '2020-01-02T03:04:05Z',
};

const PYTHON = `
import queue, subprocess, threading
results = queue.Queue()
def work(n):
    results.put(sum(i * i for i in range(n)))
threads = [threading.Thread(target=work, args=(1000 * k,)) for k in range(1, 9)]
for t in threads: t.start()
for t in threads: t.join()
print("threads:", sorted(results.get() for _ in threads))
print(subprocess.run(["/bin/busybox", "echo", "from a subprocess"], capture_output=True, text=True).stdout, end="")
p = subprocess.run(["sort", "-r"], input="a\\nc\\nb\\n", capture_output=True, text=True)
print("sort -r:", p.stdout.split(), p.returncode)
with subprocess.Popen(["sh", "-c", "read x; echo got $x; exit 3"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as sh:
    out, _ = sh.communicate("line")
print(out.strip(), "status", sh.returncode)
`;

const PERL = `
my %h; $h{$_}++ for split //, "mississippi";
print join(",", map { "$_=$h{$_}" } sort keys %h), "\\n";
my $pid = fork(); if ($pid == 0) { exit 3 } waitpid($pid, 0); print "child status ", $? >> 8, "\\n";
print "backticks: ", \`echo from a shell\`;
open(my $p, "-|", "/bin/busybox", "seq", "3") or die; my @l = <$p>; close $p; print "pipe open: ", scalar(@l), " lines\\n";
`;

describe.skipIf(noKvm)('dynamically linked host programs', () => {
  it('/bin/ls -l', async () => {
    const files = { 'a.txt': 'alpha\n', 'b.log': 'bravo bravo\n', 'sub/c.txt': 'charlie\n' };
    expect(await same(['/bin/ls', '-l', 'a.txt', 'b.log', 'sub/c.txt'], { files })).toContain('a.txt\n');
  });

  it('bash -c with pipelines, a loop and command substitution', async () => {
    const script =
      'seq 1 100 | grep 7 | wc -l; for i in 1 2 3; do echo $i; done | tac | paste -sd,; echo "files: $(ls /usr/bin | wc -l | tr -d 0-9)done"';
    expect(await same(['/bin/bash', '-c', script])).toBe('19\n3,2,1\nfiles: done\n');
  });

  it.skipIf(needs('/usr/bin/python3'))('python3 -c with threading and subprocess', async () => {
    expect(await same(['/usr/bin/python3', '-c', PYTHON])).toContain('got line status 3\n');
  });

  it.skipIf(needs('/usr/bin/perl'))('perl -e with fork, backticks and a pipe', async () => {
    expect(await same(['/usr/bin/perl', '-e', PERL])).toContain('child status 3\n');
  });

  it.skipIf(needs('/usr/bin/make'))('make on a two-rule Makefile', async () => {
    const files = {
      Makefile: 'all: out.txt\n\tcat out.txt\nout.txt: in.txt\n\ttr a-z A-Z < in.txt > out.txt\n',
      'in.txt': 'make me loud\n',
    };
    expect(await same(['/usr/bin/make'], { files })).toContain('MAKE ME LOUD\n');
  });

  it.skipIf(needs('/usr/bin/gcc'))('gcc hello.c -o hello && ./hello (cc1, as and ld as child processes)', async () => {
    const files = { 'hello.c': '#include <stdio.h>\nint main(void) { printf("hello from gcc\\n"); return 0; }\n' };
    expect(await same(['/bin/sh', '-c', 'gcc hello.c -o hello && ./hello'], { files })).toBe('hello from gcc\n');
  });

  it.skipIf(needs('/usr/bin/git'))('git init && git commit, twice, with the same commit ids', async () => {
    const script = [
      'git init -q -b main . && echo content > file.txt && git add . && git commit -q -m first',
      'echo more >> file.txt && git commit -q -am second',
      'git log --format="%h %an: %s" && git rev-parse HEAD && git status --short | wc -l',
    ].join(' && ');
    expect(await same(['/bin/sh', '-c', script], { env: GIT_ENV })).toContain('Tess Sandbox: first\n');
  });
});
