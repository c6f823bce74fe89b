/**
 * The audit log of RDS for MySQL and RDS for MariaDB (MariaDB Audit Plugin, `MARIADB_AUDIT_PLUGIN`
 * option: `audit/server_audit.log[.N]`) and of Aurora MySQL (Advanced Auditing:
 * `audit/audit.log.…`): one comma-separated line per event,
 * `timestamp,serverhost,username,host,connectionid,queryid,operation,database,object,retcode`.
 *
 * - `timestamp`: `YYYYMMDD HH:MM:SS` (the plugin, server time: UTC on RDS) or epoch microseconds
 *   (Aurora MySQL).
 * - `object`: for QUERY events the statement between single quotes, in which the plugin writes
 *   `\'`, `\\`, `\n`, `\r`, `\t`, `\b` and `\f` for those characters (so a line is one event, and
 *   the statement may hold commas); for table events (READ, WRITE, CREATE…) the table; empty for
 *   connection events; `` `user`@`host` `` for PROXY_CONNECT.
 * - After `retcode`, RDS's build of the plugin writes the connection type (`TCP/IP`, `SSL`,
 *   `SOCKET`) on connection events and two empty fields after a query; both are read. Fields past
 *   those are kept as `field_12`… and counted as schema drift.
 *
 * Mapping (docs/formats/rds.md): `actor` the user, `resource` the database, `src_ip` the host
 * when it is an address, `action` the statement's first keyword for QUERY events and the
 * operation otherwise, `status` the return code, `outcome` `success` for 0 and `failure` for any
 * other code, `request_id` the query id.
 */
import type { EventFields } from '../schema/index.js';
import { badNumber, controlCharAt, describeControl, positionalName, unsigned } from './shared/access-log.js';
import { RDS_DOCS, ctxOrigin, parseAuditTime, parseEpochMicros, putHost, rdsKeyExample, rdsKeyPatterns, rdsObjectState, rdsResource, rdsResourceType, type RdsCtx, type RdsObjectState } from './shared/rds.js';
import { sqlVerb } from './shared/sql.js';
import type { LineParser, ParseResult } from './types.js';

/** The documented fields, in line order. */
export const AUDIT_FIELDS = ['timestamp', 'serverhost', 'username', 'host', 'connectionid', 'queryid', 'operation', 'database', 'object', 'retcode'] as const;
const I_OBJECT = 8;
/** RDS's plugin writes the connection type after `retcode` on connection events. */
const CONNECTION_TYPE = 10;
/** Fields this version knows: through the connection type and the two empty ones after a query. */
const KNOWN = 12;

/** What the plugin writes after a backslash in a quoted object, and what it stands for. */
const UNESCAPE: Readonly<Record<string, string>> = { "'": "'", '\\': '\\', n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' };

type Split = { readonly values: string[]; readonly quoted: boolean } | { readonly error: ParseResult };

/**
 * The values of a line: the eight before the object split at commas, the object (a quoted one
 * read to its closing quote and unescaped), then the rest split at commas.
 */
export function splitAuditLine(line: string): Split {
  const values: string[] = [];
  let i = 0;
  for (let k = 0; k < I_OBJECT; k++) {
    const comma = line.indexOf(',', i);
    if (comma < 0) {
      values.push(line.slice(i));
      return { values, quoted: false };
    }
    values.push(line.slice(i, comma));
    i = comma + 1;
  }
  let quoted = false;
  if (line.charCodeAt(i) === 39) {
    quoted = true;
    // From quote to quote and backslash to backslash (indexOf), not character by character.
    const unterminated = (): Split => ({ error: { ok: false, reason: 'unterminated_quote', detail: `the quoted object at column ${i + 1} is never closed` } });
    let out = '';
    let from = i + 1;
    let q = line.indexOf("'", from);
    let b = line.indexOf('\\', from);
    let j: number;
    for (;;) {
      if (q < 0) return unterminated();
      if (b >= 0 && b < q) {
        if (b + 1 >= line.length) return unterminated();
        const next = line.charAt(b + 1);
        out += line.slice(from, b) + (UNESCAPE[next] ?? next);
        from = b + 2;
        if (q < from) q = line.indexOf("'", from);
        b = line.indexOf('\\', from);
        continue;
      }
      out += line.slice(from, q);
      j = q + 1;
      break;
    }
    values.push(out);
    if (j < line.length && line.charCodeAt(j) !== 44) {
      return { error: { ok: false, reason: 'malformed_quote', detail: `text after the quoted object's closing quote at column ${j + 1}` } };
    }
    if (j >= line.length) return { values, quoted };
    i = j + 1;
  } else {
    const comma = line.indexOf(',', i);
    if (comma < 0) {
      values.push(line.slice(i));
      return { values, quoted };
    }
    values.push(line.slice(i, comma));
    i = comma + 1;
  }
  for (const v of line.slice(i).split(',')) values.push(v);
  return { values, quoted };
}

/** The event time: `YYYYMMDD HH:MM:SS` or epoch microseconds. */
function auditTime(s: string): number {
  return s.length === 17 ? parseAuditTime(s) : parseEpochMicros(s);
}

/** Parses one audit line; a line with fields past the known ones adds one to `ctx.drift`. */
export function parseAuditLine(line: string, ctx: RdsCtx): ParseResult {
  const cc = controlCharAt(line, true);
  if (cc >= 0) return { ok: false, reason: 'control_character', detail: describeControl(line, cc) };
  const split = splitAuditLine(line);
  if ('error' in split) return split.error;
  const v = split.values;
  const n = v.length;
  if (n < AUDIT_FIELDS.length) {
    return { ok: false, reason: 'field_count_mismatch', detail: `${n} fields, an audit log line has the ${AUDIT_FIELDS.length} fields timestamp through retcode` };
  }
  const timeText = v[0] as string;
  const time = auditTime(timeText);
  if (Number.isNaN(time)) return { ok: false, reason: 'bad_timestamp', detail: `timestamp ${JSON.stringify(timeText.slice(0, 40))} is neither YYYYMMDD HH:MM:SS nor epoch microseconds` };
  const connectionid = v[4] as string;
  if (Number.isNaN(unsigned(connectionid))) return badNumber('connectionid', connectionid);
  const queryid = v[5] as string;
  if (Number.isNaN(unsigned(queryid))) return badNumber('queryid', queryid);
  const retcode = v[9] as string;
  if (!/^-?\d{1,10}$/.test(retcode)) return badNumber('retcode', retcode);

  const operation = v[6] as string;
  const object = v[I_OBJECT] as string;
  const db = v[7] as string;
  const user = v[2] as string;
  const query = split.quoted || operation.startsWith('QUERY');
  const fields: Record<string, string> = { serverhost: v[1] as string, connectionid, operation };
  if (fields.serverhost === '') delete fields.serverhost;
  if (object !== '') fields[query ? 'query' : 'object'] = object;
  if (n > CONNECTION_TYPE && v[CONNECTION_TYPE] !== '') fields.connection_type = v[CONNECTION_TYPE] as string;
  for (let i = CONNECTION_TYPE + 1; i < n; i++) if (v[i] !== '') fields[positionalName(i)] = v[i] as string;
  if (n > KNOWN) ctx.drift = (ctx.drift ?? 0) + 1;

  const origin = ctxOrigin(ctx);
  const record: EventFields = {
    time,
    category: 'database_activity',
    account_id: origin.account,
    region: origin.region,
    resource: rdsResource(origin, db),
    resource_type: rdsResourceType(origin, db),
    actor: user === '' ? null : user,
    action: (query && object !== '' ? sqlVerb(object) : null) ?? (operation === '' ? null : operation),
    status: retcode,
    outcome: retcode === '0' ? 'success' : 'failure',
    request_id: queryid === '0' ? null : queryid,
    fields,
  };
  putHost(v[3] as string, record, fields, 'host');
  return { ok: true, record };
}

/** A line of the head that starts like an audit event: time, four fields, two ids, an operation. */
const SNIFF = /^(?:\d{8} \d{2}:\d{2}:\d{2}|\d{13,17}),[^,\n]*,[^,\n]*,[^,\n]*,\d+,\d+,[A-Z][A-Z_]*,/m;

/** RDS for MySQL / MariaDB audit plugin and Aurora MySQL advanced auditing. */
export const parser: LineParser<RdsObjectState | undefined> = {
  id: 'rds-mysql-audit',
  source: 'rds',
  version: 1,
  framing: 'lines',
  description: 'Amazon RDS MySQL / MariaDB audit log (MariaDB Audit Plugin) and Aurora MySQL advanced auditing',
  docsUrl: RDS_DOCS.audit,
  keyPatterns: rdsKeyPatterns('audit', String.raw`(?:server_audit|audit)\.log(?:\.[0-9][0-9.-]*)?`),
  keyExample: rdsKeyExample('audit/server_audit.log[.N]'),
  sniff(head: string): boolean {
    return SNIFF.test(head);
  },
  createState: rdsObjectState,
  parse(line: string, ctx: RdsCtx): ParseResult {
    return parseAuditLine(line, ctx);
  },
};
