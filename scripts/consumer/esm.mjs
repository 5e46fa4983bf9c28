// The README's Sandbox example, as a consumer's ES module runs it.
import { Sandbox } from '@tsv/runner';

const r = await Sandbox.run(['/bin/busybox', 'sha256sum', '/etc/hostname'], { timeoutMs: 5000, memory: '256M' });
console.log(r.status, r.stdout.toString(), r.stderr.toString());
