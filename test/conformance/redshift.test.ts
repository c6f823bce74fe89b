/**
 * The Amazon Redshift audit logs of the shared corpus (redshift/: real connection, user and user
 * activity logs), read in place through the real pipeline: each file routes by content alone (the
 * corpus has no AWS object names) to its log type's parser, every record is a row (zero
 * rejects), and each row agrees with the other implementation's output beside it
 * (`*.expected.json`, SignalFx's log collector: the record text as `event`, its epoch time as
 * `time`, the log type as `fields.logType`) and, field by field, with an independent reading of
 * that record text: split at `|` for the two pipe-separated logs, a regular expression over the
 * user activity log's context.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { QueryRow } from '../../query/lake-query.js';
import type { Manifest } from '../../pipeline/run/manifest.js';
import { CORPUS, corpusMissingReason, corpusPresent, ingestCorpusFiles, requireCorpusInCi } from '../helpers/corpus.js';

interface Expected {
  readonly event: string;
  readonly time: number;
  readonly fields: { readonly logType: string };
}

const skipped = corpusPresent ? '' : ` (skipped: ${corpusMissingReason})`;
const sql = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/** Corpus file → the log type its name and its golden say, and the parser that must read it. */
const FILES = {
  'signalfx_redshift_connectionlog.log': { logType: 'connectionlog', parser: 'redshift-connection' },
  'signalfx_redshift_userlog.log': { logType: 'userlog', parser: 'redshift-user' },
  'signalfx_redshift_useractivitylog.log': { logType: 'useractivitylog', parser: 'redshift-activity' },
} as const;
type File = keyof typeof FILES;

const COLUMNS = "epoch_ms(time) AS t, raw, actor, action, resource, src_ip, src_port, duration_ms, outcome, category, fields, parser_version";

/** A `fields` map as DuckDB returns it, as a plain object. */
function fieldsOf(row: QueryRow): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of row.fields as Array<{ key: string; value: string }>) out[e.key] = e.value;
  return out;
}

const orNull = (s: string | undefined): string | null => (s === undefined || s.trim() === '' ? null : s.trim());

describe.skipIf(!corpusPresent)(`Amazon Redshift audit logs conformance corpus${skipped}`, () => {
  const dir = join(CORPUS, 'redshift');
  const files = Object.keys(FILES) as File[];
  const lake = ingestCorpusFiles(dir, files, 'loglake-conformance-redshift-');
  const expectedOf = (f: File): Expected[] => JSON.parse(readFileSync(join(dir, f.replace(/\.log$/, '.expected.json')), 'utf8')) as Expected[];
  const rowsOf = async (f: File): Promise<QueryRow[]> => (await lake.query().rows(`SELECT ${COLUMNS} FROM events WHERE object = ${sql(join(dir, f))} ORDER BY ordinal`)).rows;

  for (const f of files) {
    it(`${f}: routed by content to ${FILES[f].parser}, every record a row, zero rejects`, () => {
      const m = lake.manifests.get(f) as Manifest;
      const expected = expectedOf(f);
      expect(expected.every((e) => e.fields.logType === FILES[f].logType)).toBe(true);
      expect(m).toMatchObject({ status: 'ok', source: 'redshift', parser_id: FILES[f].parser, routed_by: 'content', rejected: 0, skipped: 0, records: expected.length, schema_drift: 0 });
      expect(m.lines_in).toBe(expected.length);
    });

    it(`${f}: each row holds the golden's record text and time`, async () => {
      const rows = await rowsOf(f);
      const expected = expectedOf(f);
      expect(rows.map((r) => r.raw)).toEqual(expected.map((e) => e.event));
      expect(rows.map((r) => Number(r.t))).toEqual(expected.map((e) => Math.round(e.time * 1000)));
      for (const r of rows) expect(r).toMatchObject({ category: 'database_activity', parser_version: `${FILES[f].parser}@1` });
    });
  }

  it('connection log: every value agrees with the line split at |', async () => {
    const rows = await rowsOf('signalfx_redshift_connectionlog.log');
    for (const r of rows) {
      const v = (r.raw as string).split('|');
      const fields = fieldsOf(r);
      expect(r.action).toBe(orNull(v[0]));
      expect(fields.remotehost).toBe('[local]');
      expect(r.src_ip).toBeNull();
      expect(r.src_port).toBe(v[3]?.trim() === '' ? null : Number(v[3]));
      expect(fields.pid).toBe(v[4]);
      expect(r.resource).toBe(orNull(v[5]));
      expect(r.actor).toBe(orNull(v[6]));
      expect(fields.authmethod).toBe(orNull(v[7]));
      expect(r.duration_ms).toBe(Number(v[8]) / 1000);
      expect(fields.mtu).toBe(orNull(v[11]));
      expect(r.outcome).toBe('success');
      // Nothing else is in the line: the other values are padding only.
      expect(Object.keys(fields).sort()).toEqual(['authmethod', 'mtu', 'pid', 'remotehost']);
    }
    expect(rows.map((r) => r.duration_ms)).toEqual([0, 0, 127.304]);
  });

  it('user log: every value agrees with the line split at |; valuntil keeps all 19 digits', async () => {
    const rows = await rowsOf('signalfx_redshift_userlog.log');
    for (const r of rows) {
      const v = (r.raw as string).split('|').map((x) => x.trim());
      const fields = fieldsOf(r);
      expect(fields.userid).toBe(v[0]);
      expect(r.resource).toBe(v[1]);
      expect(fields.oldusername).toBeUndefined();
      expect(r.action).toBe(v[3]);
      expect([fields.usecreatedb, fields.usesuper, fields.usecatupd]).toEqual([v[4], v[5], v[6]]);
      expect(fields.valuntil).toBe('9223372036854775807');
      expect([fields.pid, fields.xid]).toEqual([v[8], v[9]]);
      expect(r.actor).toBeNull();
    }
    expect(rows.map((r) => r.action)).toEqual(['alter', 'create']);
  });

  it('user activity log: one row per query, multi-line queries whole, context and verb as the record says', async () => {
    const rows = await rowsOf('signalfx_redshift_useractivitylog.log');
    const context = /^'(\S+) UTC \[ db=(\S+) user=(\S+) pid=(\d+) userid=(\d+) xid=(\d+) \]' LOG: ([\s\S]*)$/;
    for (const r of rows) {
      const m = context.exec(r.raw as string) as RegExpExecArray;
      const fields = fieldsOf(r);
      expect(Number(r.t)).toBe(Date.parse(m[1] as string));
      expect([r.resource, r.actor]).toEqual([m[2], m[3]]);
      expect([fields.pid, fields.userid, fields.xid]).toEqual([m[4], m[5], m[6]]);
      expect(fields.query).toBe(m[7]);
      expect(r.action).toBe((/^\s*([A-Za-z]+)/.exec(m[7] as string) as RegExpExecArray)[1]?.toUpperCase());
      expect(r.outcome).toBe('unknown');
    }
    expect(rows.map((r) => r.action)).toEqual(['SET', 'SELECT', 'SELECT', 'COMMIT', 'SELECT']);
    expect(rows.map((r) => (fieldsOf(r).query as string).split('\n').length)).toEqual([1, 1, 26, 1, 5]);
  });
});

it('requires the conformance corpus when CI is set', () => {
  expect(() => requireCorpusInCi()).not.toThrow();
});
