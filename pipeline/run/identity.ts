/**
 * Deterministic names: the same object always gets the same id, output keys and record ids,
 * so SQS redelivery and replays rewrite rather than duplicate.
 */
import { createHash } from 'node:crypto';
import { LAKE_PREFIXES } from '../../schema/lake-layout.js';
import type { ObjectRef } from '../storage/storage.js';

/** 20 hex characters (80 bits) of SHA-256 over (bucket, key); the version is deliberately excluded. */
export function objectId(ref: ObjectRef): string {
  return createHash('sha256').update(ref.bucket).update('\n').update(ref.key).digest('hex').slice(0, 20);
}

/** `record_id` of the record at `ordinal` in an object. */
export function recordId(id: string, ordinal: number): string {
  return `${id}-${ordinal}`;
}

/** A value made safe for one path segment of an output key. */
export function keySegment(value: string | null | undefined, fallback: string): string {
  if (!value) return fallback;
  const cleaned = value.replace(/[^A-Za-z0-9._-]/g, '-');
  return cleaned === '' ? fallback : cleaned;
}

/**
 * An account or region taken from a record, made safe for a file name. An account id has 12
 * digits, a region name about 15 characters: anything much longer is a damaged value, and would
 * make a name no file system or S3 accepts (over 255 bytes), so it names the file `fallback`;
 * the record keeps the value in its column.
 */
export function accountRegionSegment(value: string | null | undefined, fallback: string): string {
  return value && value.length > MAX_KEY_SEGMENT ? fallback : keySegment(value, fallback);
}

/** Longest account or region value used in a file name. */
export const MAX_KEY_SEGMENT = 64;

/**
 * `lake/source=<source>/dt=<dt>/<account>_<region>_<object-id>_<part>.parquet`. Every prefix
 * comes from `schema/lake-layout.ts`, from which the deployed role's grants are derived too.
 */
export function lakeKey(source: string, dt: string, account: string, region: string, id: string, part: number): string {
  return `${LAKE_PREFIXES.lake}source=${source}/dt=${dt}/${account}_${region}_${id}_${String(part).padStart(4, '0')}.parquet`;
}

/**
 * `errors/source=<source>/dt=<dt>/<object-id>.jsonl.gz`; a continuation run (part > 0) writes
 * `<object-id>_<part>.jsonl.gz` so it never overwrites the rejections of the runs before it.
 */
export function errorsKey(source: string, dt: string, id: string, part = 0): string {
  const suffix = part === 0 ? '' : `_${String(part).padStart(4, '0')}`;
  return `${LAKE_PREFIXES.errors}source=${source}/dt=${dt}/${id}${suffix}.jsonl.gz`;
}

/** `manifests/<source>/<object-id>.json` */
export function manifestKey(source: string, id: string): string {
  return `${LAKE_PREFIXES.manifests}${source}/${id}.json`;
}

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` (UTC) of an epoch-ms time, memoizing the last day since logs are time-ordered. */
export class DayFormatter {
  private start = 0;
  private end = -1;
  private text = '';

  format(timeMs: number): string {
    if (timeMs >= this.start && timeMs < this.end) return this.text;
    this.start = Math.floor(timeMs / DAY_MS) * DAY_MS;
    this.end = this.start + DAY_MS;
    this.text = new Date(this.start).toISOString().slice(0, 10);
    return this.text;
  }
}

/**
 * Account and region from an `AWSLogs/<account>/<service>/<region>/` key, or from the log stream
 * ARN that names a CloudWatch Logs virtual object, when it has them.
 */
export function accountRegionFromKey(key: string): { account: string | null; region: string | null } {
  // A CloudWatch Logs virtual object is named after its log stream's ARN (parsers/cwlogs.ts).
  const arn = /^arn:aws[a-z-]*:logs:([a-z0-9-]*):(\d{12}):log-group:/.exec(key);
  if (arn) return { account: arn[2] ?? null, region: arn[1] || null };
  const m = /(?:^|\/)AWSLogs\/(?:o-[a-z0-9]+\/)?(\d{12})\/[^/]+\/([a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d)\//.exec(key);
  return m ? { account: m[1] ?? null, region: m[2] ?? null } : { account: null, region: null };
}

/** `YYYY-MM-DD` from a `/YYYY/MM/DD/` key segment, when the key has one. */
export function dayFromKey(key: string): string | null {
  const m = /\/(\d{4})\/(\d{2})\/(\d{2})\//.exec(key);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : null;
}
