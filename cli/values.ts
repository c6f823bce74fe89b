/**
 * DuckDB values as JSON values for query output: integers as numbers while a double holds them
 * exactly (larger ones as strings), maps as objects, timestamps in ISO 8601, decimals as numbers.
 */
import {
  DuckDBArrayValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBValue,
} from '@duckdb/node-api';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** ISO 8601 of microseconds since the epoch (`Z` when the value is an instant), or null past a Date's range. */
function isoFromMicros(micros: bigint, zone: boolean): string | null {
  let ms = micros / 1000n;
  let rest = micros % 1000n;
  if (rest < 0n) {
    ms -= 1n;
    rest += 1000n;
  }
  const d = new Date(Number(ms));
  if (Number.isNaN(d.getTime())) return null;
  const iso = d.toISOString().slice(0, -1) + (rest === 0n ? '' : rest.toString().padStart(3, '0'));
  return zone ? `${iso}Z` : iso;
}

const timestamp = (micros: bigint, zone: boolean, text: () => string): string => isoFromMicros(micros, zone) ?? text();

/** One DuckDB value as a JSON value. */
export function toJson(v: DuckDBValue): JsonValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : v.toString();
  if (v instanceof DuckDBTimestampTZValue) return timestamp(v.micros, true, () => v.toString());
  if (v instanceof DuckDBTimestampValue) return timestamp(v.micros, false, () => v.toString());
  if (v instanceof DuckDBTimestampMillisecondsValue) return timestamp(v.millis * 1000n, false, () => v.toString());
  if (v instanceof DuckDBTimestampSecondsValue) return timestamp(v.seconds * 1_000_000n, false, () => v.toString());
  if (v instanceof DuckDBTimestampNanosecondsValue) return timestamp(v.nanos / 1000n, false, () => v.toString());
  if (v instanceof DuckDBDecimalValue) return v.toDouble();
  if (v instanceof DuckDBMapValue) {
    const o: { [key: string]: JsonValue } = {};
    for (const e of v.entries) o[typeof e.key === 'string' ? e.key : String(toJson(e.key))] = toJson(e.value);
    return o;
  }
  if (v instanceof DuckDBListValue || v instanceof DuckDBArrayValue) return v.items.map(toJson);
  if (v instanceof DuckDBStructValue) {
    const o: { [key: string]: JsonValue } = {};
    for (const [k, x] of Object.entries(v.entries)) o[k] = toJson(x);
    return o;
  }
  // Dates, times, intervals, UUIDs, blobs…: DuckDB's own text, which is ISO 8601 for dates and times.
  return v.toString();
}
