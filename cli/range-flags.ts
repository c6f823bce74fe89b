/**
 * What the verbs that work on a range of S3 history read from the command line: the
 * `s3://bucket/prefix/` target and the `--from`/`--to` days (`loglake replay`, `loglake verify`).
 */
import { isDay } from '../pipeline/index.js';
import { UsageError, type Values } from './args.js';

export interface S3Target {
  readonly bucket: string;
  /** `''` or ending in `/`. */
  readonly prefix: string;
}

/** `s3://bucket[/prefix]` as a bucket and a prefix ending in `/`. */
export function s3Target(text: string): S3Target {
  const m = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(text);
  if (!m) throw new UsageError(`expected s3://bucket/prefix/, got ${JSON.stringify(text)}`);
  const bucket = m[1] as string;
  if (bucket === '') throw new UsageError(`the bucket is missing in ${JSON.stringify(text)}`);
  let prefix = m[2] ?? '';
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  return { bucket, prefix };
}

/** A `--<name> YYYY-MM-DD` day, or undefined when the flag is absent. */
export function dayFlag(values: Values, name: string): string | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !isDay(v)) throw new UsageError(`--${name} must be a day YYYY-MM-DD, got ${JSON.stringify(v)}`);
  return v;
}
