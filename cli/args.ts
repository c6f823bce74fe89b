/**
 * Argument parsing shared by every verb: node's `parseArgs`, with unknown flags and bad values
 * turned into usage errors (exit code 2) that name the flag.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A usage or configuration mistake: printed with the verb's help hint, exit code 2. */
export class UsageError extends Error {
  // Literal, not the class's own name, which minification would rename (pipeline/run/errors.ts).
  override readonly name = 'UsageError';
}

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Parsed flag values: strings, booleans, or string lists for `multiple` flags. */
export type Values = Record<string, string | boolean | string[] | undefined>;

/** Parses argv for one verb; `--help` is always accepted. */
export function parse<O extends Options>(argv: readonly string[], options: O): { values: Values; positionals: string[] } {
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

/** A positive integer flag value, or undefined when the flag is absent. */
export function intFlag(values: Values, name: string): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

export const isTty = (): boolean => process.stderr.isTTY === true;
