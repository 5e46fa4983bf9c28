export { inotifyHub, InotifyHub } from './hub.js';
export * from './inotify.js';
