// What the guest program reports (see guest/record.c): lines that start with
// the run's token, which only the driver and the guest's argv know. Its
// stdout also holds whatever random writes put there, so lines are found
// anywhere, and only the tail of the output is kept.

/**
 * The guest's stdout as it arrives: its last `limit` bytes (where the summary
 * is), and every "check failed" line of the whole output, however much came
 * after it.
 */
export class GuestOutput {
  #chunks = [];
  #size = 0;
  #carry = '';
  #check;
  /** The distinct "check failed" messages, in order of appearance. */
  checks = new Set();

  /** `token`: letters and digits only. */
  constructor(token, limit = 256 << 10) {
    this.limit = limit;
    this.#check = new RegExp(`${token}: check failed: ([^\\n]*)\\n`, 'g');
  }

  push(chunk) {
    const bytes = Buffer.from(chunk);
    this.#chunks.push(bytes);
    this.#size += bytes.length;
    while (this.#size - this.#chunks[0].length >= this.limit) this.#size -= this.#chunks.shift().length;
    const text = this.#carry + bytes.toString('latin1');
    for (const m of text.matchAll(this.#check)) this.checks.add(m[1]);
    this.#carry = text.slice(Math.max(0, text.lastIndexOf('\n') + 1, text.length - 200));
  }

  tail() {
    const all = Buffer.concat(this.#chunks);
    return all.subarray(Math.max(0, all.length - this.limit)).toString('latin1');
  }
}

const SUMMARY_FIELDS = ['seed', 'iterations', 'syscalls', 'random', 'structured', 'guarded', 'faults', 'signals', 'ms'];

/**
 * {summary, errnos, enosys, done, lastProgress} from the tail of the guest's
 * output. summary is null when the program did not get to print it.
 */
export function parseGuestOutput(text, token) {
  const line = (rest) => new RegExp(`${token}: ${rest}`);
  const m = line(SUMMARY_FIELDS.map((k) => `${k}=(\\d+)`).join(' ')).exec(text);
  const summary = m ? Object.fromEntries(SUMMARY_FIELDS.map((k, i) => [k, Number(m[i + 1])])) : null;
  const errnos = {};
  const errnoLine = line('errno ([^\\n]*)').exec(text);
  for (const pair of errnoLine?.[1].trim().split(' ') ?? []) {
    const [name, count] = pair.split('=');
    if (name && count) errnos[name] = Number(count);
  }
  const enosysLine = line('enosys([^\\n]*)').exec(text);
  const enosys = enosysLine ? enosysLine[1].trim().split(' ').filter(Boolean).map(Number) : [];
  const progress = [...text.matchAll(new RegExp(`${token}: at (\\d+)`, 'g'))];
  return {
    summary,
    errnos,
    enosys,
    done: line('done\\n').test(text),
    lastProgress: progress.length ? Number(progress[progress.length - 1][1]) : 0,
  };
}
