// @tsv/oci: tsv as an OCI runtime (the tsv-oci command line).
export { main } from './cli.js';
export { ConfigError, type ContainerConfig, readConfig, translate } from './config.js';
export { defaultSpec } from './spec.js';
