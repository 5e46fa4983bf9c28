// The runtime's own log (--log FILE, --log-format text|json), as runc
// writes it: containerd's shim reads the last error line of a JSON log to
// explain a failed command. Without --log, a command's lines go to stderr;
// the container's process never writes there (its stderr is the
// container's), so without --log its lines are dropped.
import { appendFileSync } from 'node:fs';

export type LogFormat = 'text' | 'json';
export type Level = 'debug' | 'info' | 'warning' | 'error';

export class Log {
  readonly file: string | undefined;
  readonly format: LogFormat;
  readonly #debug: boolean;
  readonly #stderr: boolean;

  constructor(file: string | undefined, format: LogFormat, o: { debug?: boolean; stderr?: boolean } = {}) {
    this.file = file;
    this.format = format;
    this.#debug = o.debug ?? false;
    this.#stderr = o.stderr ?? true;
  }

  write(level: Level, msg: string): void {
    if (level === 'debug' && !this.#debug) return;
    if (this.file === undefined) {
      if (this.#stderr) process.stderr.write(`tsv-oci: ${level === 'error' ? '' : `${level}: `}${msg}\n`);
      return;
    }
    const time = new Date().toISOString();
    const line = this.format === 'json' ? JSON.stringify({ level, msg, time }) : `time="${time}" level=${level} msg=${JSON.stringify(msg)}`;
    try {
      appendFileSync(this.file, `${line}\n`);
    } catch {
      // A log that cannot be written must not change what the command does.
    }
  }

  /** An error the command ends with: in the log and, as one line, on stderr (runc does both). */
  error(msg: string): void {
    this.write('error', msg);
    if (this.file !== undefined && this.#stderr) process.stderr.write(`tsv-oci: ${msg}\n`);
  }
}
