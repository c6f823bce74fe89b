/**
 * Argument parsing shared by every verb: node's `parseArgs`, with unknown flags and bad values
 * turned into usage errors (exit code 2) that name the flag.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A usage or configuration mistake: printed with the verb's help hint, exit code 2. */
export class UsageError extends Error {
  // Literal, not the class's own name, which minification would rename (pipeline/run/errors.ts).
  override readonly name = 'UsageError';
  /** False when the message says all there is (a missing lake, an unwritable folder): no help pointer. */
  readonly hint: boolean;

  constructor(message: string, opts: { hint?: boolean } = {}) {
    super(message);
    this.hint = opts.hint ?? true;
  }
}

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Parsed flag values: strings, booleans, or string lists for `multiple` flags. */
export type Values = Record<string, string | boolean | string[] | undefined>;

/**
 * Parses argv for one verb; `--help` is always accepted. `numeric` names the flags that take a
 * positive integer, so `--max-width -5` says that rather than node's "argument is ambiguous".
 */
export function parse<O extends Options>(argv: readonly string[], options: O, numeric: readonly string[] = []): { values: Values; positionals: string[] } {
  for (let i = 0; i < argv.length - 1; i++) {
    const name = /^--([^=]+)$/.exec(argv[i] as string)?.[1];
    const next = argv[i + 1] as string;
    if (argv[i] === '--') break;
    if (name === undefined || options[name]?.type !== 'string' || !/^-\d/.test(next)) continue;
    if (numeric.includes(name)) throw new UsageError(`--${name} must be a positive integer, got ${JSON.stringify(next)}`);
    throw new UsageError(`--${name} needs a value, got ${JSON.stringify(next)} (write --${name}=${next} if that is the value)`);
  }
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Values, positionals };
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}

/** A non-empty string flag value, or undefined when the flag is absent. */
export function stringFlag(values: Values, name: string): string | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} needs a value`);
  return v;
}

/** A positive integer flag value, or undefined when the flag is absent. */
export function intFlag(values: Values, name: string): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

export const isTty = (): boolean => process.stderr.isTTY === true;
