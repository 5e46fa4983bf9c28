// The README's Sandbox example, from CommonJS.
const { Sandbox } = require('@tsv/runner');

Sandbox.run(['/bin/busybox', 'sha256sum', '/etc/hostname'], { timeoutMs: 5000, memory: '256M' }).then((r) => {
  console.log(r.status, r.stdout.toString(), r.stderr.toString());
});
