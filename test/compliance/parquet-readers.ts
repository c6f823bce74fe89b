/**
 * Two Parquet readers that share no code with each other or with our writer: DuckDB (C++) and
 * parquet-wasm (arrow-rs compiled to WebAssembly, read through Arrow IPC with apache-arrow).
 * Each file is read by both and brought to one plain form per logical column type, so any value
 * one of them reads differently — a timestamp unit, a map entry, a null, a double — shows up.
 */
import { readFileSync } from 'node:fs';
import { TimeUnit, Type, tableFromIPC, type Table } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { COLUMNS } from '../../schema/index.js';
import type { Duck, Row } from './harness.js';

type Plain = string | number | bigint | null | Array<{ key: string; value: string | null }>;

/** Milliseconds of an Arrow timestamp value in `unit`. */
function arrowMillis(v: unknown, unit: TimeUnit): number {
  const n = typeof v === 'bigint' ? Number(v) : (v as number);
  if (unit === TimeUnit.SECOND) return n * 1000;
  if (unit === TimeUnit.MICROSECOND) return n / 1000;
  if (unit === TimeUnit.NANOSECOND) return n / 1e6;
  return n;
}

/** A Parquet file as parquet-wasm reads it: column names in file order and plain rows. */
export function readWithParquetWasm(path: string): { columns: string[]; rows: Array<Record<string, Plain>> } {
  const table: Table = tableFromIPC(readParquet(readFileSync(path)).intoIPCStream());
  const fields = table.schema.fields;
  const rows: Array<Record<string, Plain>> = Array.from({ length: table.numRows }, () => ({}));
  for (const field of fields) {
    const vector = table.getChild(field.name);
    if (vector === null) throw new Error(`parquet-wasm: no column ${field.name}`);
    const type = field.type as { unit?: TimeUnit };
    for (let i = 0; i < table.numRows; i++) {
      const v: unknown = vector.get(i);
      let plain: Plain;
      if (v === null || v === undefined) plain = null;
      else if (field.typeId === Type.Timestamp) plain = arrowMillis(v, type.unit ?? TimeUnit.MILLISECOND);
      else if (field.typeId === Type.Map) plain = [...(v as Iterable<[string, string | null]>)].map(([key, value]) => ({ key, value }));
      else plain = v as string | number | bigint;
      (rows[i] as Record<string, Plain>)[field.name] = plain;
    }
  }
  return { columns: fields.map((f) => f.name), rows };
}

/** The same file as DuckDB reads it, in the same plain form. */
export async function readWithDuckDb(duck: Duck, path: string): Promise<{ columns: string[]; rows: Array<Record<string, Plain>> }> {
  const { columns, rows } = await duck.js(`SELECT * FROM read_parquet('${path.replaceAll("'", "''")}', hive_partitioning = false)`);
  const plain = rows.map((r: Row) => {
    const out: Record<string, Plain> = {};
    for (const c of columns) {
      const v = r[c];
      if (v === null || v === undefined) out[c] = null;
      else if (v instanceof Date) out[c] = v.getTime();
      else if (Array.isArray(v)) out[c] = (v as Array<{ key: string; value: string | null }>).map((e) => ({ key: e.key, value: e.value }));
      else out[c] = v as string | number | bigint;
    }
    return out;
  });
  return { columns, rows: plain };
}

/** The columns every data file must hold, in schema order. */
export const SCHEMA_COLUMNS: readonly string[] = COLUMNS.map((c) => c.name);
