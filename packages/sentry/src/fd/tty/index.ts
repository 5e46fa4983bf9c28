export { HostTerminal } from './host-terminal.js';
export { isTtyEnd, Pty, PtyMaster, PtySlave, TtyEnd } from './pty.js';
export { Terminals } from './terminals.js';
export * from './termios.js';
