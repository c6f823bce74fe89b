/**
 * Folder `query/`: reading a lake back, off the data path. `lake-query.ts` opens DuckDB views
 * over a local lake; `s3-lake.ts` copies an S3 lake to a temporary folder to query it there.
 * Imports `schema/` and, for errors and S3 access, the pipeline's front door only.
 *
 * Queries a lake with DuckDB through the same two tables Athena has: `events` (Parquet under
 * `lake/`, partitioned by `source` and `dt`) and `errors` (gzipped JSON lines under `errors/`).
 * DuckDB runs in-process, so a local lake needs no server and no AWS account.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';
import { COLUMNS, ERROR_COLUMNS, INTEGRITY_ROWS_PREFIX, INTEGRITY_TABLE_COLUMNS, MANIFEST_COLUMNS, REPLAY_COLUMNS, type JsonTableColumn } from '../schema/index.js';

export type QueryRow = Record<string, unknown>;

const quote = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/**
 * True when a file ending in `suffix` exists anywhere under `root/sub`. A folder alone is not
 * enough: a re-run that replaced the only errors file leaves its empty folders behind, and
 * DuckDB refuses a view over a glob that matches nothing.
 */
function hasFiles(root: string, sub: string, suffix: string): boolean {
  try {
    return readdirSync(join(root, sub), { recursive: true, encoding: 'utf8' }).some((name) => name.endsWith(suffix));
  } catch {
    return false;
  }
}

/** Empty relations with the right columns, so queries work on a lake with no data yet. */
function emptyEvents(): string {
  const cols = COLUMNS.map((c) => {
    const t = { timestamp: 'TIMESTAMPTZ', string: 'VARCHAR', int: 'INTEGER', bigint: 'BIGINT', double: 'DOUBLE', map: 'MAP(VARCHAR, VARCHAR)' }[c.type];
    return `NULL::${t} AS ${c.name}`;
  });
  return `SELECT ${cols.join(', ')}, NULL::VARCHAR AS source, NULL::VARCHAR AS dt WHERE false`;
}

function emptyErrors(): string {
  const cols = ERROR_COLUMNS.map((c) => `NULL::${c.type === 'bigint' ? 'BIGINT' : 'VARCHAR'} AS ${c.name}`);
  return `SELECT NULL::VARCHAR AS source, NULL::VARCHAR AS dt, ${cols.join(', ')} WHERE false`;
}

/**
 * A view over the JSON documents matching `glob` under `root/folder` (the `replays` run records,
 * the `objects` manifests), typed by `columns`, or no rows with the same columns.
 */
function jsonView(root: string, folder: string, glob: string, columns: readonly JsonTableColumn[]): string {
  const typed = columns.map((c) => `${c.name}: '${c.duckdb.replaceAll("'", "''")}'`).join(', ');
  return hasFiles(root, folder, '.json')
    ? `SELECT ${columns.map((c) => `"${c.name}"`).join(', ')} FROM read_json(${quote(join(root, folder, glob))}, format = 'auto', columns = {${typed}})`
    : `SELECT ${columns.map((c) => `NULL::${c.duckdb} AS "${c.name}"`).join(', ')} WHERE false`;
}

/** An open DuckDB session with `events`, `errors`, `replays`, `objects` and `integrity` views over a local lake folder. */
export class LakeQuery {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(root: string): Promise<LakeQuery> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const lake = join(root, 'lake', '**', '*.parquet');
    const errors = join(root, 'errors', '**', '*.jsonl.gz');
    const columns = COLUMNS.map((c) => c.name).join(', ');
    // hive_types keeps dt a string, as in the Glue table; union_by_name tolerates files written
    // before a column was added.
    const events = hasFiles(root, 'lake', '.parquet')
      ? `SELECT ${columns}, source, dt FROM read_parquet(${quote(lake)}, hive_partitioning = true, union_by_name = true, hive_types = {'source': VARCHAR, 'dt': VARCHAR})`
      : emptyEvents();
    const errorCols = ERROR_COLUMNS.map((c) => `${c.name}: '${c.type === 'bigint' ? 'BIGINT' : 'VARCHAR'}'`).join(', ');
    const errorsView = hasFiles(root, 'errors', '.jsonl.gz')
      ? `SELECT source, dt, ${ERROR_COLUMNS.map((c) => c.name).join(', ')} FROM read_json(${quote(errors)}, format = 'newline_delimited', columns = {${errorCols}}, hive_partitioning = true, hive_types = {'source': VARCHAR, 'dt': VARCHAR})`
      : emptyErrors();
    await connection.run(`CREATE VIEW events AS ${events}`);
    await connection.run(`CREATE VIEW errors AS ${errorsView}`);
    await connection.run(`CREATE VIEW replays AS ${jsonView(root, 'replays', '*.json', REPLAY_COLUMNS)}`);
    await connection.run(`CREATE VIEW objects AS ${jsonView(root, 'manifests', '*/*.json', MANIFEST_COLUMNS)}`);
    await connection.run(`CREATE VIEW integrity AS ${jsonView(root, INTEGRITY_ROWS_PREFIX.slice(0, -1), '*.json', INTEGRITY_TABLE_COLUMNS)}`);
    // Athena's names for what the named queries over `objects` use, so they run here unchanged.
    await connection.run('CREATE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)');
    await connection.run('CREATE MACRO approx_percentile(x, p) AS approx_quantile(x, p)');
    await connection.run('CREATE MACRO json_extract_scalar(j, path) AS json_extract_string(j, path)');
    return new LakeQuery(instance, connection);
  }

  /** Runs SQL and returns rows as JSON-safe objects (timestamps as ISO text, bigints as numbers when safe). */
  async rows(sql: string): Promise<{ columns: string[]; rows: QueryRow[] }> {
    const reader = await this.connection.runAndReadAll(sql);
    return { columns: reader.columnNames(), rows: reader.getRowObjectsJson() as QueryRow[] };
  }

  /** How many statements `sql` holds; throws DuckDB's parser error when it does not parse. */
  async statementCount(sql: string): Promise<number> {
    return (await this.connection.extractStatements(sql)).count;
  }

  /**
   * Runs SQL and streams its result: the column names, then the rows one DuckDB chunk (about
   * 2,048 rows) at a time, so a result of any size is read in flat memory. Runs the first
   * statement only: check `statementCount` first.
   */
  async stream(sql: string): Promise<{ columns: string[]; chunks: AsyncIterable<DuckDBValue[][]> }> {
    const result = await this.connection.stream(sql);
    return { columns: result.deduplicatedColumnNames(), chunks: result.yieldRows() };
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
