import { describe, expect, it } from 'vitest';
import { parser } from '../../parsers/rds-mysql-slowquery.js';
import { outcomesOf, recordsOf, runLines } from '../helpers/line-records.js';

const EXPORTED = 's3://central/raw/rds/111122223333/eu-west-1/orders-mysql/slowquery/mysql-slowquery.log/1714564800/000001.log.gz';
const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);

const HEADER = ['/rdsdbbin/mysql/bin/mysqld, Version: 8.0.36 (Source distribution). started with:', 'Tcp port: 3306  Unix socket: /tmp/mysql.sock', 'Time                 Id Command    Argument'];

/** A MySQL 8.0 entry. */
const entry80 = (time: string, sql: string, extra = ''): string[] => [
  `# Time: ${time}`,
  '# User@Host: app[app] @  [10.0.0.5]  Id:    42',
  `# Query_time: 2.000123  Lock_time: 0.000050 Rows_sent: 1  Rows_examined: 100000${extra}`,
  'SET timestamp=1714564800;',
  ...sql.split('\n'),
];

const lines = (...parts: string[][]): string => `${parts.flat().join('\n')}\n`;

describe('rds-mysql-slowquery: MySQL 8.0 / Aurora MySQL 3', () => {
  it('maps an entry: every column and field; the statement over several lines is one record', () => {
    const text = lines(HEADER, ['# Time: 2024-05-01T12:00:03.123456Z', '# User@Host: app[app] @  [10.0.0.5]  Id:    42', '# Query_time: 2.000123  Lock_time: 0.000050 Rows_sent: 1  Rows_examined: 100000', 'use orders;', 'SET timestamp=1714564801;', 'SELECT o.id', 'FROM orders o;']);
    const out = runLines(parser, text, EXPORTED);
    expect(outcomesOf(out)).toEqual(['header', 'header', 'header', 'header', 'record']);
    expect(recordsOf(out)).toEqual([
      {
        time: T0 + 3123,
        category: 'database_activity',
        account_id: '111122223333',
        region: 'eu-west-1',
        resource: 'orders-mysql/orders',
        resource_type: 'dbname',
        actor: 'app',
        action: 'SELECT',
        duration_ms: 2000.123,
        status: null,
        outcome: 'unknown',
        src_ip: '10.0.0.5',
        fields: { timestamp: '1714564801', thread_id: '42', lock_time: '0.000050', rows_sent: '1', rows_examined: '100000', query: 'SELECT o.id\nFROM orders o' },
      },
    ]);
  });

  it('log_slow_extra: Errno gives status and outcome, Bytes_* bytes_in/out, the rest goes to fields', () => {
    const extra = ' Thread_id: 42 Errno: 1146 Killed: 0 Bytes_received: 40 Bytes_sent: 90 Read_first: 0  Start: 2024-05-01T12:00:01.000000Z End: 2024-05-01T12:00:03.000000Z';
    const [r] = recordsOf(runLines(parser, lines(entry80('2024-05-01T12:00:03.000000Z', 'SELECT * FROM nope;', extra))));
    expect(r).toMatchObject({ status: '1146', outcome: 'failure', bytes_in: 40, bytes_out: 90 });
    expect(r?.fields).toMatchObject({ thread_id: '42', killed: '0', read_first: '0', start: '2024-05-01T12:00:01.000000Z', end: '2024-05-01T12:00:03.000000Z' });
    expect(r?.fields.errno).toBeUndefined();
    const ok = extra.replace('Errno: 1146', 'Errno: 0');
    expect(recordsOf(runLines(parser, lines(entry80('2024-05-01T12:00:03.000000Z', 'SELECT 1;', ok))))[0]).toMatchObject({ status: '0', outcome: 'success' });
    const killed = ok.replace('Killed: 0', 'Killed: 1');
    expect(recordsOf(runLines(parser, lines(entry80('2024-05-01T12:00:03.000000Z', 'SELECT 1;', killed))))[0]).toMatchObject({ outcome: 'failure' });
  });

  it('the database of the last use line carries over to the entries after it, and a server restart forgets it', () => {
    const first = entry80('2024-05-01T12:00:01.000000Z', 'SELECT 1;');
    first.splice(3, 0, 'use billing;');
    const text = lines(first, entry80('2024-05-01T12:00:02.000000Z', 'SELECT 2;'), HEADER, entry80('2024-05-01T12:00:03.000000Z', 'SELECT 3;'));
    expect(recordsOf(runLines(parser, text)).map((r) => r.resource)).toEqual(['billing', 'billing', null]);
  });

  it('an administrator command is named in action; SET insert ids go to fields; the SQL text keeps a semicolon of its own', () => {
    const admin = lines(entry80('2024-05-01T12:00:07.000000Z', '# administrator command: Prepare;'));
    expect(recordsOf(runLines(parser, admin))[0]).toMatchObject({ action: 'Prepare' });
    const set = lines(entry80('2024-05-01T12:00:07.000000Z', 'INSERT INTO t VALUES (1);;').map((l) => (l.startsWith('SET ') ? 'SET last_insert_id=17,insert_id=18,timestamp=1714564806;' : l)));
    const [r] = recordsOf(runLines(parser, set));
    expect(r?.fields).toMatchObject({ last_insert_id: '17', insert_id: '18', timestamp: '1714564806', query: 'INSERT INTO t VALUES (1);' });
  });

  it('a host name and its address; a priv_user that differs from the user', () => {
    const text = lines(entry80('2024-05-01T12:00:00.000000Z', 'SELECT 1;').map((l) => (l.startsWith('# User@Host') ? '# User@Host: proxied[app] @ ip-10-0-0-9.ec2.internal [10.0.0.9]  Id:    57' : l)));
    const [r] = recordsOf(runLines(parser, text));
    expect(r).toMatchObject({ actor: 'app', src_ip: '10.0.0.9' });
    expect(r?.fields).toMatchObject({ priv_user: 'proxied', host: 'ip-10-0-0-9.ec2.internal', thread_id: '57' });
  });
});

describe('rds-mysql-slowquery: MySQL 5.6 and MariaDB (# Time only when the second changes)', () => {
  const maria = lines([
    '# Time: 240501 12:00:00',
    '# User@Host: app[app] @ ip-10-0-0-5.ec2.internal [10.0.0.5]',
    '# Thread_id: 42  Schema: orders  QC_hit: No',
    '# Query_time: 1.500000  Lock_time: 0.000100  Rows_sent: 1  Rows_examined: 50000',
    '# Rows_affected: 0  Bytes_sent: 120',
    'SET timestamp=1714564800;',
    'SELECT 1;',
    '# User@Host: app[app] @ ip-10-0-0-5.ec2.internal [10.0.0.5]',
    '# Thread_id: 42  Schema:   QC_hit: No',
    '# Query_time: 1.250000  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 50000',
    'SET timestamp=1714564800;',
    'SELECT 2;',
    '# Time: 240502  9:05:00',
    '# User@Host: batch[batch] @ localhost []',
    '# Query_time: 12.000000  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 0',
    'SET timestamp=1714640700;',
    'CALL rebuild();',
  ]);

  it('an entry without its own # Time line takes the one before it; Schema is the database; an empty value stays empty', () => {
    const out = runLines(parser, maria);
    expect(outcomesOf(out)).toEqual(['header', 'record', 'record', 'header', 'record']);
    const recs = recordsOf(out);
    expect(recs.map((r) => r.time)).toEqual([T0, T0, Date.UTC(2024, 4, 2, 9, 5, 0)]);
    expect(recs.map((r) => r.resource)).toEqual(['orders', null, null]);
    expect(recs[0]?.fields).toEqual({
      timestamp: '1714564800',
      thread_id: '42',
      qc_hit: 'No',
      lock_time: '0.000100',
      rows_sent: '1',
      rows_examined: '50000',
      rows_affected: '0',
      query: 'SELECT 1',
      host: 'ip-10-0-0-5.ec2.internal',
    });
    expect(recs[0]).toMatchObject({ bytes_out: 120, duration_ms: 1500, actor: 'app', src_ip: '10.0.0.5' });
    expect(recs[1]?.fields.qc_hit).toBe('No');
    expect(recs[2]?.fields.host).toBe('localhost');
    expect(recs[2]?.src_ip).toBeUndefined();
  });

  it('without any # Time line in the object, the time is SET timestamp', () => {
    const cut = maria.slice(maria.indexOf('# User@Host'));
    expect(recordsOf(runLines(parser, cut))[0]?.time).toBe(T0);
  });

  it('a hand-over anywhere gives the same records: the header hook rebuilds the time and the database from the frames before', () => {
    const text = lines(entry80('2024-05-01T12:00:01.000000Z', 'SELECT 1;').map((l) => (l === 'SET timestamp=1714564800;' ? 'use shop;\nSET timestamp=1714564800;' : l)), maria.trimEnd().split('\n'));
    const whole = runLines(parser, text);
    // Replaying every frame before a resume point through the header hook alone, as a continuation does.
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

describe('rds-mysql-slowquery: bad entries', () => {
  it('rejects a bad # Time line, a User@Host line it cannot read, a Query_time that is no number, and text before any entry', () => {
    const text = lines(
      ["SELECT 'a statement line before any entry';", '# Time: not-a-time'],
      entry80('2024-05-01T12:00:01.000000Z', 'SELECT 1;').slice(1),
      ['# User@Host: this is not a user and host', '# Query_time: 1.000000  Lock_time: 0.000000 Rows_sent: 0  Rows_examined: 0'],
      entry80('2024-05-01T12:00:05.000000Z', 'SELECT 2;').map((l) => l.replace('Query_time: 2.000123', 'Query_time: abc')),
    );
    expect(outcomesOf(runLines(parser, text))).toEqual(['unknown_format', 'bad_timestamp', 'record', 'field_count_mismatch', 'header', 'bad_number']);
    // After a # Time line that does not read, the entry falls back to its SET timestamp.
    expect(recordsOf(runLines(parser, text))[0]?.time).toBe(T0);
  });

  it('an entry cut short (no Query_time, no statement) is a truncated_record', () => {
    expect(outcomesOf(runLines(parser, lines(['# Time: 2024-05-01T12:00:07.000000Z', '# User@Host: app[app] @  [10.0.0.5]  Id:    42'])))).toEqual(['header', 'truncated_record']);
    expect(outcomesOf(runLines(parser, lines(entry80('2024-05-01T12:00:07.000000Z', 'x').slice(0, 4))))).toEqual(['header', 'truncated_record']);
  });

  it('an entry with neither a # Time line before it nor a SET timestamp has no time', () => {
    expect(outcomesOf(runLines(parser, lines(['# User@Host: app[app] @  [10.0.0.5]  Id:    42', '# Query_time: 1.0  Lock_time: 0.0 Rows_sent: 0  Rows_examined: 0', 'SELECT 1;'])))).toEqual(['no_event_time']);
  });

  it('a # Time line followed by lines that are no entry is rejected', () => {
    expect(outcomesOf(runLines(parser, lines(['# Time: 2024-05-01T12:00:07.000000Z', 'garbage'])))).toEqual(['unknown_format']);
  });

  it('record starts: # Time, # User@Host and the server header lines only', () => {
    expect(parser.recordStart?.('# Time: 2024-05-01T12:00:00Z')).toBe(true);
    expect(parser.recordStart?.('# User@Host: a[a] @  []')).toBe(true);
    expect(parser.recordStart?.('# Query_time: 1')).toBe(false);
    expect(parser.recordStart?.('Tcp port: 3306  Unix socket: /tmp/mysql.sock')).toBe(true);
    expect(parser.recordStart?.('SELECT 1;')).toBe(false);
  });
});
