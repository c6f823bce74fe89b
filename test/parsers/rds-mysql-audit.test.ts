import { describe, expect, it } from 'vitest';
import { parseAuditLine, parser, splitAuditLine } from '../../parsers/rds-mysql-audit.js';
import type { ParseContext, ParseResult } from '../../parsers/index.js';
import type { Rec } from '../helpers/line-records.js';

const EXPORTED = 's3://central/raw/rds/111122223333/eu-west-1/orders-mysql/audit/server_audit.log/1714564800/000001.log.gz';
const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
const H = '20240501 12:00:00,ip-10-0-1-23,app,10.0.0.5,42';

function run(line: string, object = 'x/server_audit.log'): { result: ParseResult; drift: number } {
  const ctx: ParseContext = { object, ordinal: 1, state: parser.createState?.(), drift: 0 };
  const result = parseAuditLine(line, ctx as Parameters<typeof parseAuditLine>[1]);
  return { result, drift: ctx.drift ?? 0 };
}
function record(line: string, object?: string): Rec {
  const r = run(line, object).result;
  if (r.ok !== true) throw new Error(`expected a record, got ${JSON.stringify(r)}`);
  return { ...r.record, fields: r.record.fields ?? {} };
}
const reason = (line: string): string | null => {
  const r = run(line).result;
  return r.ok === false ? r.reason : null;
};

describe('rds-mysql-audit: the MariaDB Audit Plugin as RDS for MySQL writes it', () => {
  it('maps a QUERY event: every column and field; the quoted statement unescaped', () => {
    const r = record(`${H},1001,QUERY,orders,'SELECT id FROM orders WHERE note = \\'rush, gift\\'',0,,`, EXPORTED);
    expect(r).toEqual({
      time: T0,
      category: 'database_activity',
      account_id: '111122223333',
      region: 'eu-west-1',
      resource: 'orders-mysql/orders',
      resource_type: 'dbname',
      actor: 'app',
      action: 'SELECT',
      status: '0',
      outcome: 'success',
      request_id: '1001',
      src_ip: '10.0.0.5',
      fields: { serverhost: 'ip-10-0-1-23', connectionid: '42', operation: 'QUERY', query: "SELECT id FROM orders WHERE note = 'rush, gift'" },
    });
  });

  it('undoes every escape the plugin writes: quote, backslash, line breaks, tab, backspace, form feed', () => {
    const r = record(`${H},1002,QUERY,orders,'INSERT INTO t VALUES (\\'C:\\\\temp\\')\\nSELECT\\t1\\r\\b\\f',0,,`);
    expect(r.fields.query).toBe("INSERT INTO t VALUES ('C:\\temp')\nSELECT\t1\r\b\f");
    expect(r.action).toBe('INSERT');
  });

  it('a non-zero return code is a failure; connection events keep the connection type', () => {
    expect(record(`${H},1003,QUERY,orders,'DROP TABLE nope',1051,,`)).toMatchObject({ status: '1051', outcome: 'failure', action: 'DROP' });
    const failed = record('20240501 12:00:04,ip-10-0-1-23,report,10.0.0.9,43,0,FAILED_CONNECT,,,1045,TCP/IP');
    expect(failed).toMatchObject({ action: 'FAILED_CONNECT', actor: 'report', status: '1045', outcome: 'failure', request_id: null, resource: null });
    expect(failed.fields).toEqual({ serverhost: 'ip-10-0-1-23', connectionid: '43', operation: 'FAILED_CONNECT', connection_type: 'TCP/IP' });
    expect(record(`${H},0,CONNECT,orders,,0,SSL`)).toMatchObject({ action: 'CONNECT', outcome: 'success', resource: 'orders' });
  });

  it('a host that is not an address goes to fields.host', () => {
    const r = record('20240501 12:00:05,ip-10-0-1-23,rdsadmin,localhost,44,1004,QUERY,mysql,\'SELECT 1\',0,,');
    expect(r.src_ip).toBeUndefined();
    expect(r.fields.host).toBe('localhost');
  });

  it('table events keep their table in fields.object; PROXY_CONNECT its proxied user', () => {
    const r = record(`${H},1005,WRITE,orders,order_items,0`);
    expect(r).toMatchObject({ action: 'WRITE', resource: 'orders', request_id: '1005' });
    expect(r.fields.object).toBe('order_items');
    expect(record(`${H},0,PROXY_CONNECT,orders,\`app\`@\`%\`,0,TCP/IP`).fields.object).toBe('`app`@`%`');
  });

  it('a quoted statement that cannot be read as SQL keeps the operation as action', () => {
    expect(record(`${H},1006,QUERY,orders,'/* only a comment */',0,,`).action).toBe('QUERY');
  });
});

describe('rds-mysql-audit: Aurora MySQL advanced auditing', () => {
  it('reads epoch microseconds and the ten fields without the trailing ones', () => {
    const r = record("1714564800123456,aurora-mysql-1,admin,10.0.0.8,35,698024,QUERY,testdb,'select * from t2',0");
    expect(r).toMatchObject({ time: T0 + 123, actor: 'admin', action: 'SELECT', resource: 'testdb', status: '0', outcome: 'success', request_id: '698024', src_ip: '10.0.0.8' });
    expect(r.fields).toEqual({ serverhost: 'aurora-mysql-1', connectionid: '35', operation: 'QUERY', query: 'select * from t2' });
    expect(record('1714564801000002,aurora-mysql-1,admin,10.0.0.8,35,698024,READ,testdb,t2,0').fields.object).toBe('t2');
  });
});

describe('rds-mysql-audit: fields past the known ones', () => {
  it('are kept under positional names and counted as drift', () => {
    const { result, drift } = run(`${H},1006,QUERY,orders,'SELECT 6',0,,,extra`);
    expect(result.ok).toBe(true);
    if (result.ok === true) expect(result.record.fields).toMatchObject({ field_13: 'extra' });
    expect(drift).toBe(1);
    expect(run(`${H},1006,QUERY,orders,'SELECT 6',0,,`).drift).toBe(0);
  });
});

describe('rds-mysql-audit: bad lines', () => {
  it('rejects each kind of damage with its reason', () => {
    expect(reason(`${H},1002,QUERY,orders,'SELECT never closed,0,,`)).toBe('unterminated_quote');
    expect(reason(`${H},1002,QUERY,orders,'ends in a backslash\\`)).toBe('unterminated_quote');
    expect(reason(H)).toBe('field_count_mismatch');
    expect(reason(`${H},1001,QUERY,orders,'SELECT 1'`)).toBe('field_count_mismatch');
    expect(reason("20241301 12:00:03,ip,app,10.0.0.5,42,1003,QUERY,orders,'SELECT 3',0,,")).toBe('bad_timestamp');
    expect(reason("2024-05-01 12:00:03,ip,app,10.0.0.5,42,1003,QUERY,orders,'SELECT 3',0,,")).toBe('bad_timestamp');
    expect(reason("20240501 12:00:04,ip,app,10.0.0.5,x42,1004,QUERY,orders,'SELECT 4',0,,")).toBe('bad_number');
    expect(reason("20240501 12:00:04,ip,app,10.0.0.5,42,-1,QUERY,orders,'SELECT 4',0,,")).toBe('bad_number');
    expect(reason(`${H},1007,QUERY,orders,'SELECT 7',ok,,`)).toBe('bad_number');
    expect(reason(`${H},1005,QUERY,orders,'SELECT 5'x,0,,`)).toBe('malformed_quote');
    expect(reason(`${H},1005,QUERY,orders,'SELECT\u0001',0,,`)).toBe('control_character');
  });

  it('splitAuditLine: eight plain values, the object (quoted or not), then the rest', () => {
    expect(splitAuditLine("a,b,c,d,e,f,g,h,'x,y',1,,")).toEqual({ values: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'x,y', '1', '', ''], quoted: true });
    expect(splitAuditLine('a,b,c,d,e,f,g,h,t,1')).toEqual({ values: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 't', '1'], quoted: false });
    expect(splitAuditLine("a,b,c,d,e,f,g,h,'x'")).toEqual({ values: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'x'], quoted: true });
  });
});
