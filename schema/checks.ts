/**
 * The one way untrusted input is validated: the deployment configuration, routing rules,
 * pipeline options, manifests read back and the worker's environment all read it through a
 * `Section`. Chosen over a schema library because the worker bundle would grow by 61-458 KB
 * for little less code, and because the messages must say where the mistake is.
 *
 * A reader per field type returns the value, or its fallback when the field is absent or wrong,
 * and never throws. Every problem is collected with its full path (`rules[2].format`,
 * `LOGLAKE_MAX_CONCURRENT_MESSAGES`) so one pass names them all; unknown keys are problems too,
 * so a typo never silently becomes a default. The caller turns `problems` into its own error.
 * Absent means `undefined` or `null`; in `text` mode (environment variables) also `''`, and
 * booleans and integers are read from their text.
 */

/** One thing wrong with the input; `unknown` marks a key the section does not know. */
export interface Problem {
  readonly path: string;
  readonly message: string;
  readonly unknown?: true;
}

export interface SectionOptions {
  /** Path of this section in messages; `''` for the document itself. */
  readonly path?: string;
  /** Keys allowed; null accepts any (a manifest carries fields this code does not read). */
  readonly known?: readonly string[] | null;
  /** What a key is called in the unknown-key message. @default 'key' */
  readonly noun?: string;
  /** Only keys it accepts are checked against `known` (`LOGLAKE_*` among all variables). */
  readonly only?: (key: string) => boolean;
  /** Values are text, as in the environment. */
  readonly text?: boolean;
  /** What the section itself must be, for the message when it is no object. @default 'an object' */
  readonly shape?: string;
  /** The list problems go to, shared with the enclosing section. */
  readonly problems?: Problem[];
}

/** A value as it appears in a message: JSON, cut at 60 characters. */
export const show = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
};

/** `path: message`, or the message alone for a problem of the whole document. */
export const problemText = (p: Problem): string => (p.path === '' ? p.message : `${p.path}: ${p.message}`);

/** Every problem on one line, each prefixed with `origin: ` when given (a file, a variable). */
export const problemsText = (problems: readonly Problem[], origin?: string): string =>
  problems.map((p) => (origin === undefined ? problemText(p) : `${origin}: ${problemText(p)}`)).join('; ');

export const isRecord = (v: unknown): v is Readonly<Record<string, unknown>> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads one object, recording problems instead of throwing. */
export class Section {
  readonly problems: Problem[];
  /** False when the value was present but no object; absent counts as an empty object. */
  readonly isObject: boolean;
  private readonly obj: Readonly<Record<string, unknown>>;
  private readonly path: string;
  private readonly text: boolean;

  constructor(value: unknown, opts: SectionOptions = {}) {
    this.problems = opts.problems ?? [];
    this.path = opts.path ?? '';
    this.text = opts.text ?? false;
    this.isObject = isRecord(value);
    this.obj = isRecord(value) ? value : {};
    if (!isRecord(value) && value !== undefined && value !== null) this.problem('', `must be ${opts.shape ?? 'an object'}, got ${show(value)}`);
    const { known, noun = 'key', only } = opts;
    for (const key of known ? Object.keys(this.obj) : []) {
      if ((only === undefined || only(key)) && !known?.includes(key)) {
        this.problems.push({ path: this.at(key), message: `unknown ${noun}; known ${noun}s: ${known?.join(', ')}`, unknown: true });
      }
    }
  }

  /** Full path of a key, or of the section itself for `''`. */
  at = (key: string): string => (key === '' ? this.path : this.path === '' ? key : `${this.path}.${key}`);

  has = (key: string): boolean => this.obj[key] !== undefined && this.obj[key] !== null && !(this.text && this.obj[key] === '');
  raw = (key: string): unknown => this.obj[key];
  keys = (): string[] => Object.keys(this.obj);

  /** Records a problem of one key (`''`: the section); for checks no reader makes. */
  problem(key: string, message: string): void {
    this.problems.push({ path: this.at(key), message });
  }

  /** Records `is required (why)` when the key is absent; true when present. */
  required(key: string, why: string): boolean {
    if (!this.has(key)) this.problem(key, `is required (${why})`);
    return this.has(key);
  }

  private wrong<T>(key: string, expected: string, fallback: T): T {
    this.problem(key, `must be ${expected}, got ${show(this.obj[key])}`);
    return fallback;
  }

  string(key: string, fallback: string, pattern?: RegExp, expected = 'a string'): string {
    const v = this.obj[key];
    if (!this.has(key)) return fallback;
    return typeof v === 'string' && (pattern === undefined || pattern.test(v)) ? v : this.wrong(key, expected, fallback);
  }

  optionalString = (key: string, pattern?: RegExp, expected?: string): string | null =>
    this.has(key) ? this.string(key, '', pattern, expected) || null : null;

  oneOf<T extends string>(key: string, fallback: T, allowed: readonly T[]): T {
    const v = this.obj[key];
    if (!this.has(key)) return fallback;
    return (allowed as readonly unknown[]).includes(v) ? (v as T) : this.wrong(key, `one of ${allowed.join(', ')}`, fallback);
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.obj[key];
    if (!this.has(key)) return fallback;
    if (typeof v === 'boolean') return v;
    if (this.text && (v === 'true' || v === 'false')) return v === 'true';
    return this.wrong(key, 'true or false', fallback);
  }

  int = (key: string, fallback: number, min: number, max?: number): number => this.optionalInt(key, min, max) ?? fallback;

  /** An integer from `min` to `max`; without `max`, `a positive integer` (min 1) or `at least min`. */
  optionalInt(key: string, min: number, max = Number.MAX_SAFE_INTEGER): number | null {
    const v = this.obj[key];
    if (!this.has(key)) return null;
    const n = this.text && typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
    if (typeof n === 'number' && Number.isSafeInteger(n) && n >= min && n <= max) return n;
    const range =
      max !== Number.MAX_SAFE_INTEGER ? `an integer from ${min} to ${max}` : min === 1 ? 'a positive integer' : `an integer of at least ${min}`;
    return this.wrong(key, range, null);
  }

  number(key: string, fallback: number, min = -Infinity, max = Infinity): number {
    const v = this.obj[key];
    if (!this.has(key)) return fallback;
    if (typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max) return v;
    return this.wrong(key, Number.isFinite(min) ? `a number from ${min} to ${max}` : 'a number', fallback);
  }

  /** An array, or null when absent or wrong; `expected` describes it in the message. */
  list(key: string, expected = 'an array', nonEmpty = false): readonly unknown[] | null {
    const v = this.obj[key];
    if (!this.has(key)) return null;
    return Array.isArray(v) && (!nonEmpty || v.length > 0) ? v : this.wrong(key, expected, null);
  }

  /** An array of strings; `check` returns what is wrong with one item, or null. Wrong items are left out. */
  strings(key: string, fallback: readonly string[], check?: (s: string) => string | null, expected?: string, nonEmpty = false): string[] {
    const items = this.list(key, expected, nonEmpty);
    if (items === null) return [...fallback];
    const out: string[] = [];
    items.forEach((v, i) => {
      const wrong = typeof v !== 'string' ? `must be a string, got ${show(v)}` : (check?.(v) ?? null);
      if (wrong === null) out.push(v as string);
      else this.problems.push({ path: `${this.at(key)}[${i}]`, message: wrong });
    });
    return out;
  }

  /** The nested object under `key`, sharing this section's problems and mode. */
  section(key: string, known: readonly string[] | null, shape?: string): Section {
    return new Section(this.obj[key], { path: this.at(key), known, shape, text: this.text, problems: this.problems });
  }

  /** One section per item of the array under `key` (`key[0]`, `key[1]`, …). */
  sections(key: string, known: readonly string[] | null, opts: { expected?: string; nonEmpty?: boolean; shape?: string } = {}): Section[] {
    const items = this.list(key, opts.expected, opts.nonEmpty) ?? [];
    return items.map((v, i) => {
      const path = `${this.at(key)}[${i}]`;
      if (v === null || v === undefined) this.problems.push({ path, message: `must be ${opts.shape ?? 'an object'}, got ${show(v)}` });
      return new Section(v, { path, known, shape: opts.shape, text: this.text, problems: this.problems });
    });
  }
}

/**
 * A versioned JSON document read back from storage (a run record, a poll state): the parsed
 * value and a `Section` over it that has already checked `v` is 1, or why the bytes are not JSON.
 */
export function versionedDocument(bytes: Uint8Array, where: string): { readonly value: unknown; readonly section: Section } | string {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (e) {
    return `${where} is not JSON: ${(e as Error).message}`;
  }
  const section = new Section(value, { known: null });
  if (section.raw('v') !== 1) section.problem('v', `must be 1, got ${JSON.stringify(section.raw('v'))}`);
  return { value, section };
}
