// Loads the compiled addon (prebuilds/ or build/Release) and states the
// shape of what it exports. Every function here returns a negative errno on
// failure; callers turn that into a KvmError.
import { existsSync } from 'node:fs';
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
  mapGuest(size: number): MappedBuffer | number;
  mapShared(fd: number, size: number | bigint, offset?: number | bigint): MappedBuffer | number;
  unmap(buffer: ArrayBuffer): number;
  discard(buffer: ArrayBuffer, offset: number, length: number): number;
  populate(buffer: ArrayBuffer, offset: number, length: number): number;
  bindThread(immediateExitAddress: bigint): number;
  unbindThread(tid: number): void;
  kick(tid: number): number;
  tickStart(tid: number, periodNs: number): number;
  tickStop(timer: number): number;
  gettid(): number;
  openpty(): [master: number, slave: number] | number;
  unixListen(path: string): number;
  unixAccept(listener: number): { data: Buffer; fds: number[] } | number;
  unixSend(path: string, data: Uint8Array, fds: number[]): number;
  kickHandlerInstalled: boolean;
  ioctls: Record<string, number>;
  runOffsets: Record<string, number>;
  sizes: Record<string, number>;
  constants: Record<string, number>;
}

// dist/ and lib/ both sit one level below the package root.
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/**
 * The addon `pnpm build` makes (prebuildify --napi --tag-libc) for the one
 * target this package supports (package.json: os linux, cpu x64).
 */
const PREBUILT = join(packageRoot, 'prebuilds', 'linux-x64', '@tsv+kvm-sys.glibc.node');

/**
 * The prebuilt addon, required by its path in the common case: node-gyp-build
 * would find the same file after resolving itself and scanning directories,
 * some 10 ms of every start. It is still asked when a local build exists
 * (which it prefers, as node-gyp-build does) or the prebuild is missing.
 */
function loadAddon(): Binding {
  if (existsSync(PREBUILT) && !existsSync(join(packageRoot, 'build', 'Release', 'kvm_sys.node'))) return require(PREBUILT) as Binding;
  return (require('node-gyp-build') as (dir: string) => unknown)(packageRoot) as Binding;
}

export const native = loadAddon();
