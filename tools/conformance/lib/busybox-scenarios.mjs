import { readFileSync } from 'node:fs';

// busybox applet scenarios. Each runs `busybox <argv>` once in a fresh copy of
// the fixture; `sh -c` scenarios need fork/exec in the sandbox unless they
// use only shell builtins (marked builtinsOnly).

const dropTotal = (text) => text.replace(/^total \d+\n/m, '');

export const SCENARIOS = [
  { name: 'echo', argv: ['echo', 'hello', 'world'] },
  { name: 'echo-escapes', argv: ['echo', '-n', '-e', 'a\\tb\\nc'] },
  { name: 'cat-files', argv: ['cat', 'a.txt', 'nums.txt'] },
  { name: 'cat-stdin', argv: ['cat'], stdin: 'from stdin\nline 2\n' },
  { name: 'cat-missing', argv: ['cat', 'a.txt', 'missing'] },
  { name: 'ls-l', argv: ['ls', '-l', 'dir/sub', 'a.txt', 'bin.dat'], filter: dropTotal },
  { name: 'ls-1a', argv: ['ls', '-1a', 'dir'] },
  { name: 'wc', argv: ['wc', 'a.txt', 'nums.txt', 'bin.dat'] },
  { name: 'wc-stdin', argv: ['wc', '-lwc'], stdin: 'one two\nthree\n' },
  { name: 'head', argv: ['head', '-n', '3', 'a.txt'] },
  { name: 'head-bytes', argv: ['head', '-c', '10', 'a.txt'] },
  { name: 'tail', argv: ['tail', '-n', '2', 'a.txt'] },
  { name: 'tail-bytes', argv: ['tail', '-c', '7', 'nums.txt'] },
  { name: 'sort', argv: ['sort', 'a.txt'] },
  { name: 'sort-nru', argv: ['sort', '-n', '-r', '-u', 'nums.txt'] },
  { name: 'uniq-c', argv: ['uniq', '-c'], stdin: 'a\na\nb\nc\nc\nc\na\n' },
  { name: 'grep', argv: ['grep', '-n', 'fox', 'a.txt'] },
  { name: 'grep-multi', argv: ['grep', '-c', '-E', 'file|entry', 'dir/x.txt', 'dir/sub/y.txt', 'dir/sub/z.log'] },
  { name: 'grep-nomatch', argv: ['grep', 'nothing-like-this', 'a.txt'] },
  { name: 'sed', argv: ['sed', '-e', 's/fox/cat/g', '-e', '2d', 'a.txt'] },
  { name: 'sed-n', argv: ['sed', '-n', '2,3p', 'a.txt'] },
  { name: 'awk', argv: ['awk', '-F,', 'NR > 1 { q += $2; v += $2 * $3 } END { printf "%d %.2f %d\\n", q, v, NR }', 'data.csv'] },
  { name: 'cut', argv: ['cut', '-d,', '-f1,3', 'data.csv'] },
  { name: 'tr', argv: ['tr', 'a-z', 'A-Z'], stdin: 'shout this\n' },
  { name: 'tr-delete', argv: ['tr', '-d', 'aeiou'], stdin: 'remove the vowels\n' },
  { name: 'sha256sum', argv: ['sha256sum', 'a.txt', 'bin.dat'] },
  { name: 'md5sum', argv: ['md5sum', 'a.txt', 'bin.dat'] },
  { name: 'find-one', argv: ['find', 'dir', '-name', 'y.txt'] },
  { name: 'find-type', argv: ['find', 'dir/sub', '-type', 'f', '-name', '*.log'] },
  { name: 'stat', argv: ['stat', '-c', '%n %s %a %F %Y', 'a.txt', 'bin.dat'] },
  { name: 'stat-dir', argv: ['stat', '-c', '%n %a %F %Y', 'dir'] },
  { name: 'du', argv: ['du', '-b', 'a.txt', 'bin.dat'] },
  { name: 'tar-create-stdout', argv: ['tar', 'cf', '-', 'a.txt', 'nums.txt'] },
  { name: 'tar-list', argv: ['tar', 'tf', 'pack.tar'], filter: (t) => t.split('\n').sort().join('\n') },
  { name: 'tar-extract', argv: ['tar', 'xvf', 'pack.tar', '-C', 'unpack'], filter: (t) => t.split('\n').sort().join('\n') },
  { name: 'gzip-stdout', argv: ['gzip', '-c', '-n', 'a.txt'] },
  { name: 'gunzip-stdout', argv: ['gunzip', '-c', 'a.txt.gz'] },
  {
    name: 'sh-builtins',
    builtinsOnly: true,
    argv: [
      'sh',
      '-c',
      [
        'x=0; for i in 1 2 3 4 5; do x=$((x + i)); done; echo "sum=$x"',
        'case abc in a*) echo match;; *) echo nomatch;; esac',
        'f() { echo "f:$1:$#"; return 3; }; f one two; echo "rc=$?"',
        'set -- a b c; shift; echo "$@" "$#"',
        'printf "%s-%03d\\n" x 5',
        'test -f a.txt && echo has-a; [ -d dir ] && echo has-dir; [ -e nope ] || echo no-nope',
        'read first < a.txt; echo "first: $first"',
        'i=0; while [ $i -lt 3 ]; do i=$((i + 1)); done; echo "i=$i"',
        'v=archive.tar.gz; echo "${v%%.*} ${v#*.} ${#v}"',
        'echo to-stderr >&2',
        'exit 7',
      ].join('\n'),
    ],
  },
  { name: 'sh-builtin-status', builtinsOnly: true, argv: ['sh', '-c', 'echo out; echo err >&2; false || exit 3'] },
  {
    name: 'sh-tar-roundtrip',
    argv: [
      'sh',
      '-c',
      'tar cf out.tar dir && mkdir x && tar xf out.tar -C x && find x | sort && cat x/dir/sub/y.txt && tar tf out.tar | sort',
    ],
  },
  {
    name: 'sh-gzip-roundtrip',
    argv: ['sh', '-c', 'gzip -c bin.dat > b.gz && gunzip -c b.gz | cmp - bin.dat && echo same && gunzip b.gz && sha256sum b'],
  },
  { name: 'sh-pipeline', argv: ['sh', '-c', 'cat a.txt | sort | uniq -c | sort -rn | head -n 2'] },
  { name: 'sh-find-sorted', argv: ['sh', '-c', 'find . | sort'] },
  // The processes issue's list: pipelines, loops of external applets, $(…), exec, xargs, timeout, env, a script.
  {
    name: 'sh-pipeline-long',
    argv: [
      'sh',
      '-c',
      String.raw`tr -s ' ' '\n' < a.txt | grep -v '^$' | sort | uniq -c | sort -k1,1nr -k2 | awk '{ print NR ": " $2 " x" $1 }' | head -n 4`,
    ],
  },
  {
    name: 'sh-for-applets',
    argv: [
      'sh',
      '-c',
      String.raw`for f in a.txt nums.txt data.csv; do busybox wc -l "$f"; md5sum "$f" | cut -c1-8; done; for n in 1 2 3; do busybox expr $n \* 7; done`,
    ],
  },
  {
    name: 'sh-subst',
    argv: [
      'sh',
      '-c',
      'n=$(wc -l < a.txt); echo "lines=$n"; echo "$(echo outer $(echo inner $(basename dir/sub/y.txt)))"; y=`date -u -d @0 +%Y`; echo "epoch year $y"; echo "files: $(find dir -type f | wc -l)"',
    ],
  },
  {
    name: 'sh-exec',
    argv: [
      'sh',
      '-c',
      `exec 3> out.txt; echo to-fd-3 >&3; exec 3>&-; cat out.txt; exec 4< a.txt; read first <&4; echo "read: $first"; exec sh -c 'echo "replaced shell, args: $0 $1"; exit 4' zero one; echo never`,
    ],
  },
  {
    name: 'sh-xargs',
    argv: [
      'sh',
      '-c',
      String.raw`find dir -type f | sort | xargs wc -l; printf 'a\nb\nc\n' | xargs -n 1 echo item; echo x y | xargs -I{} sh -c 'echo braces: {}'; printf '' | xargs -r echo never`,
    ],
  },
  { name: 'sh-find-sort-head', argv: ['sh', '-c', `find . -name '*.txt' | sort | head -n 3; find . -type f | sort -r | head -n 2`] },
  {
    name: 'sh-tar-pipe',
    argv: [
      'sh',
      '-c',
      'tar cf - dir a.txt | tar tf - | sort; tar cf - dir | (cd unpack && tar xf -) && find unpack | sort && cat unpack/dir/x.txt',
    ],
  },
  {
    name: 'sh-timeout',
    argv: ['sh', '-c', 'timeout 1 sleep 5; echo "rc=$?"; timeout 5 echo fast; echo "rc=$?"; timeout -s KILL 1 sleep 5; echo "rc=$?"'],
  },
  {
    name: 'sh-env',
    argv: [
      'sh',
      '-c',
      `env | sort; echo --; env -i FOO=bar BAZ='q u x' sh -c 'echo "$FOO/$BAZ"; env | sort'; echo --; env -u HOME FOO=1 env | sort`,
    ],
    filter: (t) => t.replace(/^PWD=.*\n/gm, ''), // the run's own temp dir
  },
  {
    name: 'sh-script',
    argv: ['sh', '-s', 'one', 'two words'],
    stdin: readFileSync(new URL('./busybox-script.sh', import.meta.url), 'utf8'),
  },
];
