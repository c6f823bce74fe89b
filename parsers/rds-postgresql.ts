/**
 * RDS for PostgreSQL and Aurora PostgreSQL: `postgresql.log` (the `error/postgresql.log.*` files
 * of an instance, or its `/aws/rds/…/postgresql` log group), written with RDS's default
 * `log_line_prefix` `%t:%r:%u@%d:[%p]:`:
 * `2024-05-01 12:00:00 UTC:10.0.0.5(54321):app@orders:[1234]:LOG:  statement: SELECT 1`.
 *
 * One record per message: PostgreSQL writes a message's line breaks as a line break and a tab,
 * so a record starts at a line that begins with a timestamp (`recordStart`) and runs over the
 * lines after it; the message is read back with those tabs removed. Every prefixed line is its
 * own record, including the DETAIL, HINT, CONTEXT and STATEMENT lines that follow a message.
 *
 * Mapping (docs/formats/rds.md): `actor` the user, `resource` the database (`<instance>/<db>`
 * when the object name tells the instance), `src_ip`/`src_port` from `%r`; `statement:`,
 * `duration: … ms  statement:` and the extended protocol's `execute|bind|parse <name>:` lines
 * give the statement (`fields.query`) and its first keyword as `action`, the duration
 * `duration_ms`; `connection received|authorized|authenticated`, `disconnection` (its session
 * time as `duration_ms`) and failed password authentication are events named in `action`;
 * pgaudit's `AUDIT:` lines are split into their CSV fields (`action` is pgaudit's COMMAND).
 * `outcome` is `failure` for ERROR, FATAL and PANIC, `success` for completed statements
 * (duration lines) and connection events, `unknown` otherwise.
 */
import type { EventFields, Outcome } from '../schema/index.js';
import { RDS_DOCS, ctxOrigin, parsePostgresTime, putHost, rdsKeyExample, rdsKeyPatterns, rdsObjectState, rdsResource, rdsResourceType, type RdsCtx, type RdsObjectState } from './shared/rds.js';
import { sqlVerb } from './shared/sql.js';
import type { LineParser, ParseResult } from './types.js';

/** A line that begins with `%t` (or `%m`) starts a record. */
const RECORD_START = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/;

/**
 * The prefix `%t:%r:%u@%d:[%p]:` and the severity: time with its zone (`UTC`, an abbreviation, or
 * a numeric offset), remote host and port (`10.0.0.5(54321)`, an IPv6 address, a host name,
 * `[local]`, or nothing for background processes), user, database, process id, severity. Parts
 * are bounded so a damaged first line cannot make the match slow.
 */
const PREFIX = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})? (?:[A-Za-z]{1,6}|[+-]\d{2}(?::?\d{2})?)):(\[local\]|[^()\n]{1,260}\(\d{1,5}\)|):([^@\n]{0,256})@([^:\n]{0,256}):\[(\d{1,10})\]:([A-Z][A-Z0-9]{0,15}): {0,2}/;

/** The severities whose message means something failed. */
const FAILED = new Set(['ERROR', 'FATAL', 'PANIC']);

const STATEMENT = 'statement: ';
const DURATION = /^duration: (\d{1,15}(?:\.\d{1,9})?) ms(?: {2}((?:statement|execute|bind|parse)(?: [^:\n]{0,256})?): ([\s\S]*))?$/;
const EXTENDED = /^(execute|bind|parse) ([^:\n]{1,256}): ([\s\S]*)$/;
const SESSION_TIME = /^disconnection: session time: (\d{1,9}):(\d{2}):(\d{2}(?:\.\d{1,6})?)/;
const AUTH_FAILED = /authentication failed for user "([^"]*)"/;
const AUDIT = 'AUDIT: ';
const UNKNOWN = '[unknown]';

/** Fields of a pgaudit entry in their order, as pgaudit names them (lower-cased); PARAMETER is the rest. */
const AUDIT_FIELDS = ['audit_type', 'statement_id', 'substatement_id', 'class', 'command', 'object_type', 'object_name', 'statement'] as const;

/** The message of a record: its first line's text after the prefix, each next line without the tab PostgreSQL put before it. */
function messageOf(record: string, start: number): string {
  const nl = record.indexOf('\n', start);
  if (nl < 0) return record.slice(start);
  return record.slice(start).replace(/\n\t/g, '\n');
}

/** The cells of a CSV text (`"` quoting, `""` for a quote) up to `max` cells; the rest of the text after the last cell's comma. */
type Cells = { readonly cells: string[]; readonly rest: string | null } | { readonly error: 'unterminated_quote' | 'malformed_quote'; readonly at: number };

export function csvCells(s: string, max: number): Cells {
  const cells: string[] = [];
  let i = 0;
  const n = s.length;
  for (;;) {
    if (cells.length === max) return { cells, rest: s.slice(i) };
    if (s.charCodeAt(i) === 34) {
      // The closing quote is the first one not doubled; the doubled ones are undone in one pass.
      let j = i + 1;
      let doubled = false;
      for (;;) {
        const q = s.indexOf('"', j);
        if (q < 0) return { error: 'unterminated_quote', at: i };
        if (s.charCodeAt(q + 1) === 34) {
          doubled = true;
          j = q + 2;
          continue;
        }
        j = q;
        break;
      }
      const raw = s.slice(i + 1, j);
      const value = doubled ? raw.replaceAll('""', '"') : raw;
      j++;
      cells.push(value);
      if (j === n) return { cells, rest: null };
      if (s.charCodeAt(j) !== 44) return { error: 'malformed_quote', at: j };
      i = j + 1;
    } else {
      const comma = s.indexOf(',', i);
      const end = comma < 0 ? n : comma;
      const value = s.slice(i, end);
      if (value.indexOf('"') >= 0) return { error: 'malformed_quote', at: i + value.indexOf('"') };
      cells.push(value);
      if (comma < 0) return { cells, rest: null };
      i = comma + 1;
    }
  }
}

/** Splits pgaudit's entry (the text after `AUDIT: `) into `record` and `fields`, or rejects it. */
function audit(text: string, record: EventFields, fields: Record<string, string>): ParseResult | null {
  const split = csvCells(text, AUDIT_FIELDS.length);
  if ('error' in split) {
    const what = split.error === 'unterminated_quote' ? 'a quoted field that is never closed' : 'a quote inside a field or text after a closing quote';
    return { ok: false, reason: split.error, detail: `pgaudit entry: ${what} at column ${split.at + 1} of the entry` };
  }
  const { cells, rest } = split;
  if (cells.length < AUDIT_FIELDS.length) {
    return { ok: false, reason: 'field_count_mismatch', detail: `pgaudit entry of ${cells.length} fields, expected AUDIT_TYPE through STATEMENT (8) and PARAMETER` };
  }
  for (let i = 0; i < AUDIT_FIELDS.length; i++) {
    const v = cells[i] as string;
    if (v === '') continue;
    const name = AUDIT_FIELDS[i] as string;
    if (name === 'statement') fields.query = v;
    else if (name !== 'command') fields[name] = v;
  }
  if (rest !== null && rest !== '') fields.parameter = rest;
  const command = cells[4] as string;
  record.action = command === '' ? sqlVerb(cells[7] as string) : command;
  return null;
}

/** `H:MM:SS.fff` of a disconnection's session time in ms. */
function sessionMs(m: RegExpExecArray): number {
  return Math.round((Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3])) * 1000 * 1000) / 1000;
}

/** A statement's text in `fields.query` and its command as `action` (the protocol step when none). */
function statement(sql: string, record: EventFields, fields: Record<string, string>, step: string | null): void {
  fields.query = sql;
  record.action = sqlVerb(sql) ?? (step === null ? null : step.toUpperCase());
}

/** Parses one record (a prefixed line and the lines continuing its message); `origin` comes from the object name. */
export function parsePostgresRecord(text: string, ctx: RdsCtx): ParseResult {
  const m = PREFIX.exec(text);
  if (m === null) {
    if (!RECORD_START.test(text)) {
      const lead = text.charCodeAt(0) === 9 ? 'a continuation line with no message before it in this object' : 'no `%t:%r:%u@%d:[%p]:` prefix';
      return { ok: false, reason: 'unknown_format', detail: `not a postgresql.log message: ${lead}` };
    }
    const nl = text.indexOf('\n');
    const first = nl < 0 ? text : text.slice(0, nl);
    return { ok: false, reason: 'field_count_mismatch', detail: `the prefix is cut short or is not RDS's %t:%r:%u@%d:[%p]:<SEVERITY>: ${JSON.stringify(first.slice(0, 120))}` };
  }
  const timeText = m[1] as string;
  const time = parsePostgresTime(timeText);
  if (Number.isNaN(time)) return { ok: false, reason: 'bad_timestamp', detail: `${JSON.stringify(timeText)} is not a time in UTC or with a numeric offset` };
  const remote = m[2] as string;
  // `[unknown]`: not known yet (a `connection received` line, before authentication).
  const user = m[3] === UNKNOWN ? '' : (m[3] as string);
  const db = m[4] === UNKNOWN ? '' : (m[4] as string);
  const severity = m[6] as string;
  const message = messageOf(text, m[0].length);

  const fields: Record<string, string> = { pid: m[5] as string, severity };
  const failed = FAILED.has(severity);
  const origin = ctxOrigin(ctx);
  const record: EventFields = {
    time,
    category: 'database_activity',
    account_id: origin.account,
    region: origin.region,
    resource: rdsResource(origin, db),
    resource_type: rdsResourceType(origin, db),
    actor: user === '' ? null : user,
    action: null,
    outcome: failed ? 'failure' : 'unknown',
    error: failed ? message : null,
    fields,
  };
  if (remote !== '') {
    // `host(port)`: the host an address (IPv4 or IPv6) or a name (`log_hostname`); else `[local]`.
    const open = remote.endsWith(')') ? remote.lastIndexOf('(') : -1;
    if (open > 0) {
      putHost(remote.slice(0, open), record, fields, 'remote_host');
      record.src_port = Number(remote.slice(open + 1, -1));
    } else {
      putHost(remote, record, fields, 'remote_host');
    }
  }

  let success: Outcome | null = null;
  if (message.startsWith(STATEMENT)) {
    statement(message.slice(STATEMENT.length), record, fields, null);
  } else if (message.startsWith('duration: ')) {
    const d = DURATION.exec(message);
    if (d === null) {
      if (!failed) fields.message = message;
    } else {
      record.duration_ms = Number(d[1]);
      success = 'success';
      if (d[2] !== undefined) {
        const step = d[2];
        const sp = step.indexOf(' ');
        if (sp > 0) {
          fields.phase = step.slice(0, sp);
          fields.statement_name = step.slice(sp + 1);
        }
        statement(d[3] as string, record, fields, sp > 0 ? step.slice(0, sp) : null);
      }
    }
  } else if (message.startsWith(AUDIT)) {
    const rejected = audit(message.slice(AUDIT.length), record, fields);
    if (rejected !== null) return rejected;
  } else {
    const e = EXTENDED.exec(message);
    if (e !== null) {
      fields.phase = e[1] as string;
      fields.statement_name = e[2] as string;
      statement(e[3] as string, record, fields, e[1] as string);
    } else if (severity === 'STATEMENT' || severity === 'QUERY') {
      // The statement (or internal query) the message before it is about.
      statement(message, record, fields, null);
    } else {
      if (!failed) fields.message = message;
      if (message.startsWith('connection received: ')) {
        record.action = 'connection received';
        success = 'success';
      } else if (message.startsWith('connection authorized: ') || message.startsWith('replication connection authorized: ')) {
        record.action = 'connection authorized';
        success = 'success';
      } else if (message.startsWith('connection authenticated: ')) {
        record.action = 'connection authenticated';
        success = 'success';
      } else if (message.startsWith('disconnection: ')) {
        record.action = 'disconnection';
        success = 'success';
        const s = SESSION_TIME.exec(message);
        if (s !== null) record.duration_ms = sessionMs(s);
      } else {
        const a = AUTH_FAILED.exec(message);
        if (a !== null) {
          record.action = 'authentication failed';
          if (record.actor == null && a[1] !== '') record.actor = a[1] as string;
        }
      }
    }
  }
  if (!failed && success !== null) record.outcome = success;
  return { ok: true, record };
}

/** Any line of the head with RDS's prefix and a severity. */
const SNIFF = new RegExp(PREFIX.source, 'm');

/** RDS for PostgreSQL and Aurora PostgreSQL `postgresql.log`. */
export const parser: LineParser<RdsObjectState | undefined> = {
  id: 'rds-postgresql',
  source: 'rds',
  version: 1,
  framing: 'lines',
  description: 'Amazon RDS / Aurora PostgreSQL postgresql.log (RDS log_line_prefix; statements, durations, connections, pgaudit), one record per message',
  docsUrl: RDS_DOCS.postgresql,
  keyPatterns: rdsKeyPatterns('error', String.raw`postgresql\.log\.\d{4}-\d{2}-\d{2}-\d{2}(?:\d{2})?`),
  keyExample: rdsKeyExample('error/postgresql.log.YYYY-MM-DD-HH[MM]'),
  sniff(head: string): boolean {
    return SNIFF.test(head);
  },
  recordStart(line: string): boolean {
    return RECORD_START.test(line);
  },
  createState: rdsObjectState,
  parse(record: string, ctx: RdsCtx): ParseResult {
    return parsePostgresRecord(record, ctx);
  },
};
