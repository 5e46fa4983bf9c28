// Real programs on the sandbox's network (issue 9, "What must run"), each
// compared with the same program run natively: python3's asyncio with a
// server and a client in one program, `python3 -m http.server` fetched with
// urllib from a second process, and Go (CGO_ENABLED=0) with a net/http
// server and client in one program and os/exec over pipes. Natively they
// use the host's loopback; in the sandbox, its own.
import { existsSync } from 'node:fs';
import { announceKvmSkip } from '@tsv/testing';
import { describe, expect, it } from 'vitest';
import { sameAsNative as same } from './test-compare.js';
import { PROGRAMS_VOLUME } from './test-programs.js';
import { goProgram, missingTool } from './test-toolchains.js';

const noKvm = announceKvmSkip();
const PYTHON = '/usr/bin/python3';

/** An echo server and a client on one asyncio event loop: lines out, echoes back, then an orderly close. */
const ASYNCIO = `
import asyncio
async def handle(reader, writer):
    while line := await reader.readline():
        writer.write(b"echo " + line)
        await writer.drain()
    writer.close()
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for i in range(3):
        writer.write(f"line {i}\\n".encode())
        await writer.drain()
        print((await reader.readline()).decode(), end="")
    writer.write_eof()
    print("after eof:", await reader.read())
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()
    print("asyncio: done")
asyncio.run(main())
`;

/** The client: waits for the server's "port N" line in its log, then fetches a file and a directory listing. */
const FETCH = `
import re, sys, time, urllib.request
for _ in range(600):
    m = re.search(r"port (\\d+)", open("server.log").read())
    if m: break
    time.sleep(0.05)
base = "http://127.0.0.1:%s/" % m.group(1)
print(urllib.request.urlopen(base + "www/hello.txt").read().decode(), end="")
listing = urllib.request.urlopen(base + "www/").read().decode()
print("listing names hello.txt:", "hello.txt" in listing)
try:
    urllib.request.urlopen(base + "www/missing")
except urllib.error.HTTPError as e:
    print("missing:", e.code)
`;

/**
 * http.server on an ephemeral port of the loopback (-u: its "Serving HTTP on
 * ... port N" line is not buffered), the client a second process. The shell's
 * "Terminated" goes to /dev/null: natively it is printed or not depending on
 * whether the server was gone before `wait` began.
 */
const SERVE = `${PYTHON} -u -m http.server 0 --bind 127.0.0.1 > server.log 2>/dev/null &
server=$!
${PYTHON} fetch.py
kill $server
wait $server 2>/dev/null
echo "server ended: $?"
`;

describe.skipIf(noKvm || !existsSync(PYTHON))('python3 on the loopback', () => {
  it('asyncio: a server and a client in one program', async () => {
    expect(await same([PYTHON, 'asyncio_echo.py'], { files: { 'asyncio_echo.py': ASYNCIO } })).toBe(
      "echo line 0\necho line 1\necho line 2\nafter eof: b''\nasyncio: done\n",
    );
  });

  it('python3 -m http.server, fetched with urllib from a second process', async () => {
    const files = { 'serve.sh': SERVE, 'fetch.py': FETCH, 'www/hello.txt': 'hello over http\n' };
    expect(await same(['/bin/sh', 'serve.sh'], { files })).toBe(
      'hello over http\nlisting names hello.txt: True\nmissing: 404\nserver ended: 143\n',
    );
  });
});

describe.skipIf(noKvm || missingTool('go', 'version'))('Go (CGO_ENABLED=0) on the loopback and pipes', () => {
  it('net/http: a server and a client in one program (keep-alive, a POST body, a chunked stream)', async () => {
    const out = await same([goProgram('gonet'), 'http'], { volumes: [PROGRAMS_VOLUME] });
    expect(out).toContain('200 OK POSTED BODY\nstreamed lines: 100 [chunked]\nhttp: done\n');
  });

  it('os/exec: a child answering line by line over stdin and stdout pipes', async () => {
    const out = await same([goProgram('gonet'), 'pipes'], { volumes: [PROGRAMS_VOLUME] });
    expect(out).toBe(`${[0, 1, 2, 3, 4].map((i) => `child: line ${i}\n`).join('')}after close: "", wait: <nil>\n`);
  });
});
