import { describe, expect, it } from 'vitest';
import { csvCells, parsePostgresRecord, parser } from '../../parsers/rds-postgresql.js';
import type { ParseContext, ParseResult } from '../../parsers/index.js';
import { outcomesOf, recordsOf, runLines, type Rec } from '../helpers/line-records.js';

const EXPORTED = 's3://central/raw/rds/111122223333/eu-west-1/orders-pg/error/postgresql.log.2024-05-01-12/1714564800/000001.log.gz';
const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
const P = '2024-05-01 12:00:00 UTC:10.0.0.5(54321):app@orders:[4711]:';

function parse(text: string, object = 'x/data.log'): ParseResult {
  const ctx: ParseContext = { object, ordinal: 1, state: parser.createState?.() };
  return parsePostgresRecord(text, ctx as Parameters<typeof parsePostgresRecord>[1]);
}
function record(text: string, object?: string): Rec {
  const r = parse(text, object);
  if (r.ok !== true) throw new Error(`expected a record, got ${JSON.stringify(r)}`);
  return { ...r.record, fields: r.record.fields ?? {} };
}
const reason = (text: string): string | null => {
  const r = parse(text);
  return r.ok === false ? r.reason : null;
};

describe('rds-postgresql: the prefix %t:%r:%u@%d:[%p]:', () => {
  it('maps a statement line: every column and field', () => {
    const r = record(`${P}LOG:  statement: select * from orders where id = 7`, EXPORTED);
    expect(r).toEqual({
      time: T0,
      category: 'database_activity',
      account_id: '111122223333',
      region: 'eu-west-1',
      resource: 'orders-pg/orders',
      resource_type: 'dbname',
      actor: 'app',
      action: 'SELECT',
      outcome: 'unknown',
      error: null,
      src_ip: '10.0.0.5',
      src_port: 54321,
      fields: { pid: '4711', severity: 'LOG', query: 'select * from orders where id = 7' },
    });
  });

  it('reads an IPv6 client, a host name (log_hostname), [local] and the empty %r of background processes', () => {
    expect(record('2024-05-01 12:00:00 UTC:2001:db8::5(40001):app@orders:[1]:LOG:  statement: SELECT 1')).toMatchObject({ src_ip: '2001:db8::5', src_port: 40001 });
    const named = record('2024-05-01 12:00:00 UTC:client.example.com(40001):app@orders:[1]:LOG:  statement: SELECT 1');
    expect(named.src_ip).toBeUndefined();
    expect(named.src_port).toBe(40001);
    expect(named.fields.remote_host).toBe('client.example.com');
    const local = record('2024-05-01 12:00:00 UTC:[local]:rdsadmin@rdsadmin:[1]:LOG:  statement: SELECT 1');
    expect(local.fields.remote_host).toBe('[local]');
    expect(local.src_port).toBeUndefined();
    const bg = record('2024-05-01 12:00:00 UTC::@:[3120]:LOG:  checkpoint starting: time');
    expect(bg).toMatchObject({ actor: null, resource: null, resource_type: null, action: null, outcome: 'unknown' });
    expect(bg.fields).toEqual({ pid: '3120', severity: 'LOG', message: 'checkpoint starting: time' });
  });

  it('takes %m (milliseconds) and a numeric zone as well', () => {
    expect(record('2024-05-01 14:00:00.250 +02:10.0.0.5(1):a@b:[1]:LOG:  statement: SELECT 1').time).toBe(T0 + 250);
  });

  it('reads [unknown] user and database (before authentication) as absent', () => {
    const r = record('2024-05-01 12:00:01 UTC:10.0.0.5(54321):[unknown]@[unknown]:[4711]:LOG:  connection received: host=10.0.0.5 port=54321');
    expect(r).toMatchObject({ actor: null, resource: null, action: 'connection received', outcome: 'success', src_ip: '10.0.0.5' });
  });
});

describe('rds-postgresql: messages', () => {
  it('ERROR, FATAL and PANIC are failures with the message in error; WARNING and LOG are not', () => {
    const e = record(`${P}ERROR:  relation "nope" does not exist at character 15`);
    expect(e).toMatchObject({ outcome: 'failure', error: 'relation "nope" does not exist at character 15', action: null });
    expect(e.fields).toEqual({ pid: '4711', severity: 'ERROR' });
    expect(record(`${P}FATAL:  terminating connection due to administrator command`).outcome).toBe('failure');
    expect(record(`${P}PANIC:  could not write to file`).outcome).toBe('failure');
    const w = record(`${P}WARNING:  there is no transaction in progress`);
    expect(w).toMatchObject({ outcome: 'unknown', error: null });
    expect(w.fields.message).toBe('there is no transaction in progress');
  });

  it('a STATEMENT line gives the statement of the message before it', () => {
    const r = record(`${P}STATEMENT:  select * from nope;`);
    expect(r).toMatchObject({ action: 'SELECT', outcome: 'unknown' });
    expect(r.fields).toEqual({ pid: '4711', severity: 'STATEMENT', query: 'select * from nope;' });
  });

  it('duration lines: alone, with a statement, with an extended-protocol step', () => {
    const alone = record(`${P}LOG:  duration: 12.345 ms`);
    expect(alone).toMatchObject({ duration_ms: 12.345, outcome: 'success', action: null });
    expect(alone.fields).toEqual({ pid: '4711', severity: 'LOG' });
    const st = record(`${P}LOG:  duration: 1520.250 ms  statement: UPDATE orders SET status = 'x'`);
    expect(st).toMatchObject({ duration_ms: 1520.25, outcome: 'success', action: 'UPDATE' });
    expect(st.fields.query).toBe("UPDATE orders SET status = 'x'");
    const ex = record(`${P}LOG:  duration: 0.412 ms  execute S_3: SELECT name FROM customers WHERE id = $1`);
    expect(ex).toMatchObject({ duration_ms: 0.412, action: 'SELECT' });
    expect(ex.fields).toMatchObject({ phase: 'execute', statement_name: 'S_3', query: 'SELECT name FROM customers WHERE id = $1' });
  });

  it('execute / bind / parse lines of the extended protocol', () => {
    const r = record(`${P}LOG:  execute <unnamed>: SELECT * FROM customers WHERE id = $1`);
    expect(r).toMatchObject({ action: 'SELECT', outcome: 'unknown' });
    expect(r.fields).toEqual({ pid: '4711', severity: 'LOG', phase: 'execute', statement_name: '<unnamed>', query: 'SELECT * FROM customers WHERE id = $1' });
    expect(record(`${P}LOG:  bind S_1: COMMIT`).fields.phase).toBe('bind');
  });

  it('connection events and the session time of a disconnection', () => {
    expect(record(`${P}LOG:  connection authorized: user=app database=orders application_name=psql`)).toMatchObject({ action: 'connection authorized', outcome: 'success' });
    expect(record(`${P}LOG:  replication connection authorized: user=rdsrepladmin`)).toMatchObject({ action: 'connection authorized' });
    expect(record(`${P}LOG:  connection authenticated: identity="app" method=md5 (/rdsdbdata/config/pg_hba.conf:13)`)).toMatchObject({ action: 'connection authenticated' });
    const d = record(`${P}LOG:  disconnection: session time: 1:02:05.123 user=app database=orders host=10.0.0.5 port=54321`);
    expect(d).toMatchObject({ action: 'disconnection', outcome: 'success', duration_ms: 3_725_123 });
  });

  it('a failed password authentication names its user even when the prefix has none', () => {
    const r = record('2024-05-01 12:00:00 UTC:10.0.0.9(40001):[unknown]@[unknown]:[1]:FATAL:  password authentication failed for user "report"');
    expect(r).toMatchObject({ action: 'authentication failed', actor: 'report', outcome: 'failure', error: 'password authentication failed for user "report"' });
  });
});

describe('rds-postgresql: pgaudit', () => {
  it('splits an AUDIT entry into its fields; a quoted statement keeps its commas and quotes', () => {
    const r = record(`${P}LOG:  AUDIT: SESSION,1,1,READ,SELECT,TABLE,public.orders,"SELECT id FROM orders WHERE note = ""rush, gift""",<not logged>`);
    expect(r).toMatchObject({ action: 'SELECT', outcome: 'unknown', actor: 'app', resource: 'orders' });
    expect(r.fields).toEqual({
      pid: '4711',
      severity: 'LOG',
      audit_type: 'SESSION',
      statement_id: '1',
      substatement_id: '1',
      class: 'READ',
      object_type: 'TABLE',
      object_name: 'public.orders',
      query: 'SELECT id FROM orders WHERE note = "rush, gift"',
      parameter: '<not logged>',
    });
  });

  it('keeps the parameters (quoted CSV) as written, and takes a command of two words', () => {
    const r = record(`${P}LOG:  AUDIT: OBJECT,3,1,WRITE,INSERT,TABLE,public.t,"INSERT INTO t VALUES ($1, $2)","7","a, note"`);
    expect(r.fields.parameter).toBe('"7","a, note"');
    expect(record(`${P}LOG:  AUDIT: SESSION,2,1,DDL,CREATE TABLE,TABLE,public.t,CREATE TABLE t (id int),<none>`).action).toBe('CREATE TABLE');
  });

  it('an empty COMMAND falls back to the statement; empty fields are left out', () => {
    const r = record(`${P}LOG:  AUDIT: SESSION,4,1,MISC,,,,"vacuum t",<not logged>`);
    expect(r.action).toBe('VACUUM');
    expect(r.fields.object_type).toBeUndefined();
  });

  it('rejects an entry cut short, an unterminated quote, and text after a closing quote', () => {
    expect(reason(`${P}LOG:  AUDIT: SESSION,4,1,READ`)).toBe('field_count_mismatch');
    expect(reason(`${P}LOG:  AUDIT: SESSION,3,1,READ,SELECT,TABLE,public.t,"select never closed,<not logged>`)).toBe('unterminated_quote');
    expect(reason(`${P}LOG:  AUDIT: SESSION,5,1,READ,SELECT,TABLE,public.t,"select 5"x,<not logged>`)).toBe('malformed_quote');
    expect(reason(`${P}LOG:  AUDIT: SESSION,5,1,RE"AD,SELECT,TABLE,public.t,x,<not logged>`)).toBe('malformed_quote');
  });

  it('csvCells: cells up to a maximum, then the rest as written', () => {
    expect(csvCells('a,"b,""c""",d,e', 2)).toEqual({ cells: ['a', 'b,"c"'], rest: 'd,e' });
    expect(csvCells('a,b', 5)).toEqual({ cells: ['a', 'b'], rest: null });
    expect(csvCells('"a"', 5)).toEqual({ cells: ['a'], rest: null });
    expect(csvCells('a,', 5)).toEqual({ cells: ['a', ''], rest: null });
  });
});

describe('rds-postgresql: records over several lines', () => {
  const text = [
    `${P}LOG:  statement: SELECT o.id`,
    '\tFROM orders o',
    '\tWHERE o.status = 1;',
    `${P}LOG:  AUDIT: SESSION,2,1,DDL,CREATE TABLE,TABLE,public.t,"CREATE TABLE t (`,
    '\t  id int',
    '\t)",<none>',
    `${P}LOG:  statement: SELECT 2`,
    '',
  ].join('\n');

  it('joins the tab-continued lines into one record and drops the tab PostgreSQL put before each', () => {
    const recs = recordsOf(runLines(parser, text));
    expect(recs.map((r) => r.fields.query)).toEqual(['SELECT o.id\nFROM orders o\nWHERE o.status = 1;', 'CREATE TABLE t (\n  id int\n)', 'SELECT 2']);
  });

  it('a continuation line before any record is rejected on its own; the records after it are kept', () => {
    expect(outcomesOf(runLines(parser, `\tFROM orders o\n${text}`))).toEqual(['unknown_format', 'record', 'record', 'record']);
  });

  it('a record cut short at the end of the object is still one record (its end is the object end)', () => {
    const cut = `${P}LOG:  statement: SELECT o.id\n\tFROM orders`;
    expect(recordsOf(runLines(parser, cut)).map((r) => r.fields.query)).toEqual(['SELECT o.id\nFROM orders']);
  });

  it('a record over maxLineBytes is rejected whole by the framer as line_too_long; the next one is kept', () => {
    const long = `${P}LOG:  statement: SELECT 1\n${'\tx\n'.repeat(600)}${P}LOG:  statement: SELECT 2\n`;
    expect(outcomesOf(runLines(parser, long, 'x/data.log', 1024))).toEqual(['framer:line_too_long', 'record']);
  });
});

describe('rds-postgresql: bad lines', () => {
  it('rejects a prefix cut short, bad times, a zone it cannot resolve, and text that is no message', () => {
    expect(reason('2024-05-01 12:00:01 UTC:10.0.0.5(54321):app@orders:LOG:  statement: no pid')).toBe('field_count_mismatch');
    expect(reason('2024-05-01 12:00:01 UTC:10.0.0.5(54321):app@orders:[4711]')).toBe('field_count_mismatch');
    expect(reason('2024-13-45 12:00:02 UTC:10.0.0.5(54321):app@orders:[4711]:LOG:  statement: SELECT 2')).toBe('bad_timestamp');
    expect(reason('2024-02-30 12:00:02 UTC:10.0.0.5(54321):app@orders:[4711]:LOG:  statement: SELECT 2')).toBe('bad_timestamp');
    expect(reason('2024-05-01 12:00:03 CEST:10.0.0.5(54321):app@orders:[4711]:LOG:  statement: SELECT 3')).toBe('bad_timestamp');
    expect(reason('hello world')).toBe('unknown_format');
    expect(reason('\tFROM orders')).toBe('unknown_format');
  });

  it('record starts are lines that begin with a timestamp, and nothing else', () => {
    expect(parser.recordStart?.(`${P}LOG:  x`)).toBe(true);
    expect(parser.recordStart?.('2024-05-01 12:00:00 anything')).toBe(true);
    expect(parser.recordStart?.('\t2024-05-01 12:00:00 UTC:…')).toBe(false);
    expect(parser.recordStart?.('FROM orders')).toBe(false);
  });
});
