// kvmsys.exit_roundtrip_ns: KVM_RUN -> MMIO exit from ring 0 -> resume,
// driven from TypeScript, against the C floor of the same path
// (b-mmio-emul). Also one bare vCPU ioctl against the floor's.
import { floorNs, report } from '@tsv/bench';
import { Kvm, probeExitCost } from '../dist/index.js';

const kvm = Kvm.open();
// Sized like the floor: about 0.3 s per round, median of 5 rounds.
const per = Math.max(200, Math.round(3e8 / (floorNs('b-mmio-emul') ?? 8000)));
const r = probeExitCost(kvm, per, 5);
kvm.close();
report({ name: 'kvmsys.exit_roundtrip_ns', value: r.exitRoundTripNs, unit: 'ns', baseline: 'b-mmio-emul' });
report({ name: 'kvmsys.ioctl_ns', value: r.ioctlNs, unit: 'ns', baseline: 'ioctl' });
