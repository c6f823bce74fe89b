/**
 * Columns of the `objects` table: one row per object manifest (`manifests/<source>/<object-id>.json`,
 * one JSON document per line, see `pipeline/run/manifest.ts`), with the type each engine reads it
 * as. The Glue table (`infra/catalog.ts`) and the DuckDB view (`query/lake-query.ts`) are both
 * built from this list, and a test holds it equal to the fields of the `Manifest` interface.
 *
 * `outputs`, `publication`, `damage` and `resume` are JSON text (Athena:
 * `json_extract_scalar(damage, '$.reason')`; DuckDB: `damage->>'$.reason'`): `outputs` holds a
 * field named `key` and the others are optional objects whose shape may grow, which a struct
 * type would pin. Counts by reason are maps, so `element_at(rejected_by_reason, 'bad_time')`
 * works in both engines.
 */
import type { REPLAY_COLUMNS } from './glue.js';

/** A column of a JSON-lines table, typed for each engine (the shape of `REPLAY_COLUMNS`). */
export type JsonTableColumn = (typeof REPLAY_COLUMNS)[number];

const text = <N extends string>(name: N, comment: string) => ({ name, athena: 'string', duckdb: 'VARCHAR', comment }) as const;
const count = <N extends string>(name: N, comment: string) => ({ name, athena: 'bigint', duckdb: 'BIGINT', comment }) as const;
const json = <N extends string>(name: N, comment: string) => ({ name, athena: 'string', duckdb: 'JSON', comment }) as const;
const byReason = <N extends string>(name: N, comment: string) => ({ name, athena: 'map<string,bigint>', duckdb: 'MAP(VARCHAR, BIGINT)', comment }) as const;
const keys = <N extends string>(name: N, comment: string) => ({ name, athena: 'array<string>', duckdb: 'VARCHAR[]', comment }) as const;

/** The manifest's fields in the order the worker writes them. */
export const MANIFEST_COLUMNS = [
  { name: 'manifest_version', athena: 'int', duckdb: 'INTEGER', comment: 'manifest format version (1)' },
  text('object', 's3://bucket/key of the source object'),
  text('object_id', 'digest of bucket and key: the name of the object’s outputs'),
  text('bucket', 'source bucket'),
  text('key', 'source object key'),
  text('version_id', 'S3 version id read, when the bucket is versioned'),
  text('etag', 'ETag read; a replay skips an object whose ETag and parser version are unchanged'),
  text('source', 'source partition the records went to; null when nothing parsed the object'),
  text('parser_id', 'parser that read the object'),
  text('parser_version', '<parser-id>@<version>'),
  text('routed_by', 'rule, key or content'),
  text('status', 'ok, ignored, failed, partial or damaged'),
  text('reason', 'why ignored (e.g. cloudtrail-digest) or failed (an error code)'),
  text('error', 'the error message of a failed object'),
  text('compression', 'gzip, zip, parquet, none or empty'),
  count('entries', 'archive entries or gzip members read'),
  count('bytes_in', 'bytes read from the source'),
  count('bytes_decompressed', 'bytes after decompression'),
  count('lines_in', 'frames read: records + rejected + skipped'),
  count('records', 'rows written to the events table'),
  count('rejected', 'frames written to the errors table'),
  count('skipped', 'frames skipped on purpose (headers, comments), counted'),
  byReason('rejected_by_reason', 'rejected frames by reason'),
  byReason('skipped_by_reason', 'skipped frames by reason'),
  count('invalid_utf8_lines', 'frames with bytes that are not UTF-8'),
  json('outputs', 'JSON array of the Parquet files written: source, dt, key, rows, bytes'),
  text('errors_output', 'key of the errors file written, if any'),
  text('started_at', 'ISO 8601, when the run began'),
  text('finished_at', 'ISO 8601, when the run ended and wrote this manifest'),
  count('duration_ms', 'run time'),
  text('object_last_modified', 'ISO 8601 last-modified time of the source object: ingest lag is finished_at minus this'),
  count('schema_drift', 'frames with fields their format version does not know'),
  byReason('invalid_values', 'values kept in fields because they did not fit their column, by column'),
  json('publication', 'JSON {state, why}: staged, live or discarded (CUR report versions); null when live on write'),
  json('damage', 'JSON {reason, detail, compressed_bytes_unread} of a damaged object'),
  json('resume', 'JSON {ordinal, part, first_dt}: where the continuation of a partial run picks up'),
  keys('superseded_outputs', 'outputs of an earlier run a continued run has not replaced yet'),
  keys('earlier_errors_outputs', 'errors files of earlier runs of a continued or split object'),
  text('sha256', 'CloudTrail log objects: hex SHA-256 of the uncompressed content, the hash its digest lists'),
  text('sha256_unavailable', 'why sha256 is null: a partial run, damage or failure'),
] as const satisfies readonly JsonTableColumn[];

/** A field of the manifest, by its column name. */
export type ManifestColumnName = (typeof MANIFEST_COLUMNS)[number]['name'];
