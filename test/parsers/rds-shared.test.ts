import { describe, expect, it } from 'vitest';
import { objectKey } from '../../functions/rds-export/state.js';
import { PARSERS } from '../../parsers/index.js';
import { isServerHeader, parseAuditTime, parseEpochMicros, parseMysqlTime, parsePostgresTime, rdsOriginOf, rdsResource, rdsResourceType, zoneOffsetMinutes } from '../../parsers/shared/rds.js';
import { sqlVerb } from '../../parsers/shared/sql.js';
import { routeByContent, routeByKey } from '../../pipeline/route/route.js';

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);

describe('RDS shared: MySQL-family timestamps', () => {
  it('reads the ISO form of MySQL 5.7 and later, to the millisecond (microseconds cut)', () => {
    expect(parseMysqlTime('2024-05-01T12:00:00.123456Z')).toBe(T0 + 123);
    expect(parseMysqlTime('2024-05-01T12:00:00.999999Z')).toBe(T0 + 999);
    expect(parseMysqlTime('2024-05-01T12:00:00Z')).toBe(T0);
  });

  it('applies an offset (log_timestamps=SYSTEM)', () => {
    expect(parseMysqlTime('2024-05-01T12:00:00.5+00:00')).toBe(T0 + 500);
    expect(parseMysqlTime('2024-05-01T14:00:00+02:00')).toBe(T0);
    expect(parseMysqlTime('2024-05-01T07:30:00-04:30')).toBe(T0);
  });

  it('reads the 5.6 / MariaDB form and the YYMMDD form with its space-padded hour as UTC', () => {
    expect(parseMysqlTime('2024-05-01 12:00:00')).toBe(T0);
    expect(parseMysqlTime('240501 12:00:00')).toBe(T0);
    expect(parseMysqlTime('240502  9:05:00')).toBe(Date.UTC(2024, 4, 2, 9, 5, 0));
  });

  it('gives NaN for days the month lacks, out-of-range parts and other text', () => {
    for (const bad of ['2024-02-30T12:00:00Z', '2024-13-01T12:00:00Z', '2024-05-01 24:00:00', '240501 12:60:00', '240230 12:00:00', '2024-05-01T12:00:00.Z', '2024-05-01T12:00:00+0x:00', 'yesterday', '', '240501 1:05:00']) {
      expect(parseMysqlTime(bad), bad).toBeNaN();
    }
  });

  it('reads the audit plugin time and Aurora epoch microseconds', () => {
    expect(parseAuditTime('20240501 12:00:00')).toBe(T0);
    expect(parseAuditTime('20240231 12:00:00')).toBeNaN();
    expect(parseAuditTime('2024050 12:00:00')).toBeNaN();
    expect(parseEpochMicros('1714564800123456')).toBe(T0 + 123);
    expect(parseEpochMicros('17145648001234x6')).toBeNaN();
    expect(parseEpochMicros('12345')).toBeNaN();
  });
});

describe('RDS shared: PostgreSQL %t', () => {
  it('reads UTC, GMT and numeric offsets, with or without milliseconds (%m)', () => {
    expect(parsePostgresTime('2024-05-01 12:00:00 UTC')).toBe(T0);
    expect(parsePostgresTime('2024-05-01 12:00:00.250 UTC')).toBe(T0 + 250);
    expect(parsePostgresTime('2024-05-01 12:00:00 GMT')).toBe(T0);
    expect(parsePostgresTime('2024-05-01 15:00:00 +03')).toBe(T0);
    expect(parsePostgresTime('2024-05-01 06:30:00 -0530')).toBe(T0);
    expect(parsePostgresTime('2024-05-01 17:30:00 +05:30')).toBe(T0);
  });

  it('gives NaN for a zone abbreviation other than UTC/GMT, whose offset it cannot know', () => {
    expect(parsePostgresTime('2024-05-01 14:00:00 CEST')).toBeNaN();
    expect(parsePostgresTime('2024-05-01 12:00:00')).toBeNaN();
    expect(zoneOffsetMinutes('+15')).toBeNaN();
    expect(zoneOffsetMinutes('+05:60')).toBeNaN();
  });
});

describe('RDS shared: where an object comes from', () => {
  it('reads account, region and instance from the exporter key, in an S3 URI or a local path', () => {
    const key = objectKey('111122223333', 'eu-west-1', 'orders-db', 'error/postgresql.log.2024-05-01-12', 1714564800, 3);
    expect(key).toBe('raw/rds/111122223333/eu-west-1/orders-db/error/postgresql.log.2024-05-01-12/1714564800/000003.log.gz');
    const origin = { account: '111122223333', region: 'eu-west-1', instance: 'orders-db' };
    expect(rdsOriginOf(`s3://central/${key}`)).toEqual(origin);
    expect(rdsOriginOf(`/home/me/copy/${key}`)).toEqual(origin);
  });

  it('reads the instance of a CloudWatch Logs virtual object: the group of an instance, or the stream of a cluster group', () => {
    expect(rdsOriginOf('arn:aws:logs:us-east-1:111122223333:log-group:/aws/rds/instance/orders-db/postgresql:log-stream:orders-db.0:1:abcdef012345')).toEqual({
      account: '111122223333',
      region: 'us-east-1',
      instance: 'orders-db',
    });
    expect(rdsOriginOf('arn:aws:logs:us-east-1:111122223333:log-group:/aws/rds/cluster/orders/slowquery:log-stream:orders-instance-2:1:abcdef012345')).toEqual({
      account: '111122223333',
      region: 'us-east-1',
      instance: 'orders-instance-2',
    });
  });

  it('knows nothing of other names', () => {
    expect(rdsOriginOf('s3://b/logs/mysql-slowquery.log')).toEqual({ account: null, region: null, instance: null });
  });

  it('names a database on its instance, the instance alone, or the bare database', () => {
    const o = { account: '1', region: 'r', instance: 'db1' };
    const none = { account: null, region: null, instance: null };
    const place = (origin: typeof o | typeof none, db: string | null): [string | null, string | null] => [rdsResource(origin, db), rdsResourceType(origin, db)];
    expect(place(o, 'orders')).toEqual(['db1/orders', 'dbname']);
    expect(place(o, null)).toEqual(['db1', 'AWS::RDS::DBInstance']);
    expect(place(o, '')).toEqual(['db1', 'AWS::RDS::DBInstance']);
    expect(place(none, 'orders')).toEqual(['orders', 'dbname']);
    expect(place(none, null)).toEqual([null, null]);
  });
});

describe('RDS shared: key patterns', () => {
  const FILES: Array<[string, string]> = [
    ['error/postgresql.log.2024-05-01-12', 'rds-postgresql'],
    ['error/postgresql.log.2024-05-01-1230', 'rds-postgresql'],
    ['error/mysql-error-running.log', 'rds-mysql-error'],
    ['error/mysql-error-running.log.23', 'rds-mysql-error'],
    ['error/mysql-error.log', 'rds-mysql-error'],
    ['slowquery/mysql-slowquery.log', 'rds-mysql-slowquery'],
    ['slowquery/mysql-slowquery.log.7', 'rds-mysql-slowquery'],
    ['general/mysql-general.log.0', 'rds-mysql-general'],
    ['audit/server_audit.log', 'rds-mysql-audit'],
    ['audit/server_audit.log.3', 'rds-mysql-audit'],
    ['audit/audit.log.0.2024-05-01-12-00.0', 'rds-mysql-audit'],
  ];

  it('route every RDS log file name the exporter writes to its parser, by key', () => {
    for (const [file, id] of FILES) {
      const key = objectKey('111122223333', 'us-east-1', 'db-1', file, 1714564800, 1);
      const r = routeByKey(key);
      expect(r?.kind === 'parse' ? r.parser.id : r, key).toBe(id);
    }
  });

  it('route a download named as RDS names the file, with or without its folder', () => {
    for (const [file, id] of FILES) {
      for (const key of [`downloads/${file}`, `downloads/${file.slice(file.indexOf('/') + 1)}`, `${file}.gz`]) {
        const r = routeByKey(key);
        expect(r?.kind === 'parse' ? r.parser.id : r, key).toBe(id);
      }
    }
  });

  it('leave other names to content: a csvlog file, a bare postgresql.log, an unrelated .log', () => {
    for (const key of ['downloads/error/postgresql.log.2024-05-01-12.csv', 'logs/postgresql.log', 'logs/app.log', 'raw/rds/111122223333/us-east-1/db-1/error/trace.log/1714564800/000001.log.gz']) {
      expect(routeByKey(key), key).toBeNull();
    }
  });

  it('every RDS parser describes its names', () => {
    for (const p of PARSERS.filter((x) => x.source === 'rds')) {
      expect(p.keyExample, p.id).toMatch(/^raw\/rds\/<account>\/<region>\/<instance>\//);
      expect(p.docsUrl, p.id).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
    }
  });
});

describe('RDS shared: content sniffing tells the five logs apart', () => {
  const heads: Array<[string, string]> = [
    ['2024-05-01 12:00:00 UTC:10.0.0.5(54321):app@orders:[4711]:LOG:  statement: SELECT 1\n', 'rds-postgresql'],
    ["20240501 12:00:00,ip-10-0-1-23,app,10.0.0.5,42,1001,QUERY,orders,'SELECT 1',0,,\n", 'rds-mysql-audit'],
    ['1714564800123456,aurora-1,admin,10.0.0.8,35,0,CONNECT,,,0\n', 'rds-mysql-audit'],
    ['# Time: 2024-05-01T12:00:00.000000Z\n# User@Host: app[app] @  [10.0.0.5]  Id:    42\n# Query_time: 1.0  Lock_time: 0.0 Rows_sent: 0  Rows_examined: 0\n', 'rds-mysql-slowquery'],
    ['/rdsdbbin/mysql/bin/mysqld, Version: 8.0.36 (Source distribution). started with:\nTcp port: 3306  Unix socket: /tmp/mysql.sock\nTime                 Id Command    Argument\n', 'rds-mysql-general'],
    ['2024-05-01T12:00:00.000000Z\t   42 Query\tSELECT 1\n', 'rds-mysql-general'],
    ['\t\t   42 Query\tSELECT 1\n240501 12:00:01\t   42 Quit\t\n', 'rds-mysql-general'],
    ['2024-05-01T12:00:00.000000Z 0 [Warning] [MY-010068] [Server] CA certificate is self signed.\n', 'rds-mysql-error'],
    ['2024-05-01 12:00:00 0 [Note] InnoDB: Completed initialization of buffer pool\n', 'rds-mysql-error'],
    ['240501 12:00:00 [Note] Event Scheduler: Loaded 0 events\n', 'rds-mysql-error'],
  ];
  for (const [head, id] of heads) {
    it(`${JSON.stringify(head.slice(0, 50))}… is ${id}`, () => {
      const r = routeByContent(head);
      expect(r.kind === 'parse' ? r.parser.id : r.kind).toBe(id);
    });
  }

  it('claims nothing of plain text or another database log format', () => {
    for (const head of ['hello\nworld\n', '2024-05-01 12:00:00.123 UTC,"app","orders",4711,"10.0.0.5:54321",...\n']) {
      const r = routeByContent(head);
      expect(r.kind === 'parse' ? r.parser.source : r.kind, head).not.toBe('rds');
    }
  });
});

describe('RDS shared: the server header lines and SQL commands', () => {
  it('recognizes the three lines the server writes at each start, and nothing like them', () => {
    expect(isServerHeader('/rdsdbbin/mysql/bin/mysqld, Version: 8.0.36 (Source distribution). started with:')).toBe(true);
    expect(isServerHeader('Tcp port: 3306  Unix socket: /tmp/mysql.sock')).toBe(true);
    expect(isServerHeader('Time                 Id Command    Argument')).toBe(true);
    expect(isServerHeader('Time is money')).toBe(false);
    expect(isServerHeader('SELECT 1, Version: 2 started with:')).toBe(true);
    expect(isServerHeader(' indented, Version: 2 started with:')).toBe(false);
  });

  it('takes the first keyword of a statement, upper-cased, past blanks, parentheses and comments', () => {
    expect(sqlVerb('select 1')).toBe('SELECT');
    expect(sqlVerb('  (SELECT 1) UNION (SELECT 2)')).toBe('SELECT');
    expect(sqlVerb('-- a comment\nWITH x AS (SELECT 1) SELECT * FROM x')).toBe('WITH');
    expect(sqlVerb('# MySQL comment\ninsert into t values (1)')).toBe('INSERT');
    expect(sqlVerb('/* outer /* nested */ still */ UPDATE t SET a = 1')).toBe('UPDATE');
    expect(sqlVerb('/*!40101 SET NAMES utf8 */')).toBeNull();
    expect(sqlVerb('')).toBeNull();
    expect(sqlVerb('-- only a comment')).toBeNull();
    expect(sqlVerb('/* never closed')).toBeNull();
    // Where `#` starts no comment (Redshift), a statement starting with it has no verb.
    expect(sqlVerb('# no comment\nselect 1', { hashComments: false })).toBeNull();
    expect(sqlVerb('-- c\n/* d */ select 1', { hashComments: false })).toBe('SELECT');
    expect(sqlVerb('123')).toBeNull();
    expect(sqlVerb(`${'A'.repeat(33)} x`)).toBeNull();
  });
});
