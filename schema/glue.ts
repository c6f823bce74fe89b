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
 * Columns of the `replays` table: one row per replay run record (`replays/<run-id>.json`, a JSON
 * document, see `pipeline/replay/record.ts`), nested as stored, with the type each engine reads
 * it as. `skipped` is a map because its keys (`not-older-parser`) are not valid field names.
 */
export const REPLAY_COLUMNS: ReadonlyArray<{ readonly name: string; readonly athena: string; readonly duckdb: string; readonly comment: string }> = [
  { name: 'run_id', athena: 'string', duckdb: 'VARCHAR', comment: 'run id: start time (UTC) and a random suffix' },
  { name: 'mode', athena: 'string', duckdb: 'VARCHAR', comment: 'queue (loglake replay --queue/--stack), deployed (the replay function) or poll (its schedule)' },
  { name: 'status', athena: 'string', duckdb: 'VARCHAR', comment: 'running, done, cancelled or failed' },
  {
    name: 'params',
    athena: 'struct<bucket:string,prefix:string,from:string,to:string,source:string,account:string,region:string,force:boolean,parserOlderThan:string,rate:double,window:string>',
    duckdb: 'STRUCT(bucket VARCHAR, prefix VARCHAR, "from" VARCHAR, "to" VARCHAR, source VARCHAR, account VARCHAR, region VARCHAR, force BOOLEAN, parserOlderThan VARCHAR, rate DOUBLE, "window" VARCHAR)',
    comment: 'what was asked: bucket, prefix, day range, filters, force, parserOlderThan, rate, window',
  },
  { name: 'queue_url', athena: 'string', duckdb: 'VARCHAR', comment: 'queue the messages went to' },
  { name: 'started_at', athena: 'string', duckdb: 'VARCHAR', comment: 'ISO 8601' },
  { name: 'updated_at', athena: 'string', duckdb: 'VARCHAR', comment: 'ISO 8601, last record write' },
  { name: 'ended_at', athena: 'string', duckdb: 'VARCHAR', comment: 'ISO 8601; null while running' },
  { name: 'windows', athena: 'int', duckdb: 'INTEGER', comment: 'days or months of the range, worked in order' },
  { name: 'cursor', athena: 'struct<window:int,after:string>', duckdb: 'STRUCT("window" INTEGER, "after" VARCHAR)', comment: 'window being worked and the last key decided in it' },
  { name: 'listed', athena: 'struct<objects:bigint,bytes:bigint>', duckdb: 'STRUCT(objects BIGINT, bytes BIGINT)', comment: 'objects listed in range' },
  { name: 'skipped', athena: 'map<string,bigint>', duckdb: 'MAP(VARCHAR, BIGINT)', comment: 'objects skipped, by rule (unchanged, not-older-parser)' },
  { name: 'enqueued', athena: 'struct<objects:bigint,bytes:bigint>', duckdb: 'STRUCT(objects BIGINT, bytes BIGINT)', comment: 'objects sent to the replay queue' },
  { name: 'batches', athena: 'bigint', duckdb: 'BIGINT', comment: 'SendMessageBatch calls' },
  { name: 'retried_entries', athena: 'bigint', duckdb: 'BIGINT', comment: 'entries sent again after SQS refused them' },
  { name: 'fallback_prefixes', athena: 'array<string>', duckdb: 'VARCHAR[]', comment: 'prefixes listed whole and filtered by LastModified' },
  { name: 'errors', athena: 'array<struct<at:string,key:string,message:string>>', duckdb: 'STRUCT("at" VARCHAR, "key" VARCHAR, message VARCHAR)[]', comment: 'first errors of the run' },
  { name: 'errors_total', athena: 'bigint', duckdb: 'BIGINT', comment: 'all errors of the run' },
  { name: 'invocations', athena: 'int', duckdb: 'INTEGER', comment: 'invocations or CLI sessions that worked on the run' },
];
