import { describe, expect, it } from 'vitest';
import { parser } from '../../parsers/rds-mysql-general.js';
import { outcomesOf, recordsOf, runLines } from '../helpers/line-records.js';

const EXPORTED = 's3://central/raw/rds/111122223333/eu-west-1/orders-mysql/general/mysql-general.log/1714564800/000001.log.gz';
const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
const HEADER = '/rdsdbbin/mysql/bin/mysqld, Version: 8.0.36 (Source distribution). started with:\nTcp port: 3306  Unix socket: /tmp/mysql.sock\nTime                 Id Command    Argument\n';

describe('rds-mysql-general: MySQL 5.7 and later', () => {
  const text = [
    HEADER.trimEnd(),
    '2024-05-01T12:00:00.100000Z\t   42 Connect\tapp@10.0.0.5 on orders using SSL/TLS',
    '2024-05-01T12:00:01.000000Z\t   42 Query\tSELECT o.id',
    'FROM orders o',
    '2024-05-01T12:00:02.000000Z\t   42 Init DB\tbilling',
    '2024-05-01T12:00:02.500000Z\t   42 Query\tselect * from invoices',
    '2024-05-01T12:00:03.000000Z\t   43 Connect\tAccess denied for user \'report\'@\'10.0.0.9\' (using password: YES)',
    '2024-05-01T12:00:05.000000Z\t   42 Quit\t',
    '2024-05-01T12:00:06.000000Z\t   42 Query\tSELECT \'after its Quit\'',
    '2024-05-01T12:00:07.000000Z\t   45 Query\tSELECT \'connected before the object\'',
    '',
  ].join('\n');

  it('maps a Connect entry: every column and field', () => {
    const out = runLines(parser, text, EXPORTED);
    expect(outcomesOf(out)).toEqual(['header', 'header', 'header', 'record', 'record', 'record', 'record', 'record', 'record', 'record', 'record']);
    expect(recordsOf(out)[0]).toEqual({
      time: T0 + 100,
      category: 'database_activity',
      account_id: '111122223333',
      region: 'eu-west-1',
      resource: 'orders-mysql/orders',
      resource_type: 'dbname',
      actor: 'app',
      action: 'Connect',
      outcome: 'unknown',
      src_ip: '10.0.0.5',
      fields: { thread_id: '42', command: 'Connect', argument: 'app@10.0.0.5 on orders using SSL/TLS', connection_type: 'SSL/TLS' },
    });
  });

  it("a thread's entries get the user, address and database of its connection; Init DB changes the database; a Quit forgets the thread after its own entry", () => {
    const recs = recordsOf(runLines(parser, text));
    expect(recs.map((r) => [r.action, r.actor, r.resource, r.src_ip ?? null])).toEqual([
      ['Connect', 'app', 'orders', '10.0.0.5'],
      ['SELECT', 'app', 'orders', '10.0.0.5'],
      ['Init DB', 'app', 'billing', '10.0.0.5'],
      ['SELECT', 'app', 'billing', '10.0.0.5'],
      ['Connect', 'report', null, '10.0.0.9'],
      ['Quit', 'app', 'billing', '10.0.0.5'],
      ['SELECT', null, null, null],
      ['SELECT', null, null, null],
    ]);
    expect(recs[1]?.fields).toEqual({ thread_id: '42', command: 'Query', query: 'SELECT o.id\nFROM orders o' });
    expect(recs[4]).toMatchObject({ outcome: 'failure' });
    expect(recs[5]?.fields).toEqual({ thread_id: '42', command: 'Quit' });
  });

  it('a server restart forgets every connection', () => {
    const t = `${HEADER}2024-05-01T12:00:00.100000Z\t   42 Connect\tapp@10.0.0.5 on orders using TCP/IP\n${HEADER}2024-05-01T12:00:01.000000Z\t   42 Query\tSELECT 1\n`;
    expect(recordsOf(runLines(parser, t)).map((r) => r.actor)).toEqual(['app', null]);
  });

  it('a socket connection without a database; MariaDB\'s "as <priv user>"', () => {
    const [sock] = recordsOf(runLines(parser, '2024-05-01T12:00:04.000000Z\t   44 Connect\trdsadmin@localhost on  using Socket\n'));
    expect(sock).toMatchObject({ actor: 'rdsadmin', resource: null });
    expect(sock?.fields).toMatchObject({ host: 'localhost', connection_type: 'Socket' });
    const [as] = recordsOf(runLines(parser, '240501 12:00:00\t     43 Connect\tetl@10.0.0.6 as etl_ro on reports using TCP/IP\n'));
    expect(as).toMatchObject({ actor: 'etl', resource: 'reports' });
    expect(as?.fields.priv_user).toBe('etl_ro');
  });
});

describe('rds-mysql-general: MySQL 5.6 and MariaDB (the time only when the second changes)', () => {
  const text = '240501 12:00:00\t     42 Connect\tapp@10.0.0.5 on orders using TCP/IP\n\t\t     42 Query\tSELECT 1\n240502  9:05:00\t     42 Execute\tSELECT 2\n\t\t     42 Quit\t\n';

  it('an entry written with two tabs has the time of the entry before it', () => {
    const recs = recordsOf(runLines(parser, text));
    expect(recs.map((r) => r.time)).toEqual([T0, T0, Date.UTC(2024, 4, 2, 9, 5, 0), Date.UTC(2024, 4, 2, 9, 5, 0)]);
    expect(recs.map((r) => r.action)).toEqual(['Connect', 'SELECT', 'SELECT', 'Quit']);
    expect(recs[2]?.fields.query).toBe('SELECT 2');
  });

  it('after an entry whose time does not read, a two-tab entry takes the last time that read, and says so', () => {
    const t = '240501 12:00:00\t     42 Query\tSELECT 1\n241301 12:00:01\t     42 Query\tSELECT 2\n\t\t     42 Query\tSELECT 3\n';
    const out = runLines(parser, t);
    expect(outcomesOf(out)).toEqual(['record', 'bad_timestamp', 'record']);
    const recs = recordsOf(out);
    expect(recs[1]?.time).toBe(T0);
    expect(recs[1]?.fields.time_source).toBe('earlier_entry');
    expect(recs[0]?.fields.time_source).toBeUndefined();
  });

  it('a two-tab entry with no time before it in the object has none', () => {
    expect(outcomesOf(runLines(parser, '\t\t     42 Query\tSELECT 1\n'))).toEqual(['no_event_time']);
  });

  it('a hand-over anywhere gives the same records: the header hook rebuilds the time and the connections', () => {
    const whole = runLines(parser, `${HEADER}${text}`);
    const frames = whole.map((o) => o.frame);
    for (let resume = 1; resume < frames.length; resume++) {
      const state = parser.createState?.();
      for (const f of frames.slice(0, resume)) if (f !== '') parser.header?.(f, state);
      const ctx = { object: 'x/data.log', ordinal: resume, state, drift: 0 };
      const rest = frames.slice(resume).map((f) => (f === '' ? 'blank' : parser.header?.(f, state) === true ? 'header' : parser.parse(f, ctx)));
      expect(rest, `resume after frame ${resume}`).toEqual(whole.slice(resume).map((o) => o.result));
    }
  });
});

describe('rds-mysql-general: bad entries', () => {
  it('rejects text before any entry, an entry whose command cannot be read, and a bad time', () => {
    const t = [
      '2024-05-01 this line looks like an entry but is not one',
      'text before any entry',
      '2024-05-01T12:00:00.000000Z\t   42 Connect\tapp@10.0.0.5 on orders using TCP/IP',
      '2024-05-01T12:00:00.500000Z\t   42 Conne6t\ta damaged command name',
      '\t\t   42 Query\tSELECT 1',
      '2024-13-01T12:00:01.000000Z\t   42 Query\tSELECT 2',
      '',
    ].join('\n');
    const out = runLines(parser, t);
    expect(outcomesOf(out)).toEqual(['field_count_mismatch', 'unknown_format', 'record', 'field_count_mismatch', 'record', 'bad_timestamp']);
    // The damaged entry is a frame of its own, and its time still counts for the two-tab entry after it.
    expect(recordsOf(out)[1]?.time).toBe(T0 + 500);
  });

  it('record starts: a time and a tab, two tabs and a thread, or a server header line', () => {
    expect(parser.recordStart?.('2024-05-01T12:00:00.000000Z\t   42 Query\tSELECT 1')).toBe(true);
    expect(parser.recordStart?.('240501  9:05:00\t   42 Query\tSELECT 1')).toBe(true);
    expect(parser.recordStart?.('\t\t   42 Query\tSELECT 1')).toBe(true);
    expect(parser.recordStart?.('\t\t1, 2, 3')).toBe(false);
    expect(parser.recordStart?.('FROM orders o')).toBe(false);
    expect(parser.recordStart?.('Time                 Id Command    Argument')).toBe(true);
  });
});
