/** `loglake query`: SQL over a lake with DuckDB, through the same `events` and `errors` tables as Athena. */
import { existsSync } from 'node:fs';
import { LakeQuery } from '../../pipeline/lake-query.js';
import { parse, UsageError } from '../args.js';
import { textTable } from '../format.js';

export const help = `usage: loglake query --lake <lake-dir> "<SQL>" [--json]

Runs SQL with DuckDB over a lake folder. Two views exist, with the columns and partitions of the
Athena tables: "events" (every normalized record; partitions source and dt) and "errors"
(rejected lines: source, dt, object, ordinal, reason, detail, raw).

example:
  loglake query --lake ./lake "SELECT source, outcome, count(*) AS n FROM events GROUP BY ALL ORDER BY ALL"

options:
  --lake <dir>    lake folder written by loglake ingest (required)
  --json          one JSON object per row instead of a table
  -h, --help      this help
`;

export async function run(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parse(argv, { lake: { type: 'string' }, json: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(help);
    return 0;
  }
  const lake = values.lake;
  if (typeof lake !== 'string' || lake === '') throw new UsageError('--lake <lake-dir> is required');
  if (!existsSync(lake)) throw new UsageError(`lake folder ${JSON.stringify(lake)} does not exist (run loglake ingest first)`);
  if (positionals.length !== 1) throw new UsageError('give exactly one SQL statement, quoted');
  const q = await LakeQuery.open(lake);
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
    q.close();
  }
  return 0;
}
