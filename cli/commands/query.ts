/** `loglake query`: SQL over a lake with DuckDB, through the same `events` and `errors` tables as Athena. */
import { existsSync } from 'node:fs';
import { ConfigError, createS3Client } from '../../pipeline/index.js';
import { LakeQuery } from '../../query/lake-query.js';
import { openS3Lake, parseS3Uri } from '../../query/s3-lake.js';
import { parse, UsageError } from '../args.js';
import { textTable } from '../format.js';

export const help = `usage: loglake query --lake <lake-dir | s3://bucket/[prefix/]> "<SQL>" [--json]

Runs SQL with DuckDB over a lake folder. Two views exist, with the columns and partitions of the
Athena tables: "events" (every normalized record; partitions source and dt) and "errors"
(rejected lines: source, dt, object, ordinal, reason, detail, raw).

example:
  loglake query --lake ./lake "SELECT source, outcome, count(*) AS n FROM events GROUP BY ALL ORDER BY ALL"

A lake in a bucket (s3://bucket/ as the worker writes it, e.g. with loglake worker) is queried
the same way: its lake/ and errors/ objects are first copied to a temporary folder through the
AWS SDK and removed afterwards, because DuckDB's httpfs extension is not available offline.
Keep it to small lakes or a prefix; Athena is the tool for a production lake.

options:
  --lake <dir|s3://…>  lake folder written by loglake ingest, or an S3 lake (required)
  --endpoint <url>     S3-compatible endpoint for an s3:// lake (path-style), e.g. http://127.0.0.1:4568
  --region <region>    SDK region for an s3:// lake (default: the SDK's, else us-east-1)
  --json               one JSON object per row instead of a table
  -h, --help           this help
`;

/** Opens the DuckDB views over a local folder, or over a temporary copy of an S3 lake. */
async function openLake(lake: string, endpoint: string | undefined, region: string | undefined): Promise<{ q: LakeQuery; close: () => Promise<void> }> {
  if (!lake.startsWith('s3://')) {
    if (!existsSync(lake)) throw new UsageError(`lake folder ${JSON.stringify(lake)} does not exist (run loglake ingest first)`);
    const q = await LakeQuery.open(lake);
    return { q, close: async () => q.close() };
  }
  let location;
  try {
    location = parseS3Uri(lake);
  } catch (e) {
    throw e instanceof ConfigError ? new UsageError(`--lake: ${e.message}`) : e;
  }
  const local = endpoint !== undefined;
  const client = createS3Client({
    ...(local ? { endpoint } : {}),
    region: region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(local && process.env.AWS_ACCESS_KEY_ID === undefined ? { credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } } : {}),
  });
  try {
    const s3lake = await openS3Lake(client, location);
    return { q: s3lake.query, close: () => s3lake.close() };
  } finally {
    client.destroy();
  }
}

export async function run(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parse(argv, { lake: { type: 'string' }, endpoint: { type: 'string' }, region: { type: 'string' }, json: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(help);
    return 0;
  }
  const lake = values.lake;
  if (typeof lake !== 'string' || lake === '') throw new UsageError('--lake <lake-dir> is required');
  if (positionals.length !== 1) throw new UsageError('give exactly one SQL statement, quoted');
  const endpoint = typeof values.endpoint === 'string' ? values.endpoint : undefined;
  const { q, close } = await openLake(lake, endpoint, typeof values.region === 'string' ? values.region : undefined);
  try {
    let result;
    try {
      result = await q.rows(positionals[0] as string);
    } catch (e) {
      throw new UsageError(`query failed: ${(e as Error).message}`);
    }
    if (values.json) {
      for (const row of result.rows) process.stdout.write(`${JSON.stringify(row)}\n`);
    } else {
      process.stdout.write(`${textTable(result.columns, result.rows.map((r) => result.columns.map((c) => r[c])))}\n(${result.rows.length} rows)\n`);
    }
  } finally {
    await close();
  }
  return 0;
}
