/**
 * Glue / Athena column lists of the `events` and `errors` tables, derived from the schema.
 * `infra/` builds the tables from these; nothing else spells a column type for Athena.
 */
import { COLUMNS, COLUMN_TYPES, ERROR_COLUMNS, PARTITION_KEYS } from './columns.js';

export interface GlueColumn {
  readonly name: string;
  readonly type: string;
  readonly comment: string;
}

const strip = (doc: string): string => doc.replaceAll('`', '');

/** Data columns of `events` as Glue declares them. */
export function glueColumns(): GlueColumn[] {
  return COLUMNS.map((c) => ({ name: c.name, type: COLUMN_TYPES[c.type].athena, comment: strip(c.doc) }));
}

/** Partition keys shared by `events` and `errors`. */
export function gluePartitionKeys(): GlueColumn[] {
  return PARTITION_KEYS.map((c) => ({ name: c.name, type: COLUMN_TYPES[c.type].athena, comment: strip(c.doc) }));
}

/** Data columns of `errors` (JSON lines, gzip). */
export function glueErrorColumns(): GlueColumn[] {
  return ERROR_COLUMNS.map((c) => ({ name: c.name, type: COLUMN_TYPES[c.type].athena, comment: strip(c.doc) }));
}

/**
 * Columns of the `replays` table: one row per replay run record (`replays/<run-id>.json`, one
 * JSON document per line, see `pipeline/replay/record.ts`), with the type each engine reads it
 * as. `params`, `cursor` and `errors` are JSON text (Athena: `json_extract_scalar(params,
 * '$.from')`; DuckDB: `params->>'$.from'`), because their field names (`from`, `to`, `window`,
 * `key`) are reserved words a struct type would have to quote; `skipped` is a map because its
 * keys (`not-older-parser`) are not valid field names.
 */
export const REPLAY_COLUMNS: ReadonlyArray<{ readonly name: string; readonly athena: string; readonly duckdb: string; readonly comment: string }> = [
  { name: 'run_id', athena: 'string', duckdb: 'VARCHAR', comment: 'run id: start time (UTC) and a random suffix' },
  { name: 'mode', athena: 'string', duckdb: 'VARCHAR', comment: 'queue (loglake replay --queue/--stack), deployed (the replay function) or poll (its schedule)' },
  { name: 'status', athena: 'string', duckdb: 'VARCHAR', comment: 'running, done, cancelled or failed' },
  { name: 'params', athena: 'string', duckdb: 'JSON', comment: 'JSON: bucket, prefix, from, to, source, account, region, force, parserOlderThan, rate, window' },
  { name: 'queue_url', athena: 'string', duckdb: 'VARCHAR', comment: 'queue the messages went to' },
  { name: 'started_at', athena: 'string', duckdb: 'VARCHAR', comment: 'ISO 8601' },
  { name: 'updated_at', athena: 'string', duckdb: 'VARCHAR', comment: 'ISO 8601, last record write' },
  { name: 'ended_at', athena: 'string', duckdb: 'VARCHAR', comment: 'ISO 8601; null while running' },
  { name: 'windows', athena: 'int', duckdb: 'INTEGER', comment: 'days or months of the range, worked in order' },
  { name: 'cursor', athena: 'string', duckdb: 'JSON', comment: 'JSON: window being worked, the last key decided in it (after), keys sent past it (sent_ahead)' },
  { name: 'listed', athena: 'struct<objects:bigint,bytes:bigint>', duckdb: 'STRUCT(objects BIGINT, bytes BIGINT)', comment: 'objects listed in range' },
  { name: 'skipped', athena: 'map<string,bigint>', duckdb: 'MAP(VARCHAR, BIGINT)', comment: 'objects skipped, by rule (unchanged, not-older-parser)' },
  { name: 'enqueued', athena: 'struct<objects:bigint,bytes:bigint>', duckdb: 'STRUCT(objects BIGINT, bytes BIGINT)', comment: 'objects sent to the replay queue' },
  { name: 'batches', athena: 'bigint', duckdb: 'BIGINT', comment: 'SendMessageBatch calls' },
  { name: 'retried_entries', athena: 'bigint', duckdb: 'BIGINT', comment: 'entries sent again after SQS refused them' },
  { name: 'fallback_prefixes', athena: 'array<string>', duckdb: 'VARCHAR[]', comment: 'prefixes listed whole and filtered by LastModified' },
  { name: 'errors', athena: 'string', duckdb: 'JSON', comment: 'JSON array of the first errors: at, key, message' },
  { name: 'errors_total', athena: 'bigint', duckdb: 'BIGINT', comment: 'all errors of the run' },
  { name: 'invocations', athena: 'int', duckdb: 'INTEGER', comment: 'invocations or CLI sessions that worked on the run' },
];
