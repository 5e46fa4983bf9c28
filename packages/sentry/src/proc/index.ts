export { mountProc, type ProcAccount, ProcFs, type ProcTasks } from './procfs.js';
export { PROC_SUPER_MAGIC } from './nodes.js';
