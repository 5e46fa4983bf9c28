// Reading a JSON document field by field, with errors that name the field
// ("linux.resources.cpu.quota: ...") the way an operator finds it in
// config.json.

/** A config.json that tsv cannot run as written; the message names the field. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One JSON object at `path` (its fields are named `path.key`). */
export class Fields {
  readonly #o: Record<string, unknown>;
  readonly path: string;
  /** The document errors name: config.json, or the file of `exec --process`. */
  readonly doc: string;

  constructor(value: unknown, path: string, doc = 'config.json') {
    if (value !== undefined && !isObject(value)) throw new ConfigError(`${path ? `${doc}: ${path}` : doc}: an object expected`);
    this.#o = value ?? {};
    this.path = path;
    this.doc = doc;
  }

  name(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  /** Throws the error for field `key`. */
  refuse(key: string, why: string): never {
    throw new ConfigError(`${this.doc}: ${this.name(key)}: ${why}`);
  }

  has(key: string): boolean {
    return this.#o[key] !== undefined && this.#o[key] !== null;
  }

  /** Fields not in `known` are refused: tsv does not know what they ask for. */
  only(known: readonly string[]): void {
    for (const k of Object.keys(this.#o)) if (!known.includes(k)) this.refuse(k, 'not supported by tsv');
  }

  /** Accepts `key` only when absent or empty ('', [], {}, 0, false). */
  empty(key: string, why: string): void {
    const v = this.#o[key];
    const blank =
      v === undefined ||
      v === null ||
      v === '' ||
      v === 0 ||
      v === false ||
      (Array.isArray(v) && v.length === 0) ||
      (isObject(v) && Object.keys(v).length === 0);
    if (!blank) this.refuse(key, why);
  }

  #typed<T>(key: string, ok: (v: unknown) => boolean, what: string): T | undefined {
    const v = this.#o[key];
    if (v === undefined || v === null) return undefined;
    if (!ok(v)) this.refuse(key, `${what} expected`);
    return v as T;
  }

  string(key: string): string | undefined {
    return this.#typed(key, (v) => typeof v === 'string', 'a string');
  }

  boolean(key: string): boolean | undefined {
    return this.#typed(key, (v) => typeof v === 'boolean', 'true or false');
  }

  integer(key: string): number | undefined {
    return this.#typed(key, (v) => Number.isInteger(v), 'an integer');
  }

  /** An integer ≥ 0. */
  natural(key: string): number | undefined {
    return this.#typed(key, (v) => Number.isInteger(v) && (v as number) >= 0, 'an integer ≥ 0');
  }

  stringArray(key: string): string[] {
    return this.#typed<string[]>(key, (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'), 'an array of strings') ?? [];
  }

  /** An array of integers ≥ 0 (absent: empty). */
  naturalArray(key: string): number[] {
    const ok = (v: unknown) => Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 0);
    return this.#typed<number[]>(key, ok, 'an array of integers ≥ 0') ?? [];
  }

  stringMap(key: string): Record<string, string> {
    const ok = (v: unknown) => isObject(v) && Object.values(v).every((x) => typeof x === 'string');
    return this.#typed<Record<string, string>>(key, ok, 'an object of strings') ?? {};
  }

  /** The object at `key` (absent: an empty one). */
  object(key: string): Fields {
    return new Fields(this.#typed(key, isObject, 'an object'), this.name(key), this.doc);
  }

  optionalObject(key: string): Fields | undefined {
    return this.has(key) ? this.object(key) : undefined;
  }

  /** The objects of the array at `key`, each named `key[i]`. */
  array(key: string): Fields[] {
    const a = this.#typed<unknown[]>(key, Array.isArray, 'an array') ?? [];
    return a.map((v, i) => new Fields(v, `${this.name(key)}[${i}]`, this.doc));
  }
}
