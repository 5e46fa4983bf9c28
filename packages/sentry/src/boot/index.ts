export { BootError, type BootConfig } from './config.js';
export { boot, InputStream, type RunStats, type Sentry } from './sentry.js';
