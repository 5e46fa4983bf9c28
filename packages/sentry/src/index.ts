export * from './errno.js';
export * from './vfs/index.js';
