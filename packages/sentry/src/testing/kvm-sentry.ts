// The end-to-end tests on KVM boot their sandbox the same way: a fresh
// platform with 256 MiB of guest memory, the host's root, a 128 MiB memory
// limit, stdin a stream the test feeds; the platform is closed whatever
// the test does.
import { type BootConfig, boot, InputStream, type Sentry } from '../boot/index.js';

/** What a test says of its sandbox: the program, and any BootConfig field it sets itself. */
export type TestBoot = Pick<BootConfig, 'argv'> & Partial<Omit<BootConfig, 'platform' | 'stdin'>>;

/** Boots `c` (env empty, cwd and root `/`, output discarded unless it says otherwise), runs `use`, then closes the platform. */
export async function withKvmSentry(c: TestBoot, use: (sentry: Sentry, stdin: InputStream) => Promise<void>): Promise<void> {
  const { KvmPlatform } = await import('@tsv/platform/kvm');
  const platform = new KvmPlatform({ memoryBytes: 256 << 20 });
  try {
    const stdin = new InputStream();
    const sentry = await boot({
      env: [],
      cwd: '/',
      root: '/',
      memoryLimit: 128 << 20,
      stdout: () => {},
      stderr: () => {},
      ...c,
      platform,
      stdin,
    });
    await use(sentry, stdin);
  } finally {
    platform.close();
  }
}
