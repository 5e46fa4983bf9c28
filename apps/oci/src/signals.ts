// Signal names and numbers as runc's `kill` takes them: "9", "KILL",
// "SIGKILL" (any case), and the real-time "RTMIN+3".
const NAMES = [
  'HUP',
  'INT',
  'QUIT',
  'ILL',
  'TRAP',
  'ABRT',
  'BUS',
  'FPE',
  'KILL',
  'USR1',
  'SEGV',
  'USR2',
  'PIPE',
  'ALRM',
  'TERM',
  'STKFLT',
  'CHLD',
  'CONT',
  'STOP',
  'TSTP',
  'TTIN',
  'TTOU',
  'URG',
  'XCPU',
  'XFSZ',
  'VTALRM',
  'PROF',
  'WINCH',
  'IO',
  'PWR',
  'SYS',
];
const SIGRTMIN = 34;
const SIGRTMAX = 64;
export const SIGKILL = 9;

/** The signal number `text` names, or null when it names none. */
export function parseSignal(text: string): number | null {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n >= 1 && n <= SIGRTMAX ? n : null;
  }
  const name = text.toUpperCase().replace(/^SIG/, '');
  const i = NAMES.indexOf(name);
  if (i >= 0) return i + 1;
  const rt = /^RTMIN(?:\+(\d+))?$/.exec(name);
  if (rt !== null) {
    const n = SIGRTMIN + Number(rt[1] ?? 0);
    return n <= SIGRTMAX ? n : null;
  }
  return null;
}
