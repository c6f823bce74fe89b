/**
 * The common schema of table `events`, written once.
 *
 * Every other view of the schema — the TypeScript record type, the Parquet schema, the Glue
 * columns and `docs/schema.md` — is derived from this table, so a column added here appears
 * everywhere at once. Names are the contract with Athena users: add, never rename.
 */

/** Logical column types; each maps to one Parquet physical type and one Athena type. */
export const COLUMN_TYPES = {
  timestamp: { athena: 'timestamp', doc: 'timestamp (UTC, ms)' },
  string: { athena: 'string', doc: 'string' },
  int: { athena: 'int', doc: 'int' },
  bigint: { athena: 'bigint', doc: 'bigint' },
  double: { athena: 'double', doc: 'double' },
  map: { athena: 'map<string,string>', doc: 'map<string,string>' },
} as const;

export type ColumnType = keyof typeof COLUMN_TYPES;

interface ColumnDef {
  readonly name: string;
  readonly type: ColumnType;
  /** Set by the pipeline for every row, never by a parser. */
  readonly stamped?: boolean;
  /** Never null in a written row. */
  readonly required?: boolean;
  readonly doc: string;
}

/** Data columns in file order. */
export const COLUMNS = [
  { name: 'time', type: 'timestamp', required: true, doc: 'when the event happened' },
  {
    name: 'category',
    type: 'string',
    required: true,
    doc: '`api_activity`, `http_activity`, `network_activity`, `config_state`, `cost_usage`, `database_activity`',
  },
  { name: 'account_id', type: 'string', doc: 'AWS account the event belongs to' },
  { name: 'region', type: 'string', doc: 'AWS region, or `global`' },
  { name: 'actor', type: 'string', doc: 'who acted: principal ARN, requester, DB user, client id' },
  { name: 'actor_type', type: 'string', doc: 'e.g. `IAMUser`, `AssumedRole`, `Root`, `AWSService`, `Anonymous`' },
  { name: 'action', type: 'string', doc: 'what was done: API name, HTTP method, S3 operation, config change type' },
  { name: 'resource', type: 'string', doc: 'what it was done to: ARN, `bucket/key`, URL, resource id' },
  { name: 'resource_type', type: 'string', doc: 'e.g. `AWS::S3::Object`, `AWS::EC2::SecurityGroup`, load balancer' },
  { name: 'src_ip', type: 'string', doc: 'source IPv4 or IPv6 address' },
  { name: 'dst_ip', type: 'string', doc: 'destination IPv4 or IPv6 address' },
  { name: 'src_port', type: 'int', doc: 'source port' },
  { name: 'dst_port', type: 'int', doc: 'destination port' },
  { name: 'user_agent', type: 'string', doc: 'user agent of the caller' },
  { name: 'status', type: 'string', doc: 'HTTP status, error code, `ACCEPT`/`REJECT`, config status' },
  { name: 'outcome', type: 'string', required: true, doc: '`success`, `failure`, `unknown`' },
  { name: 'error', type: 'string', doc: 'error code and message, if any' },
  { name: 'bytes_in', type: 'bigint', doc: 'request bytes' },
  { name: 'bytes_out', type: 'bigint', doc: 'response bytes' },
  { name: 'duration_ms', type: 'double', doc: 'processing time in milliseconds' },
  { name: 'request_id', type: 'string', doc: "the source's own event or request id" },
  { name: 'amount', type: 'double', doc: 'billing cost' },
  { name: 'quantity', type: 'double', doc: 'billing usage amount' },
  { name: 'currency', type: 'string', doc: 'billing currency' },
  {
    name: 'tags',
    type: 'map',
    doc: 'resource tags (billing `user:` tags, Config tags); an empty map, never NULL, when there are none, so `cardinality(tags) = 0` finds those rows',
  },
  {
    name: 'fields',
    type: 'map',
    doc: 'every source field not mapped above, under its AWS name; an empty map, never NULL, when there are none',
  },
  { name: 'raw', type: 'string', stamped: true, doc: 'the original line or JSON record' },
  {
    name: 'object',
    type: 'string',
    stamped: true,
    required: true,
    doc: '`s3://bucket/key` (or local path) of the source file, with `?versionId=` when known',
  },
  { name: 'ordinal', type: 'bigint', stamped: true, required: true, doc: 'position of the record in its source object (1-based)' },
  {
    name: 'record_id',
    type: 'string',
    stamped: true,
    required: true,
    doc: 'deterministic id from (object identity, ordinal): identical on every replay',
  },
  { name: 'ingested_at', type: 'timestamp', stamped: true, required: true, doc: 'when it was normalized' },
  {
    name: 'parser_version',
    type: 'string',
    stamped: true,
    required: true,
    doc: 'format parser and its version, e.g. `alb@3`',
  },
] as const satisfies readonly ColumnDef[];

export type Column = (typeof COLUMNS)[number];
export type ColumnName = Column['name'];

/** Partition keys, in path order; they are not stored inside the Parquet files. */
export const PARTITION_KEYS = [
  { name: 'source', type: 'string', doc: 'log type (see `SOURCES`)' },
  { name: 'dt', type: 'string', doc: '`YYYY-MM-DD`, UTC day of the event time' },
] as const;

/** Columns of the `errors` table (rejected lines), `source` and `dt` being its partitions. */
export const ERROR_COLUMNS = [
  { name: 'object', type: 'string', doc: 'source object of the rejected line' },
  { name: 'ordinal', type: 'bigint', doc: 'line or record position in the object (1-based)' },
  { name: 'reason', type: 'string', doc: 'closed snake_case reason code (see `REJECT_REASONS`)' },
  { name: 'detail', type: 'string', doc: 'human-readable detail: what came, what was expected' },
  { name: 'raw', type: 'string', doc: 'the raw text of the line (truncated for oversized lines)' },
] as const;
