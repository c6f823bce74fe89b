/**
 * Golden pairs: `samples/<format>/<case>.<ext>[.gz]` beside `<case>.expected.jsonl` (rows) and
 * `<case>.rejects.jsonl` (rejected lines). Cases are discovered, not listed; the pipeline runs
 * for real into a temporary lake and the rows are read back from Parquet with DuckDB.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { LakeQuery, type QueryRow } from '../../query/lake-query.js';
import { LocalLakeSink, LocalSource } from '../../pipeline/storage/local-storage.js';
import type { Manifest } from '../../pipeline/run/manifest.js';
import { resolveOptions } from '../../pipeline/run/options.js';
import { processObject } from '../../pipeline/index.js';

export const SAMPLES = new URL('../../samples/', import.meta.url).pathname;
const GOLDEN_SUFFIXES = ['.expected.jsonl', '.rejects.jsonl'];
const NOT_INPUT = /\.(md|expected\.jsonl|rejects\.jsonl)$/;

/** Every sample input file under `samples/`, relative paths, sorted. */
export function sampleInputs(root = SAMPLES): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!NOT_INPUT.test(name)) out.push(relative(root, path));
    }
  };
  walk(root);
  return out;
}

/** `<case>` path without its data extensions, where the golden files of an input live. */
export function goldenStem(input: string): string {
  return input.replace(/(\.(log|json|jsonl|ndjson|txt|csv|gz|zip))+$/, '');
}

export const goldenPaths = (input: string): { expected: string; rejects: string } => {
  const stem = join(SAMPLES, goldenStem(input));
  return { expected: `${stem}${GOLDEN_SUFFIXES[0]}`, rejects: `${stem}${GOLDEN_SUFFIXES[1]}` };
};

/**
 * The clock of every golden run (the golden test and `npm run goldens`): rejection details name
 * the last day the lake accepts (the day after the clock's today, see EVENT_TIME_RANGE), and an
 * errors file with no day of its own is filed under the clock's day, so a run on the wall clock
 * wrote goldens that failed the next day. Fixed at the day the goldens were first written; a
 * sample with events after the day after this one would be rejected as time_out_of_range.
 */
export const GOLDEN_NOW = Date.parse('2026-12-02T00:00:00Z');

/** Columns that depend on where and when the run happened, left out of goldens. */
const VOLATILE = ['object', 'record_id', 'ingested_at'];

function mapToObject(v: unknown): unknown {
  if (!Array.isArray(v)) return v;
  const o: Record<string, unknown> = {};
  for (const e of v as Array<{ key: string; value: unknown }>) o[e.key] = e.value;
  return o;
}

/** A row as goldens store it: stable key order, maps as objects, ordinals as numbers. */
export function goldenRow(row: QueryRow): QueryRow {
  const out: QueryRow = {};
  for (const [k, v] of Object.entries(row)) {
    if (VOLATILE.includes(k)) continue;
    if (k === 'tags' || k === 'fields') out[k] = mapToObject(v);
    else if ((k === 'ordinal' || k === 'bytes_in' || k === 'bytes_out') && typeof v === 'string') out[k] = Number(v);
    else out[k] = v;
  }
  return out;
}

export interface CaseResult {
  readonly manifest: Manifest;
  readonly rows: QueryRow[];
  readonly rejects: QueryRow[];
}

/** Runs one sample through the real pipeline and reads everything it wrote back. */
export async function runSample(input: string, root = SAMPLES): Promise<CaseResult> {
  const lake = mkdtempSync(join(tmpdir(), 'loglake-golden-'));
  try {
    const deps = { source: new LocalSource(), sink: new LocalLakeSink(lake), options: resolveOptions(), now: () => GOLDEN_NOW };
    const { manifest } = await processObject({ bucket: '', key: join(root, input) }, deps);
    // Ordinals count within one object; the virtual objects of a CloudWatch Logs payload object
    // each count from 1, so their rows are ordered by record id (object id, ordinal) after that.
    const q = await LakeQuery.open(lake);
    try {
      const rows = (await q.rows('SELECT * FROM events ORDER BY ordinal, record_id')).rows.map(goldenRow);
      const rejects = (await q.rows('SELECT source, dt, ordinal, reason, detail, raw FROM errors ORDER BY ordinal, object')).rows.map((r) => ({
        ...r,
        ordinal: Number(r.ordinal),
        dt: r.dt,
      }));
      return { manifest, rows, rejects };
    } finally {
      q.close();
    }
  } finally {
    rmSync(lake, { recursive: true, force: true });
  }
}

export const toJsonl = (rows: readonly QueryRow[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
