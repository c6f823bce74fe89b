/** `loglake query`: SQL over a lake with DuckDB, through the same `events` and `errors` tables as Athena. */
import { existsSync } from 'node:fs';
import { ConfigError } from '../../pipeline/index.js';
import { LakeQuery } from '../../query/lake-query.js';
import { intFlag, parse, UsageError } from '../args.js';
import { readFile } from 'node:fs/promises';
import { csvLine, DEFAULT_MAX_WIDTH, markdownLine, TABLE_SAMPLE_ROWS, TableStream } from '../format.js';
import { pathFrom, writeOut, type Io } from '../io.js';
import { isLakeFolder } from '../lake-folder.js';
import { toJson } from '../values.js';

export const help = `usage: loglake query --lake <lake-dir | s3://bucket/[prefix/]> ("<SQL>" | --file <q.sql> | -) [options]

Runs one SQL statement with DuckDB over a lake folder. Four views exist, with the columns and
partitions of the Athena tables: "events" (every normalized record; partitions source and dt),
"errors" (rejected lines: source, dt, object, ordinal, reason, detail, raw), "replays" (one
row per replay run record: run_id, status, params, listed, skipped, enqueued, errors, …) and
"objects" (one row per object manifest: object, source, status, reason, records, rejected,
rejected_by_reason, started_at, finished_at, object_last_modified, …; docs/objects.md). Rows are streamed to
stdout as DuckDB produces them, in every format, so a result of any size prints in flat memory.

examples:
  loglake query --lake ./lake "SELECT source, outcome, count(*) AS n FROM events GROUP BY ALL ORDER BY ALL"
  loglake query --lake ./lake --file report.sql --format csv > report.csv
  echo "SELECT * FROM errors" | loglake query --lake ./lake - --format json | head

A lake in a bucket (s3://bucket/ as the worker writes it, e.g. with loglake worker) is queried
the same way: its lake/, errors/, replays/ and manifests/ objects are first copied to a temporary folder through the
AWS SDK and removed afterwards, because DuckDB's httpfs extension is not available offline.
Keep it to small lakes or a prefix; Athena is the tool for a production lake.

options:
  --lake <dir|s3://…>  lake folder written by loglake ingest, or an S3 lake (required)
  --file <q.sql>       read the SQL from a file ("-" for stdin) instead of the argument
  -                    as the SQL argument: read the SQL from stdin
  --format <f>         table (default): aligned columns, widths from the first ${TABLE_SAMPLE_ROWS} rows
                       json: one JSON object per row (integers as numbers up to 2^53, larger
                             ones as strings; maps as objects; timestamps in ISO 8601)
                       csv: RFC 4180 with a header row
                       markdown: a Markdown table
  --json               the same as --format json
  --max-width <n>      longest cell in table and markdown output, cut with "…" (default ${DEFAULT_MAX_WIDTH})
  --endpoint <url>     S3-compatible endpoint for an s3:// lake (path-style), e.g. http://127.0.0.1:4568
  --region <region>    SDK region for an s3:// lake (default: the SDK's, else us-east-1)
  -h, --help           this help

exit codes: 0 ok, 2 usage error, a folder that is not a lake, or SQL that fails
`;

/** Opens the DuckDB views over a local folder, or over a temporary copy of an S3 lake. */
async function openLake(io: Io, lake: string, endpoint: string | undefined, region: string | undefined): Promise<{ q: LakeQuery; close: () => Promise<void> }> {
  if (!lake.startsWith('s3://')) {
    const dir = pathFrom(io, lake);
    if (!existsSync(dir)) throw new UsageError(`lake folder ${JSON.stringify(lake)} does not exist (run loglake ingest first)`, { hint: false });
    const verdict = isLakeFolder(dir);
    if (verdict !== true) throw new UsageError(`${JSON.stringify(lake)} is not a lake: ${verdict}`, { hint: false });
    const q = await LakeQuery.open(dir);
    return { q, close: async () => q.close() };
  }
  // The AWS SDK (~200 ms to import) is loaded only for a lake in S3.
  const [{ createS3Client }, { openS3Lake, parseS3Uri }] = await Promise.all([import('../../pipeline/aws.js'), import('../../query/s3-lake.js')]);
  let location;
  try {
    location = parseS3Uri(lake);
  } catch (e) {
    throw e instanceof ConfigError ? new UsageError(`--lake: ${e.message}`) : e;
  }
  const local = endpoint !== undefined;
  const client = createS3Client({
    ...(local ? { endpoint } : {}),
    region: region ?? io.env.AWS_REGION ?? 'us-east-1',
    ...(local && io.env.AWS_ACCESS_KEY_ID === undefined ? { credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } } : {}),
  });
  try {
    const s3lake = await openS3Lake(client, location);
    return { q: s3lake.query, close: () => s3lake.close() };
  } finally {
    client.destroy();
  }
}

const FORMATS = ['table', 'json', 'csv', 'markdown'] as const;
type Format = (typeof FORMATS)[number];

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  stream.setEncoding('utf8');
  for await (const chunk of stream) text += chunk as string;
  return text;
}

/** The SQL to run: the argument, a --file, or stdin for `-`. */
async function readSql(io: Io, values: Record<string, unknown>, positionals: readonly string[]): Promise<string> {
  const file = values.file;
  if (typeof file === 'string') {
    if (positionals.length > 0) throw new UsageError('give the SQL either as an argument or with --file, not both');
    if (file === '-') return readAll(io.stdin);
    try {
      return await readFile(pathFrom(io, file), 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read --file ${JSON.stringify(file)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { hint: false });
    }
  }
  if (positionals.length !== 1) throw new UsageError('give exactly one SQL statement, quoted (or --file <q.sql>, or - to read stdin)');
  return positionals[0] === '-' ? readAll(io.stdin) : (positionals[0] as string);
}

function formatOf(values: Record<string, unknown>): Format {
  const f = values.format;
  if (f === undefined) return values.json ? 'json' : 'table';
  if (values.json && f !== 'json') throw new UsageError(`--json and --format ${String(f)} disagree`);
  if (!FORMATS.includes(f as Format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(f)}`);
  return f as Format;
}

/** Streams the rows of `sql` to stdout in `format`; returns the number of rows. */
async function printRows(io: Io, q: LakeQuery, sql: string, format: Format, maxWidth: number): Promise<number> {
  let n;
  try {
    n = await q.statementCount(sql);
  } catch (e) {
    throw new UsageError(`query failed: ${(e as Error).message}`, { hint: false });
  }
  if (n === 0) throw new UsageError('no SQL statement given', { hint: false });
  if (n > 1) throw new UsageError(`the SQL holds ${n} statements; give one statement (a query) at a time`, { hint: false });
  let result;
  try {
    result = await q.stream(sql);
  } catch (e) {
    throw new UsageError(`query failed: ${(e as Error).message}`, { hint: false });
  }
  const { columns, chunks } = result;
  const table = format === 'table' ? new TableStream(columns, maxWidth) : null;
  if (format === 'csv') await writeOut(io.stdout, csvLine(columns));
  if (format === 'markdown') await writeOut(io.stdout, markdownLine(columns, maxWidth) + markdownLine(columns.map(() => '---'), maxWidth));
  let rows = 0;
  const iterator = chunks[Symbol.asyncIterator]();
  for (;;) {
    let next;
    try {
      next = await iterator.next();
    } catch (e) {
      // DuckDB reports some errors (a cast of a bad value, a missing file) only while reading.
      throw new UsageError(`query failed after ${rows} rows: ${(e as Error).message}`, { hint: false });
    }
    if (next.done) break;
    const chunk = next.value.map((r) => r.map(toJson));
    rows += chunk.length;
    let text = '';
    if (table !== null) text = table.push(chunk);
    else if (format === 'json') for (const r of chunk) text += `${JSON.stringify(Object.fromEntries(columns.map((c, i) => [c, r[i]])))}\n`;
    else if (format === 'csv') for (const r of chunk) text += csvLine(r);
    else for (const r of chunk) text += markdownLine(r, maxWidth);
    if (text !== '') await writeOut(io.stdout, text);
  }
  if (table !== null) await writeOut(io.stdout, `${table.end()}(${rows} rows)\n`);
  return rows;
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      lake: { type: 'string' },
      endpoint: { type: 'string' },
      region: { type: 'string' },
      json: { type: 'boolean' },
      format: { type: 'string' },
      file: { type: 'string' },
      'max-width': { type: 'string' },
    },
    ['max-width'],
  );
  if (values.help) {
    io.stdout.write(help);
    return 0;
  }
  const lake = values.lake;
  if (typeof lake !== 'string' || lake === '') throw new UsageError('--lake <lake-dir> is required');
  const format = formatOf(values);
  const maxWidth = intFlag(values, 'max-width') ?? DEFAULT_MAX_WIDTH;
  const sql = await readSql(io, values, positionals);
  if (sql.trim() === '') throw new UsageError('the SQL is empty');
  const endpoint = typeof values.endpoint === 'string' ? values.endpoint : undefined;
  const { q, close } = await openLake(io, lake, endpoint, typeof values.region === 'string' ? values.region : undefined);
  try {
    await printRows(io, q, sql, format, maxWidth);
  } finally {
    await close();
  }
  return 0;
}
