/**
 * `loglake query` output: streamed rows in four formats, the cell width, SQL from a file or stdin,
 * one statement at a time, JSON value types, and a folder that is not a lake.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_EXCLUDES } from '../../cli/commands/demo.js';
import { csvField, markdownCell, TABLE_SAMPLE_ROWS, textTable } from '../../cli/format.js';
import { loglake, loglakeWith, ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/lake.js';

const tmp = tempDir('loglake-query-');
const lake = join(tmp.path, 'lake');
beforeAll(async () => {
  const r = await loglake('ingest', join(ROOT, 'samples', 'cloudtrail'), '--out', lake, ...SAMPLE_EXCLUDES.flatMap((g) => ['--exclude', g]));
  expect(r.code).toBe(0);
});
afterAll(() => tmp.cleanup());

const jsonLines = (text: string): unknown[] => text.trim().split('\n').map((l) => JSON.parse(l) as unknown);

describe('loglake query', () => {
  it('writes JSON rows with numbers for safe integers, strings past 2^53, maps as objects and ISO timestamps', async () => {
    const sql = `SELECT 42::BIGINT AS n, 9007199254740993::BIGINT AS big, -7::HUGEINT AS h, 1.5::DECIMAL(4,2) AS d,
      MAP {'a': '1', 'b': NULL} AS m, [1, 2]::BIGINT[] AS l, {'k': 3::BIGINT} AS st,
      TIMESTAMPTZ '2024-05-01 10:04:40.123456+00' AS t, TIMESTAMP '2024-05-01 10:04:40' AS local, DATE '2024-05-01' AS day, NULL AS nothing`;
    const r = await loglake('query', '--lake', lake, '--format', 'json', sql);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)).toEqual([
      { n: 42, big: '9007199254740993', h: -7, d: 1.5, m: { a: '1', b: null }, l: [1, 2], st: { k: 3 }, t: '2024-05-01T10:04:40.123456Z', local: '2024-05-01T10:04:40.000', day: '2024-05-01', nothing: null },
    ]);
  });

  it('reads the lake: map columns come out as objects, time as ISO 8601', async () => {
    const r = await loglake('query', '--lake', lake, '--json', "SELECT time, fields['eventSource'] AS es, fields FROM events WHERE action = 'GetObject' AND src_ip LIKE '2001:%'");
    const [row] = jsonLines(r.stdout) as Array<{ time: string; es: string; fields: Record<string, string> }>;
    expect(row?.time).toBe('2024-05-01T10:04:40.000Z');
    expect(row?.es).toBe('s3.amazonaws.com');
    expect(row?.fields.eventSource).toBe('s3.amazonaws.com');
  });

  it('writes CSV with a header row and RFC 4180 quoting', async () => {
    const r = await loglake('query', '--lake', lake, '--format', 'csv', `SELECT 1 AS a, 'x,y' AS b, 'say "hi"' AS c, NULL AS d, 'two\nlines' AS e`);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('a,b,c,d,e\r\n1,"x,y","say ""hi""",,"two\nlines"\r\n');
    expect(csvField(' edge')).toBe('" edge"');
  });

  it('writes a Markdown table with pipes escaped', async () => {
    const r = await loglake('query', '--lake', lake, '--format', 'markdown', "SELECT 'a|b' AS x, 2 AS y");
    expect(r.stdout).toBe('| x | y |\n| --- | --- |\n| a\\|b | 2 |\n');
    expect(markdownCell('x'.repeat(80), 10)).toBe(`${'x'.repeat(9)}…`);
  });

  it('cuts table cells at 60 characters by default and at --max-width', async () => {
    const sql = "SELECT repeat('x', 100) AS long, 7 AS n";
    const def = await loglake('query', '--lake', lake, sql);
    expect(def.stdout.split('\n')[2]).toBe(`${'x'.repeat(59)}…  7`);
    const narrow = await loglake('query', '--lake', lake, '--max-width', '10', sql);
    expect(narrow.stdout).toBe(`long        n\n----------  -\n${'x'.repeat(9)}…  7\n(1 rows)\n`);
    expect((await loglake('query', '--lake', lake, '--max-width', '-5', sql)).stderr).toContain('--max-width must be a positive integer, got "-5"');
    expect((await loglake('query', '--lake', lake, '--max-width=0', sql)).code).toBe(2);
  });

  it('streams 50,000 rows in table mode, sized from the first rows, without holding them', async () => {
    // Rows past the sample are longer than any in it: they are cut to the sampled width.
    const n = 50_000;
    const r = await loglake('query', '--lake', lake, `SELECT range AS i, repeat('y', CASE WHEN range < ${TABLE_SAMPLE_ROWS} THEN 3 ELSE 20 END) AS s FROM range(${n})`);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(n + 3);
    expect(lines[0]).toBe('  i  s');
    expect(lines[2]).toBe('  0  yyy');
    // Numbers wider than the sampled ones overflow instead of being cut.
    expect(lines[n + 1]).toBe('49999  yy…');
    expect(lines[n + 2]).toBe(`(${n} rows)`);
    // One write per DuckDB chunk (about 2,048 rows), not one for the whole result.
    expect(r.writes).toBeGreaterThan(10);
    const json = await loglake('query', '--lake', lake, '--format', 'json', `SELECT range AS i FROM range(${n})`);
    expect(json.stdout.split('\n')).toHaveLength(n + 1);
    expect(json.writes).toBeGreaterThan(10);
  });

  it('renders a table of 300,000 rows without overflowing the stack', () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => [i, 'v']);
    const text = textTable(['i', 'v'], rows);
    expect(text.split('\n')).toHaveLength(300_002);
  });

  it('reads the SQL from --file or from stdin with -', async () => {
    const file = join(tmp.path, 'q.sql');
    writeFileSync(file, "SELECT count(*) AS n FROM events WHERE source = 'cloudtrail';\n");
    const fromFile = await loglake('query', '--lake', lake, '--json', '--file', file);
    expect(fromFile.code).toBe(0);
    const n = (jsonLines(fromFile.stdout)[0] as { n: number }).n;
    expect(n).toBeGreaterThan(0);
    const fromStdin = await loglakeWith({ stdin: 'SELECT 5 AS five' }, 'query', '--lake', lake, '--json', '-');
    expect(jsonLines(fromStdin.stdout)).toEqual([{ five: 5 }]);
    const fileStdin = await loglakeWith({ stdin: 'SELECT 6 AS six' }, 'query', '--lake', lake, '--json', '--file', '-');
    expect(jsonLines(fileStdin.stdout)).toEqual([{ six: 6 }]);
    const missing = await loglake('query', '--lake', lake, '--file', join(tmp.path, 'nope.sql'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^loglake query: cannot read --file .*nope\.sql.*ENOENT\n$/);
  });

  it('refuses SQL holding several statements instead of running one of them', async () => {
    const r = await loglake('query', '--lake', lake, 'SELECT 1; SELECT 2');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('loglake query: the SQL holds 2 statements; give one statement (a query) at a time\n');
  });

  it('refuses an unknown --format, or one that disagrees with --json', async () => {
    expect((await loglake('query', '--lake', lake, '--format', 'xml', 'SELECT 1')).stderr).toContain('--format must be one of table, json, csv, markdown');
    expect((await loglake('query', '--lake', lake, '--format', 'csv', '--json', 'SELECT 1')).code).toBe(2);
  });

  it('says in one line, exit 2, that a folder is not a lake', async () => {
    const empty = join(tmp.path, 'empty');
    mkdirSync(empty);
    const cases: Array<[string, RegExp]> = [
      [empty, /is not a lake: the folder is empty/],
      [join(lake, 'lake'), /is not a lake: it looks like the lake\/ folder inside a lake/],
      [join(ROOT, 'samples'), /is not a lake: no lake\/ or manifests\/ folder inside/],
      [join(ROOT, 'README.md'), /is not a lake: it is a file, not a folder/],
    ];
    for (const [dir, why] of cases) {
      const r = await loglake('query', '--lake', dir, 'SELECT count(*) FROM events');
      expect(r.code, dir).toBe(2);
      expect(r.stdout, dir).toBe('');
      expect(r.stderr, dir).toMatch(why);
      expect(r.stderr.trimEnd().split('\n'), dir).toHaveLength(1);
    }
  });
});
