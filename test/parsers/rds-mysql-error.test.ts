import { describe, expect, it } from 'vitest';
import { parseErrorRecord, parser } from '../../parsers/rds-mysql-error.js';
import type { ParseContext, ParseResult } from '../../parsers/index.js';
import { outcomesOf, recordsOf, runLines, type Rec } from '../helpers/line-records.js';

const EXPORTED = 's3://central/raw/rds/111122223333/eu-west-1/orders-mysql/error/mysql-error-running.log/1714564800/000001.log.gz';
const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);

function parse(text: string, object = 'x/mysql-error.log'): ParseResult {
  const ctx: ParseContext = { object, ordinal: 1, state: parser.createState?.() };
  return parseErrorRecord(text, ctx as Parameters<typeof parseErrorRecord>[1]);
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

describe('rds-mysql-error: the forms of each version', () => {
  it('MySQL 8.0: time, thread, severity, code, subsystem, message — every column and field', () => {
    expect(record('2024-05-01T12:00:01.500000Z 0 [Warning] [MY-010068] [Server] CA certificate ca.pem is self signed.', EXPORTED)).toEqual({
      time: T0 + 1500,
      category: 'database_activity',
      account_id: '111122223333',
      region: 'eu-west-1',
      resource: 'orders-mysql',
      resource_type: 'AWS::RDS::DBInstance',
      actor: null,
      action: null,
      status: 'MY-010068',
      outcome: 'unknown',
      error: null,
      fields: { thread: '0', severity: 'Warning', subsystem: 'Server', message: 'CA certificate ca.pem is self signed.' },
    });
  });

  it('ERROR is a failure, its message in error', () => {
    const r = record('2024-05-01T12:07:00.000000Z 0 [ERROR] [MY-012592] [InnoDB] Operating system error number 2 in a file operation.');
    expect(r).toMatchObject({ outcome: 'failure', status: 'MY-012592', error: 'Operating system error number 2 in a file operation.' });
    expect(r.fields).toEqual({ thread: '0', severity: 'ERROR', subsystem: 'InnoDB' });
  });

  it('MySQL 5.7, 5.6, MariaDB and 5.5 forms; a line without a severity keeps the rest as its message', () => {
    expect(record('2024-05-01T12:00:00.123456Z 0 [Note] InnoDB: Buffer pool(s) load completed').fields).toEqual({ thread: '0', severity: 'Note', message: 'InnoDB: Buffer pool(s) load completed' });
    expect(record('2024-05-01 12:00:00 1234 [Note] InnoDB: Using atomics').time).toBe(T0);
    expect(record('2024-05-01 12:00:03 0 [ERROR] mysqld: Can\'t find record in \'sessions\'')).toMatchObject({ outcome: 'failure' });
    const old = record('240502  9:05:00 [ERROR] mysqld: Table is marked as crashed');
    expect(old).toMatchObject({ time: Date.UTC(2024, 4, 2, 9, 5, 0), outcome: 'failure' });
    expect(old.fields).toEqual({ severity: 'ERROR' });
    expect(record('2024-05-01 12:00:01 7f3a4b5c6d70 InnoDB: Starting shutdown...').fields).toEqual({ message: '7f3a4b5c6d70 InnoDB: Starting shutdown...' });
    expect(record('2024-05-01 12:00:01 0x7f3a4b5c  InnoDB: Assertion failure').fields.thread).toBe('0x7f3a4b5c');
  });
});

describe('rds-mysql-error: messages that name who and where', () => {
  it('Access denied: actor, address, failure', () => {
    const r = record("2024-05-01T12:05:10.250000Z 42 [Note] [MY-010926] [Server] Access denied for user 'app'@'10.0.0.5' (using password: YES)");
    expect(r).toMatchObject({ action: 'Access denied', actor: 'app', src_ip: '10.0.0.5', outcome: 'failure', resource: null });
  });

  it('Aborted connection: connection id, database, actor, host (an address, or a name in fields)', () => {
    const r = record("2024-05-01T12:06:00.000000Z 43 [Note] [MY-010914] [Server] Aborted connection 43 to db: 'orders' user: 'app' host: '10.0.0.6' (Got timeout reading communication packets).", EXPORTED);
    expect(r).toMatchObject({ action: 'Aborted connection', actor: 'app', src_ip: '10.0.0.6', resource: 'orders-mysql/orders', resource_type: 'dbname', outcome: 'failure' });
    expect(r.fields.connection_id).toBe('43');
    const named = record("2024-05-01T12:03:00.000000Z 12 [Note] Aborted connection 12 to db: 'unconnected' user: 'app' host: 'ip-10-0-0-5.ec2.internal' (Got an error reading communication packets)");
    expect(named.fields.host).toBe('ip-10-0-0-5.ec2.internal');
    expect(named.src_ip).toBeUndefined();
  });
});

describe('rds-mysql-error: messages over several lines', () => {
  const text = [
    '2024-05-01T12:00:01.000000Z 0 [Note] /rdsdbbin/mysql/bin/mysqld: ready for connections.',
    "Version: '5.7.44-log'  socket: '/tmp/mysql.sock'  port: 3306  Source distribution",
    '2024-05-01T12:08:00.000000Z 0 [Warning] [MY-012111] [InnoDB] Trying to access missing tablespace 1234',
    'InnoDB: the tablespace may have been dropped;',
    'InnoDB: see the manual.',
    '',
  ].join('\n');

  it('lines without a time continue the message before them', () => {
    const recs = recordsOf(runLines(parser, text));
    expect(recs.map((r) => r.fields.message)).toEqual([
      "/rdsdbbin/mysql/bin/mysqld: ready for connections.\nVersion: '5.7.44-log'  socket: '/tmp/mysql.sock'  port: 3306  Source distribution",
      'Trying to access missing tablespace 1234\nInnoDB: the tablespace may have been dropped;\nInnoDB: see the manual.',
    ]);
  });

  it('lines before the first message of the object are rejected one by one; the messages after them are kept', () => {
    expect(outcomesOf(runLines(parser, `InnoDB: the rest of a message\nof an earlier object\n${text}`))).toEqual(['unknown_format', 'unknown_format', 'record', 'record']);
  });
});

describe('rds-mysql-error: bad lines', () => {
  it('rejects days the month lacks, hours past 23 and text that is no message', () => {
    expect(reason('2024-02-30T12:00:01.000000Z 0 [Note] [MY-010000] [Server] x')).toBe('bad_timestamp');
    expect(reason('2024-05-01 25:00:00 0 [Note] hour 25')).toBe('bad_timestamp');
    expect(reason('240231 12:00:00 [Note] x')).toBe('bad_timestamp');
    expect(reason('InnoDB: a continuation line')).toBe('unknown_format');
  });

  it('record starts: a line that begins with one of the timestamps and a space', () => {
    expect(parser.recordStart?.('2024-05-01T12:00:00.000000Z 0 [Note] x')).toBe(true);
    expect(parser.recordStart?.('2024-05-01 12:00:00 0 [Note] x')).toBe(true);
    expect(parser.recordStart?.('240501  9:05:00 [Note] x')).toBe(true);
    expect(parser.recordStart?.('2024-05-01T12:00:00.000000Z\t0 [Note] x')).toBe(false);
    expect(parser.recordStart?.('InnoDB: x')).toBe(false);
  });
});
