// @tsv/runner: the tsv command line and (soon) the Sandbox API.
export { detectFlavor, formatDoctor, runDoctor, type Capability, type DoctorReport, type KvmFlavor } from './doctor.js';
export { runHello } from './hello.js';
export { main } from './cli.js';
