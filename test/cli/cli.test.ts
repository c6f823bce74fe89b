/**
 * The CLI as a user runs it, end to end over the bundled samples, with the Parquet read back by
 * DuckDB: `main(argv, io)` in this process with in-memory streams, which is what the bin runs;
 * test/cli/bin.test.ts runs the real bin/loglake.js in a child process.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loglakeWith, type Run } from '../helpers/cli.js';
import { LakeQuery } from '../../query/lake-query.js';
import { SAMPLE_EXCLUDES } from '../../cli/commands/demo.js';
import { tempDir, writeInput } from '../helpers/lake.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const loglake = (...args: string[]): Promise<Run> => loglakeWith({}, ...args);

describe('loglake CLI', () => {
  const tmp = tempDir('loglake-cli-');
  const lake = join(tmp.path, 'lake');
  let ingest: Run;
  beforeAll(async () => {
    ingest = await loglake('ingest', join(ROOT, 'samples'), '--out', lake, ...SAMPLE_EXCLUDES.flatMap((g) => ['--exclude', g]));
  });
  afterAll(() => tmp.cleanup());

  it('ingests every bundled sample with exit code 0 and prints a per-source summary', () => {
    expect(ingest.stderr).toBe('');
    expect(ingest.code).toBe(0);
    expect(ingest.stdout).toMatch(/^source\s+objects\s+failed\s+records\s+rejected\s+skipped\s+input MB\s+MB\/s/);
    expect(ingest.stdout).toMatch(/\ncloudtrail\s+5\s+0\s+/);
    expect(ingest.stdout).toMatch(/\ncloudtrail-digest\s+1\s+0\s+0\s+/);
    expect(ingest.stdout).toMatch(/\ntotal\s+\d+\s+0\s+/);
  });

  it('writes Parquet with the types Athena expects, read back by DuckDB', async () => {
    const q = await LakeQuery.open(lake);
    try {
      const types = Object.fromEntries(
        (await q.rows("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM events)")).rows.map((r) => [r.column_name, r.column_type]),
      );
      expect(types).toMatchObject({
        time: 'TIMESTAMP WITH TIME ZONE',
        ingested_at: 'TIMESTAMP WITH TIME ZONE',
        src_port: 'INTEGER',
        bytes_in: 'BIGINT',
        ordinal: 'BIGINT',
        duration_ms: 'DOUBLE',
        tags: 'MAP(VARCHAR, VARCHAR)',
        fields: 'MAP(VARCHAR, VARCHAR)',
        raw: 'VARCHAR',
        source: 'VARCHAR',
        dt: 'VARCHAR',
      });
      const row = (
        await q.rows(
          "SELECT strftime(time, '%Y-%m-%dT%H:%M:%S') AS t, actor, actor_type, src_ip, bytes_out, fields['eventSource'] AS es, dt FROM events WHERE source = 'cloudtrail' AND action = 'GetObject' AND src_ip LIKE '2001:%'",
        )
      ).rows;
      expect(row).toEqual([
        { t: '2024-05-01T10:04:40', actor: 'arn:aws:sts::111122223333:assumed-role/deploy/ci-run-4821', actor_type: 'AssumedRole', src_ip: '2001:db8:85a3::8a2e:370:7334', bytes_out: '18342', es: 's3.amazonaws.com', dt: '2024-05-01' },
      ]);
    } finally {
      q.close();
    }
  });

  it('answers SQL with --json, one object per row', async () => {
    const r = await loglake('query', '--lake', lake, "SELECT actor_type, count(*) AS n FROM events WHERE source = 'cloudtrail' AND actor_type IN ('Root', 'AWSAccount') GROUP BY ALL ORDER BY 1", '--json');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([
      { actor_type: 'AWSAccount', n: 2 },
      { actor_type: 'Root', n: 3 },
    ]);
  });

  it('shows rejected lines through the errors view', async () => {
    const r = await loglake('query', '--lake', lake, "SELECT reason, count(*) AS n FROM errors WHERE source = 'cloudtrail' GROUP BY ALL ORDER BY 1", '--json');
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([
      { reason: 'bad_timestamp', n: 2 },
      { reason: 'invalid_json', n: 2 },
      { reason: 'not_an_object', n: 1 },
      { reason: 'truncated_record', n: 1 },
    ]);
  });

  it('lists formats with their key patterns', async () => {
    const r = await loglake('formats');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('cloudtrail: AWSLogs/[o-org/]<account>/CloudTrail[-Insight]/<region>/YYYY/MM/DD/');
    expect(r.stdout).toContain('cloudtrail-digest');
    expect(r.stdout).toContain('redshift-activity: AWSLogs/<account>/redshift/<region>/YYYY/MM/DD/<account>_redshift_<region>_<cluster>_useractivitylog_YYYY-MM-DDTHH:MM.gz');
  });

  it('has --help on every command', async () => {
    for (const verb of ['ingest', 'query', 'formats', 'demo', 'worker']) {
      const r = await loglake(verb, '--help');
      expect(r.code, verb).toBe(0);
      expect(r.stdout, verb).toMatch(new RegExp(`^usage: loglake ${verb}`));
    }
    expect((await loglake('--help')).stdout).toContain('commands:');
  });

  it('exits 2 with a clear message on usage errors', async () => {
    const noOut = await loglake('ingest', join(ROOT, 'samples'));
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain('--out <lake-dir> is required');
    const unknown = await loglake('ingest', '--bogus', 'x');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--bogus'");
    const missing = await loglake('ingest', join(tmp.path, 'nope'), '--out', lake);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('does not exist');
    expect((await loglake('frobnicate')).code).toBe(2);
    const badSql = await loglake('query', '--lake', lake, 'SELEC nonsense');
    expect(badSql.code).toBe(2);
    expect(badSql.stderr).toContain('query failed');
  });

  it('exits 1 when an object cannot be processed, after processing the others', async () => {
    const inputs = join(tmp.path, 'mixed');
    writeInput(inputs, 'a-notes.txt', 'not a log\n');
    writeInput(inputs, 'b-trail.json', JSON.stringify({ Records: [{ eventVersion: '1.0', eventTime: '2024-05-01T00:00:00Z', eventName: 'X' }] }));
    const out = join(tmp.path, 'lake2');
    const r = await loglake('ingest', inputs, '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/failed .*a-notes\.txt: \[unknown_format\]/);
    expect(r.stdout).toMatch(/\ncloudtrail\s+1\s+0\s+1\s+/);
    expect(r.stdout).toMatch(/\nunknown\s+1\s+1\s+0\s+/);
  });
});
