export { BootError, type BootConfig, type ProcessConfig } from './config.js';
export { boot, InputStream, type RunStats, type Sentry, type SpawnedProcess } from './sentry.js';
/** A Linux errno as a message ("No such file or directory"), for the one-line errors of the command line. */
export { describe as describeErrno } from './program.js';
