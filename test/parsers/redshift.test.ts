/**
 * The Amazon Redshift audit-log parsers: connection log, user log and user activity log, field by
 * field; the SQL verb; where a user-activity record starts and what its lines make together
 * through the framer; bad input; routing by key and content; and a hand-over in the middle of a
 * multi-line query giving the rows of one uninterrupted run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseActivityRecord, parser as activity, sqlVerb } from '../../parsers/redshift-activity.js';
import { parseConnectionLine, parser as connection, CONNECTION_LOG_FIELDS } from '../../parsers/redshift-connection.js';
import { parseUserLine, parser as user } from '../../parsers/redshift-user.js';
import { clusterOfObject, parseRedshiftTime, pipeValues } from '../../parsers/shared/redshift.js';
import type { ParseContext, ParseResult } from '../../parsers/index.js';
import { LineFramer } from '../../pipeline/framing/framing.js';
import { routeByContent, routeByKey } from '../../pipeline/route/route.js';
import type { Manifest } from '../../pipeline/run/manifest.js';
import type { EventFields, RejectReason } from '../../schema/index.js';
import { Duck, MemorySink, lineCuts, removeTempRoots, runHandedOver, runOnce, tempRoot } from '../compliance/harness.js';

type Rec = EventFields & { fields: Record<string, string> };

function ok(r: ParseResult): Rec {
  if (r.ok !== true) throw new Error(`expected a record, got ${JSON.stringify(r)}`);
  return { ...r.record, fields: r.record.fields ?? {} };
}
const reason = (r: ParseResult): RejectReason | string | null => (r.ok === false ? r.reason : r.ok === 'skip' ? `skip:${r.reason}` : null);

const KEY = (type: string): string => `logs/AWSLogs/111122223333/redshift/eu-west-1/2024/05/01/111122223333_redshift_eu-west-1_sales-dw_${type}_2024-05-01T12:00.gz`;
const ctxFor = (object: string): ParseContext<never> => ({ object, ordinal: 1, state: undefined as never, drift: 0 });

/** A connection-log line as Redshift writes it: values padded to their column widths, a `|` after the last. */
function connLine(values: readonly string[]): string {
  const widths = [50, 0, 45, 32, 0, 50, 50, 32, 0, 50, 128, 0, 64, 64, 36, 250, 64, 64, 32, 0, 36, 64];
  return `${values.map((v, i) => v.padEnd(widths[i] ?? 0)).join('|')}|`;
}

const FULL = [
  'authenticated',
  'Wed, 1 May 2024 12:00:01:042',
  '10.20.30.40',
  '50412',
  '1073807580',
  'analytics',
  'etl_loader',
  'password',
  '0',
  'TLSv1.3',
  'TLS_AES_256_GCM_SHA384',
  '1500',
  'none',
  'none',
  '2f6e5b1c-7d8a-4e3f-9b20-a1c4d5e6f708',
  'DataGrip 2024.1',
  'Linux 6.5.0 amd64',
  'Redshift JDBC Driver 2.1.0.26',
  'BrowserSAML',
  '2',
  '8c1f0e9a-3b44-4d6e-9a41-2f5b7c0d1e23',
  'lz4',
];

describe('Redshift connection log', () => {
  it('maps every field of a 22-field line', () => {
    const r = ok(parseConnectionLine(connLine(FULL)));
    expect(r).toMatchObject({
      time: Date.UTC(2024, 4, 1, 12, 0, 1, 42),
      category: 'database_activity',
      actor: 'etl_loader',
      action: 'authenticated',
      resource: 'analytics',
      resource_type: 'dbname',
      src_ip: '10.20.30.40',
      src_port: 50412,
      outcome: 'success',
      duration_ms: 0,
    });
    expect(r.fields).toEqual({
      pid: '1073807580',
      authmethod: 'password',
      sslversion: 'TLSv1.3',
      sslcipher: 'TLS_AES_256_GCM_SHA384',
      mtu: '1500',
      sslcompression: 'none',
      sslexpansion: 'none',
      iamauthguid: '2f6e5b1c-7d8a-4e3f-9b20-a1c4d5e6f708',
      application_name: 'DataGrip 2024.1',
      os_version: 'Linux 6.5.0 amd64',
      driver_version: 'Redshift JDBC Driver 2.1.0.26',
      plugin_name: 'BrowserSAML',
      protocol_version: '2',
      sessionid: '8c1f0e9a-3b44-4d6e-9a41-2f5b7c0d1e23',
      compression: 'lz4',
    });
    expect(CONNECTION_LOG_FIELDS).toHaveLength(22);
  });

  it('reads the corpus layout (19 fields, [local], empty port) and leaves padding-only values out', () => {
    const line = 'disconnecting session |Mon, 7 Dec 2020 20:01:55:304|[local] | |5108|dev |rdsdb |Ident |127304| | |0| | | | | | |';
    const r = ok(parseConnectionLine(line));
    expect(r).toMatchObject({ time: Date.UTC(2020, 11, 7, 20, 1, 55, 304), action: 'disconnecting session', actor: 'rdsdb', resource: 'dev', src_ip: null, src_port: null, duration_ms: 127.304 });
    expect(r.fields).toEqual({ remotehost: '[local]', pid: '5108', authmethod: 'Ident', mtu: '0' });
  });

  it('counts the duration in microseconds', () => {
    const line = connLine(['disconnecting session', 'Wed, 1 May 2024 12:14:42:377', '10.0.0.1', '5000', '1', 'dev', 'u', 'password', '821334021']);
    expect(ok(parseConnectionLine(line)).duration_ms).toBe(821334.021);
  });

  it('takes IPv6 and IPv4-mapped remote hosts as src_ip, a host name into fields', () => {
    const at = (host: string): Rec => ok(parseConnectionLine(connLine(['authenticated', 'Wed, 1 May 2024 12:00:00:000', host, '1', '2', 'dev', 'u', 'IAM', '0'])));
    expect(at('2001:db8::7').src_ip).toBe('2001:db8::7');
    expect(at('::ffff:172.31.8.9').src_ip).toBe('::ffff:172.31.8.9');
    const named = at('bastion.internal');
    expect([named.src_ip, named.fields.remotehost]).toEqual([null, 'bastion.internal']);
  });

  it('makes an authentication failure a failure, the other events successes', () => {
    const at = (event: string): Rec => ok(parseConnectionLine(connLine([event, 'Wed, 1 May 2024 12:00:00:000', '203.0.113.7', '1', '2', 'dev', 'admin', 'password', '0'])));
    expect(at('authentication failure')).toMatchObject({ outcome: 'failure', action: 'authentication failure', actor: 'admin' });
    expect(at('initiating session').outcome).toBe('success');
    expect(at('Set application_name').outcome).toBe('success');
  });

  it('keeps fields past compression as field_23… and counts schema drift once per line', () => {
    const ctx = { drift: 0 };
    const r = ok(parseConnectionLine(connLine([...FULL, 'new-a', '', 'new-c']), null, ctx));
    expect(r.fields).toMatchObject({ compression: 'lz4', field_23: 'new-a', field_25: 'new-c' });
    expect(r.fields.field_24).toBeUndefined();
    expect(ctx.drift).toBe(1);
    parseConnectionLine(connLine(FULL), null, ctx);
    expect(ctx.drift).toBe(1);
  });

  it('prefixes the database with the cluster the AWS object name carries', () => {
    const ctx = ctxFor(`s3://audit-bucket/${KEY('connectionlog')}?versionId=abc`);
    expect(ok(connection.parse(connLine(FULL), ctx)).resource).toBe('sales-dw/analytics');
    expect(ok(connection.parse(connLine(FULL), ctxFor('s3://b/renamed.log.gz'))).resource).toBe('analytics');
  });

  it('rejects wrong field counts, times, ports, durations and control characters', () => {
    const base = (i: number, v: string): string => connLine(FULL.map((x, j) => (j === i ? v : x)));
    expect(reason(parseConnectionLine('authenticated |Wed, 1 May 2024 12:00:00:000|10.0.0.1 |1 |2|dev |'))).toBe('field_count_mismatch');
    expect(reason(parseConnectionLine(''))).toBe('field_count_mismatch');
    expect(reason(parseConnectionLine(base(1, 'Wed, 31 Feb 2024 12:00:00:000')))).toBe('bad_timestamp');
    expect(reason(parseConnectionLine(base(1, 'Wed, 1 May 2024 24:00:00:000')))).toBe('bad_timestamp');
    expect(reason(parseConnectionLine(base(1, '2024-05-01T12:00:00Z')))).toBe('bad_timestamp');
    expect(reason(parseConnectionLine(base(1, '')))).toBe('bad_timestamp');
    expect(reason(parseConnectionLine(base(3, 'port')))).toBe('bad_number');
    expect(reason(parseConnectionLine(base(3, '70000')))).toBe('bad_number');
    expect(reason(parseConnectionLine(base(8, '-1')))).toBe('bad_number');
    expect(reason(parseConnectionLine(base(6, 'a\u0000b')))).toBe('control_character');
  });
});

describe('Redshift recordtime and pipe values', () => {
  it('reads the time after the seconds colon as a fraction of a second', () => {
    expect(parseRedshiftTime('Mon, 7 Dec 2020 20:01:55:177')).toBe(Date.UTC(2020, 11, 7, 20, 1, 55, 177));
    expect(parseRedshiftTime('Thu, 03 Dec 2020 10:18:38')).toBe(Date.UTC(2020, 11, 3, 10, 18, 38));
    expect(parseRedshiftTime('Thu, 3 Dec 2020 10:18:38:5')).toBe(Date.UTC(2020, 11, 3, 10, 18, 38, 500));
    expect(parseRedshiftTime('Thu, 29 Feb 2024 10:18:38:000')).toBe(Date.UTC(2024, 1, 29, 10, 18, 38));
    for (const bad of ['Thu, 30 Feb 2024 10:18:38:000', 'Xyz, 3 Dec 2020 10:18:38:000', 'Thu, 3 Dez 2020 10:18:38:000', 'Thu, 3 Dec 2020 10:18:60:000', 'Thu 3 Dec 2020 10:18:38', 'Thu, 3 Dec 2020 10:18:38:1234567']) {
      expect(parseRedshiftTime(bad), bad).toBeNaN();
    }
  });

  it('splits at | and strips the padding, without a value after a final |', () => {
    expect(pipeValues('a |b| |c  |')).toEqual(['a', 'b', '', 'c']);
    expect(pipeValues('1|x')).toEqual(['1', 'x']);
    expect(pipeValues('')).toEqual(['']);
  });

  it('reads the cluster from the object name only when it is named the AWS way', () => {
    expect(clusterOfObject(KEY('userlog'))).toBe('sales-dw');
    expect(clusterOfObject(`/data/${KEY('useractivitylog')}`)).toBe('sales-dw');
    expect(clusterOfObject('111122223333_redshift_eu-west-1_sales-dw_userlog_2024-05-01T12:00.log')).toBeNull();
    expect(clusterOfObject('x/redshift_userlog.log')).toBeNull();
  });
});

describe('Redshift user log', () => {
  const LINE = '104|bi_reader |reporting |rename |0|0|0|2024-12-31 00:00:00|1073807580|88120|Wed, 1 May 2024 12:03:05:517';

  it('maps every field: the user changed is the resource, nobody is the actor', () => {
    const r = ok(parseUserLine(LINE, 'sales-dw'));
    expect(r).toMatchObject({
      time: Date.UTC(2024, 4, 1, 12, 3, 5, 517),
      category: 'database_activity',
      actor: null,
      action: 'rename',
      resource: 'sales-dw/bi_reader',
      resource_type: 'dbuser',
      outcome: 'success',
    });
    expect(r.fields).toEqual({ userid: '104', oldusername: 'reporting', usecreatedb: '0', usesuper: '0', usecatupd: '0', valuntil: '2024-12-31 00:00:00', pid: '1073807580', xid: '88120' });
  });

  it('keeps valuntil "no expiry" as all 19 digits, and the corpus lines read', () => {
    const r = ok(parseUserLine('100|awsuser | |create |1|1|0|9223372036854775807|14888|1080|Thu, 3 Dec 2020 10:18:38:695'));
    expect(r).toMatchObject({ action: 'create', resource: 'awsuser', time: Date.UTC(2020, 11, 3, 10, 18, 38, 695) });
    expect(r.fields.valuntil).toBe('9223372036854775807');
    expect(r.fields.oldusername).toBeUndefined();
  });

  it('keeps fields after recordtime as field_12… with schema drift; rejects short lines and bad times', () => {
    const ctx = { drift: 0 };
    expect(ok(parseUserLine(`${LINE}|later`, null, ctx)).fields.field_12).toBe('later');
    expect(ctx.drift).toBe(1);
    expect(reason(parseUserLine('104|bi_reader |reporting |rename |0|0|0|2024-12-31|1073807580|88120'))).toBe('field_count_mismatch');
    expect(reason(parseUserLine(LINE.replace('Wed, 1 May', 'Wed, 1 Mai')))).toBe('bad_timestamp');
    expect(reason(parseUserLine(LINE.replace('rename', 're\u0007name')))).toBe('control_character');
  });

  it('prefixes the user with the cluster of the object name', () => {
    expect(ok(user.parse(LINE, ctxFor(KEY('userlog')))).resource).toBe('sales-dw/bi_reader');
  });
});

describe('SQL verb', () => {
  it('is the first keyword upper-cased, after blanks, parentheses and comments', () => {
    const cases: Array<[string, string | null]> = [
      ['select 1', 'SELECT'],
      ['  \n\t SELECT 1', 'SELECT'],
      ['(select 1) union (select 2)', 'SELECT'],
      ['-- a comment\nupdate t set a = 1', 'UPDATE'],
      ['-- one\r\n-- two\n  delete from t', 'DELETE'],
      ['/* hint */ insert into t values (1)', 'INSERT'],
      ['/* outer /* nested */ still */\nVacuum t', 'VACUUM'],
      ['/**/copy t from x', 'COPY'],
      ['with x as (select 1) select * from x', 'WITH'],
      ['COMMIT;', 'COMMIT'],
      ['Set statement_timeout to 1', 'SET'],
      ['', null],
      ['   ', null],
      ['-- only a comment', null],
      ['/* never closed select', null],
      ['123', null],
      [';', null],
      ['"quoted" identifier', null],
      [`${'x'.repeat(33)} y`, null],
      [`${'x'.repeat(32)} y`, 'X'.repeat(32)],
    ];
    for (const [query, verb] of cases) expect(sqlVerb(query), JSON.stringify(query)).toBe(verb);
  });
});

describe('Redshift user activity log', () => {
  const HEAD = "'2024-05-01T12:00:03Z UTC [ db=analytics user=etl_loader pid=1073807580 userid=103 xid=88092 ]' LOG: ";

  it('maps the context and keeps the query whole, quotes and line breaks included', () => {
    const query = "-- upsert\ninsert into t (a, b)\nvalues (1, 'it''s \"x\"'),\n'2024-05-01T12:00:00Z UTC' is text here\n  (2, '');";
    const r = ok(parseActivityRecord(HEAD + query, 'sales-dw'));
    expect(r).toMatchObject({
      time: Date.UTC(2024, 4, 1, 12, 0, 3),
      category: 'database_activity',
      actor: 'etl_loader',
      action: 'INSERT',
      resource: 'sales-dw/analytics',
      resource_type: 'dbname',
      outcome: 'unknown',
    });
    expect(r.fields).toEqual({ pid: '1073807580', userid: '103', xid: '88092', query });
  });

  it('reads the corpus layout and an empty query', () => {
    const r = ok(parseActivityRecord("'2020-12-08T22:00:03Z UTC [ db=dev user=rdsdb pid=685 userid=1 xid=245578 ]' LOG: SET statement_timeout TO 120000"));
    expect(r).toMatchObject({ action: 'SET', actor: 'rdsdb', resource: 'dev', time: Date.UTC(2020, 11, 8, 22, 0, 3) });
    const empty = ok(parseActivityRecord(`${HEAD.trimEnd()}`));
    expect([empty.action, empty.fields.query]).toEqual([null, '']);
  });

  it('keeps keys after xid under their names and counts schema drift', () => {
    const ctx = { drift: 0 };
    const r = ok(parseActivityRecord("'2024-05-01T12:00:03Z UTC [ db=dev user=u pid=1 userid=2 xid=3 sessionid=ab-cd query_group= ]' LOG: select 1", null, ctx));
    expect(r.fields).toEqual({ pid: '1', userid: '2', xid: '3', sessionid: 'ab-cd', query: 'select 1' });
    expect(ctx.drift).toBe(1);
  });

  it('starts a record only at a quote, a UTC timestamp and " UTC ["', () => {
    const starts = (line: string): boolean => activity.recordStart?.(line) === true;
    expect(starts(HEAD + 'select 1')).toBe(true);
    expect(starts("'2024-05-01T12:00:03Z UTC [ db=dev us")).toBe(true);
    expect(starts("'2024-05-01T12:00:00Z', 42),")).toBe(false);
    expect(starts("'2024-05-01T12:00:00Z UTC' as t")).toBe(false);
    expect(starts("'2024-05-01 12:00:00Z UTC [ db=x")).toBe(false);
    expect(starts(" '2024-05-01T12:00:03Z UTC [ db=x")).toBe(false);
    expect(starts('2024-05-01T12:00:03Z UTC [ db=x')).toBe(false);
    expect(starts('')).toBe(false);
  });

  it('frames one record per query through the line framer at every chunk size, timestamp-looking query lines included', () => {
    const text = [
      `${HEAD}select a,`,
      "       '2024-05-01T12:00:00Z' as t",
      "'2024-05-01T12:00:00Z', 'a line that begins like a record but is not one'",
      '',
      'from t;',
      "'2024-05-01T12:00:04Z UTC [ db=dev user=u pid=1 userid=2 xid=3 ]' LOG: COMMIT;",
    ].join('\r\n');
    const input = Buffer.from(`${text}\n`);
    for (let size = 1; size <= input.byteLength; size += 7) {
      const frames: string[] = [];
      const framer = new LineFramer({ frame: (t) => frames.push(t), reject: (r) => frames.push(`reject ${r}`) }, { maxLineBytes: 4096, maxRejectRawBytes: 64 }, (l) => activity.recordStart?.(l) === true);
      for (let i = 0; i < input.byteLength; i += size) framer.push(input.subarray(i, i + size));
      framer.end();
      expect(frames, `chunks of ${size}`).toEqual([text.split('\r\n').slice(0, 5).join('\n'), text.split('\r\n')[5]]);
      const first = ok(parseActivityRecord(frames[0] as string));
      expect(first.action).toBe('SELECT');
      expect((first.fields.query ?? '').split('\n')).toHaveLength(5);
    }
  });

  it('rejects what is not a record, an unparseable time and a context cut short', () => {
    expect(reason(parseActivityRecord('orphan line before any record'))).toBe('unknown_format');
    expect(reason(parseActivityRecord("'2024-13-01T12:00:03Z UTC [ db=dev user=u pid=1 userid=2 xid=3 ]' LOG: select 1"))).toBe('bad_timestamp');
    expect(reason(parseActivityRecord("'2024-02-30T12:00:03Z UTC [ db=dev user=u pid=1 userid=2 xid=3 ]' LOG: select 1"))).toBe('bad_timestamp');
    expect(reason(parseActivityRecord("'2024-05-01T12:00:03Z UTC [ db=dev user=u pid=x userid=2 xid=3 ]' LOG: select 1"))).toBe('field_count_mismatch');
    // A record cut off at the end of an object: its context ends mid-name.
    expect(reason(parseActivityRecord("'2024-05-01T12:00:06Z UTC [ db=dev user=bo"))).toBe('field_count_mismatch');
    expect(reason(parseActivityRecord("'2024-05-01T12:00:06Z UTC [ db=dev user=u pid=1 userid=2 xid=3 ]' LO\nselect 1"))).toBe('field_count_mismatch');
  });

  it('stays linear on a damaged context over a long first line', () => {
    const long = `'2024-05-01T12:00:06Z UTC [ db=${' user=x'.repeat(200_000)}`;
    const t0 = performance.now();
    expect(reason(parseActivityRecord(long))).toBe('field_count_mismatch');
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('prefixes the database with the cluster of the object name', () => {
    expect(ok(activity.parse(`${HEAD}select 1`, ctxFor(KEY('useractivitylog')))).resource).toBe('sales-dw/analytics');
  });
});

describe('Redshift routing', () => {
  const HEADS = {
    'redshift-connection': 'authenticated |Mon, 7 Dec 2020 20:01:55:177|[local] | |5108|dev |rdsdb |Ident |0| | |0| | | | | | |\n',
    'redshift-user': '1|rdsdb | |alter |1|1|1|9223372036854775807|14872|1061|Thu, 3 Dec 2020 10:18:38:416\n',
    'redshift-activity': "'2020-12-08T22:00:03Z UTC [ db=dev user=rdsdb pid=685 userid=1 xid=245578 ]' LOG: SET statement_timeout TO 120000\n",
  } as const;

  it('routes each log type by its AWS key, under any prefix, and not the other types', () => {
    expect(routeByKey(KEY('connectionlog'))).toMatchObject({ kind: 'parse', parser: { id: 'redshift-connection' }, by: 'key' });
    expect(routeByKey(KEY('userlog'))).toMatchObject({ kind: 'parse', parser: { id: 'redshift-user' } });
    expect(routeByKey(KEY('useractivitylog'))).toMatchObject({ kind: 'parse', parser: { id: 'redshift-activity' } });
    expect(routeByKey(KEY('useractivitylog').replace('.gz', '.txt'))).toBeNull();
    expect(routeByKey(KEY('connectionlog').replace('_sales-dw_', '_Sales_DW_'))).toBeNull();
  });

  it('routes each log type by content alone', () => {
    for (const [id, head] of Object.entries(HEADS)) expect(routeByContent(head), id).toMatchObject({ kind: 'parse', parser: { id } });
    expect(connection.sniff('Set application_name |Wed, 1 May 2024 12:00:00:000|10.0.0.1 |5000 |1|dev |u |password |0|')).toBe(true);
    expect(user.sniff('1|rdsdb | |alter |1|1|1|9223372036854775807|14872|1061|Thu, 3 Dec 2020 10:18:38:416|a field appended later\n')).toBe(true);
    expect(user.sniff('1|rdsdb | |alter |1|1|1|9223372036854775807|14872|1061|Thu, 3 Dec 2020 10:18:38:416\r\n')).toBe(true);
    expect(connection.sniff(HEADS['redshift-user'])).toBe(false);
    expect(user.sniff(HEADS['redshift-connection'])).toBe(false);
    expect(activity.sniff(HEADS['redshift-connection'])).toBe(false);
  });
});

describe('a hand-over in the middle of a multi-line query', () => {
  let duck: Duck;
  beforeAll(async () => {
    duck = await Duck.open();
  });
  afterAll(() => {
    duck.close();
    removeTempRoots();
  });

  const context = (i: number): string => `'2024-05-01T12:${String(i % 60).padStart(2, '0')}:00Z UTC [ db=dev user=u${i} pid=${100 + i} userid=${i} xid=${900 + i} ]' LOG: `;
  const records = Array.from({ length: 60 }, (_, i) => `${context(i)}select ${i},\n  '2024-05-01T12:00:00Z' as t,\n  'x''y' as q\nfrom t${i}\nwhere a = ${i};`);
  const text = `${records.join('\n')}\n`;
  const bytes = Buffer.from(text);
  const key = 'AWSLogs/111122223333/redshift/us-east-1/2024/05/01/111122223333_redshift_us-east-1_dw_useractivitylog_2024-05-01T12:00.gz';
  const cuts = lineCuts(bytes);
  /** Byte offsets where a line ends inside a record (the next line continues it). */
  const inside = new Set(cuts.filter((end) => end < bytes.byteLength && bytes[end] !== 0x27));

  it('gives the rows of one uninterrupted run, stopping inside queries, for every period', async () => {
    // The object is served uncompressed under a .gz name: the pipeline sniffs gzip by magic bytes, not by name.
    const once = await runOnce({ key, bytes, cuts }, new MemorySink());
    expect(once.manifest).toMatchObject({ parser_id: 'redshift-activity', records: 60, rejected: 0, lines_in: 60 });
    // Larger than the head routing reads first, so runs can stop after it.
    expect(bytes.byteLength).toBeGreaterThan(2 * 4096);
    const reference = tempRoot('loglake-redshift-once-');
    const refSink = new MemorySink();
    await runOnce({ key, bytes, cuts }, refSink);
    refSink.dump(reference);
    const expected = await duck.events(reference);
    expect(expected.map((r) => r.action)).toEqual(Array(60).fill('SELECT'));
    let stoppedInside = 0;
    for (const every of [1, 2, 3, 4]) {
      const sink = new MemorySink();
      const reports = await runHandedOver({ key, bytes, cuts }, sink, every);
      const partial = reports.slice(0, -1).map((r) => r.manifest as Manifest);
      expect(partial.length, `period ${every}`).toBeGreaterThan(1);
      stoppedInside += partial.filter((m) => inside.has(m.bytes_decompressed)).length;
      expect((reports.at(-1) as { manifest: Manifest }).manifest).toMatchObject({ status: 'ok', records: 60, rejected: 0 });
      const root = tempRoot('loglake-redshift-handover-');
      sink.dump(root);
      expect(await duck.events(root), `period ${every}`).toEqual(expected);
    }
    expect(stoppedInside).toBeGreaterThan(0);
  });
});
