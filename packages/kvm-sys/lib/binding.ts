// Loads the compiled addon (prebuilds/ or build/Release, via node-gyp-build)
// and states the shape of what it exports. Every function here returns a
// negative errno on failure; callers turn that into a KvmError.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface MappedBuffer {
  buffer: ArrayBuffer;
  address: bigint;
}

export interface Binding {
  open(path: string): number;
  close(fd: number): number;
  ioctlInt(fd: number, request: number, arg?: number | bigint): number;
  ioctlBuf(fd: number, request: number, bytes: Uint8Array): number;
  run(fd: number): number;
  memfdCreate(name: string, size: number | bigint): number;
  mapShared(fd: number, size: number | bigint, offset?: number | bigint): MappedBuffer | number;
  unmap(buffer: ArrayBuffer): number;
  punchHole(fd: number, offset: number, length: number): number;
  populate(buffer: ArrayBuffer, offset: number, length: number): number;
  bindThread(immediateExitAddress: bigint): number;
  unbindThread(tid: number): void;
  kick(tid: number): number;
  tickStart(tid: number, periodNs: number): number;
  tickStop(timer: number): number;
  gettid(): number;
  kickHandlerInstalled: boolean;
  ioctls: Record<string, number>;
  runOffsets: Record<string, number>;
  sizes: Record<string, number>;
  constants: Record<string, number>;
}

// dist/ and lib/ both sit one level below the package root.
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const load = require('node-gyp-build') as (dir: string) => unknown;

export const native = load(packageRoot) as Binding;
