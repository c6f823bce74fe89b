/**
 * The one check every record passes between its parser and a writer, so that the writer never
 * throws on data and one odd value never costs the object. The rules, per column (documented
 * in docs/schema.md):
 *
 * - `time` must be a finite epoch-ms number inside `EVENT_TIME_RANGE`; otherwise the record is
 *   rejected (`bad_timestamp` / `time_out_of_range`, the original line kept in `errors/`).
 *   Sub-millisecond fractions are cut to the millisecond, the column's precision.
 * - `category` and `outcome` must be values of their vocabularies; otherwise the record is
 *   rejected as `parser_error` (a parser bug, never a property of the input).
 * - Any other typed column whose value does not fit its type — an `int` outside int32, a
 *   `bigint` that is not a safe integer (`1.5`, `1e30`), a `double` that is NaN or infinite, a
 *   string longer than `MAX_TYPED_STRING_CHARS`, a value of the wrong JavaScript type — is set
 *   to null and its text is kept in `fields` under `_invalid.<column>`: the event is real, only
 *   that one value is unusable, and nothing of it is lost.
 */
import { COLUMNS } from './columns.js';
import { EARLIEST_EVENT_MS, latestEventMsExclusive } from './limits.js';
import type { EventFields } from './record.js';
import { CATEGORIES, OUTCOMES, type RejectReason } from './vocabulary.js';

/** Longest text a typed string column takes; longer text stays in `fields` (`raw` and `fields` have no cap). */
export const MAX_TYPED_STRING_CHARS = 64 * 1024;

/** `fields` key prefix under which a value that did not fit its typed column is kept. */
export const INVALID_FIELD_PREFIX = '_invalid.';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const CATEGORY_SET: ReadonlySet<string> = new Set(CATEGORIES);
const OUTCOME_SET: ReadonlySet<string> = new Set(OUTCOMES);

type Check = (v: unknown) => boolean;

const fitsString: Check = (v) => typeof v === 'string' && v.length <= MAX_TYPED_STRING_CHARS;
const fitsInt: Check = (v) => typeof v === 'number' && Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX;
const fitsBigint: Check = (v) => typeof v === 'number' && Number.isSafeInteger(v);
const fitsDouble: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const fitsMap: Check = (v) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  for (const k in v) if (typeof (v as Record<string, unknown>)[k] !== 'string') return false;
  return true;
};

const CHECKS = { string: fitsString, int: fitsInt, bigint: fitsBigint, double: fitsDouble, map: fitsMap } as const;

/** The optional typed columns a parser may set, with the check of their type. */
const OPTIONAL: ReadonlyArray<readonly [string, Check]> = COLUMNS.filter(
  (c) => !('stamped' in c && c.stamped) && !('required' in c && c.required),
).map((c) => [c.name, CHECKS[c.type as keyof typeof CHECKS]] as const);

/** What the validator decided for a record it could not keep. */
export interface Rejection {
  readonly reason: RejectReason;
  readonly detail: string;
}

/** The accepted range of `time` for one run, from `EARLIEST_EVENT_MS` to `latestEventMsExclusive(now)`. */
export interface TimeBounds {
  readonly earliestMs: number;
  readonly latestMsExclusive: number;
}

function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function dayText(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}

/**
 * Checks `record` in place: returns null when it may be written (after moving values that do
 * not fit into `fields`), or the reason to reject it. `invalid` counts moved values by column.
 */
export function validateRecord(record: EventFields, bounds: TimeBounds, invalid: Record<string, number>): Rejection | null {
  const time: unknown = record.time;
  if (typeof time !== 'number' || !Number.isFinite(time)) {
    return { reason: 'bad_timestamp', detail: `the parser returned a time that is not a finite number: ${textOf(time).slice(0, 40)}` };
  }
  if (time < bounds.earliestMs || time >= bounds.latestMsExclusive) {
    return {
      reason: 'time_out_of_range',
      detail: `event time ${dayText(time)} is outside ${dayText(bounds.earliestMs).slice(0, 10)} … ${dayText(bounds.latestMsExclusive - 1).slice(0, 10)}, the days every reader of the lake sees`,
    };
  }
  if (!Number.isInteger(time)) record.time = Math.floor(time);
  if (!CATEGORY_SET.has(record.category)) return { reason: 'parser_error', detail: `category ${textOf(record.category).slice(0, 40)} is not in the vocabulary` };
  if (!OUTCOME_SET.has(record.outcome)) return { reason: 'parser_error', detail: `outcome ${textOf(record.outcome).slice(0, 40)} is not in the vocabulary` };
  const row = record as unknown as Record<string, unknown>;
  for (const [name, fits] of OPTIONAL) {
    const v = row[name];
    if (v === undefined || v === null || fits(v)) continue;
    row[name] = null;
    if (name === 'fields' || name === 'tags') {
      // A broken map cannot keep its own text in itself; its valid entries are lost to the typed
      // view, but `raw` still holds the line.
      invalid[name] = (invalid[name] ?? 0) + 1;
      continue;
    }
    let fields = row.fields as Record<string, string> | null | undefined;
    if (typeof fields !== 'object' || fields === null) row.fields = fields = {};
    fields[`${INVALID_FIELD_PREFIX}${name}`] = textOf(v);
    invalid[name] = (invalid[name] ?? 0) + 1;
  }
  return null;
}

/** The bounds for a run whose clock reads `nowMs`. */
export function timeBounds(nowMs: number): TimeBounds {
  return { earliestMs: EARLIEST_EVENT_MS, latestMsExclusive: latestEventMsExclusive(nowMs) };
}
