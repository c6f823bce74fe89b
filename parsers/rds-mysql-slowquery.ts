/**
 * The slow query log of RDS for MySQL, RDS for MariaDB and Aurora MySQL
 * (`slowquery/mysql-slowquery.log[.N]`, or the `/aws/rds/…/slowquery` log group). An entry:
 *
 * ```
 * # Time: 2024-05-01T12:00:03.123456Z
 * # User@Host: app[app] @  [10.0.0.5]  Id:    42
 * # Query_time: 2.000123  Lock_time: 0.000050 Rows_sent: 1  Rows_examined: 100000
 * use orders;
 * SET timestamp=1714564801;
 * SELECT …            (the statement, over as many lines as it has, then `;`)
 * ```
 *
 * Framing (`recordStart`): a record starts at `# User@Host:`, and runs to the next record start,
 * so a statement keeps its lines. `# Time:` lines start records too, of one line: MySQL 5.6 and
 * MariaDB write one only when the second changes, for every entry after it, so a `# Time:` line
 * is read by the header hook into the object's state (the time of the entries that follow; the
 * line itself counts as a skipped `header`). The same hook remembers the database of the last
 * `use <db>;` line, which the server writes only when the database differs from the entry it
 * logged before, and takes the server's three header lines (`… started with:`, `Tcp port: …`,
 * `Time  Id Command  Argument`, written at each start), after which both are forgotten. Every
 * frame passes the header hook, also those a continuation replays, so a hand-over anywhere
 * resumes with the same time and database.
 *
 * Mapping (docs/formats/rds.md): `time` from the `# Time:` line (else `SET timestamp=`), `actor`
 * the user, `src_ip` its address, `resource` the database, `duration_ms` the Query_time, `action`
 * the statement's first keyword (an administrator command's name), the statement in
 * `fields.query`; `outcome` and `status` from `Errno` when the log has it (`log_slow_extra`),
 * else `unknown`. Every other `# Key: value` pair goes to `fields` under its name, lower-cased.
 */
import type { EventFields } from '../schema/index.js';
import { badNumber, decimal } from './shared/access-log.js';
import { RDS_DOCS, isServerHeader, originOf, parseMysqlTime, putHost, rdsKeyExample, rdsKeyPatterns, rdsObjectState, rdsResource, rdsResourceType, type RdsObjectState } from './shared/rds.js';
import { sqlVerb } from './shared/sql.js';
import type { LineParser, ParseContext, ParseResult } from './types.js';

/** Per-object state: the origin memo, and what the header hook learned from the frames so far. */
export interface SlowState extends RdsObjectState {
  /** Time of the last `# Time:` line, epoch ms; NaN before the first or after one that does not read. */
  time: number;
  /** Database of the last `use <db>;` line since the server's header. */
  db: string | null;
  /** The last entry the header hook split into lines, and its lines, so `parse` does not split it again. */
  memoText: string | null;
  memoLines: string[];
}

export const slowState = (): SlowState => ({ ...rdsObjectState(), time: NaN, db: null, memoText: null, memoLines: [] });

const TIME = '# Time: ';
const USER_HOST = '# User@Host: ';
const ADMIN = '# administrator command: ';

/** `priv_user[user] @ host [ip]` and, from MySQL, `  Id: <thread>`. */
const USER_HOST_LINE = /^# User@Host: ([^[\n]{0,384})\[([^\]\n]{0,384})\] @ ([^[\n]{0,256}?) ?\[([^\]\n]{0,64})\](?: +Id: +(\d{1,20}))? *$/;
/** A key of the `#` lines' `Key: value` pairs, its colon included. */
const KEY = /^[A-Za-z][A-Za-z0-9_]{0,63}:$/;

/** True when `line` from `start` to `end` (exclusive) is a letter, then letters, digits and `_`. */
function isKeyAt(line: string, start: number, end: number): boolean {
  for (let k = start; k < end; k++) {
    const c = line.charCodeAt(k) | 0x20;
    const letter = c >= 97 && c <= 122;
    if (!(letter || (k > start && ((c >= 48 && c <= 57) || line.charCodeAt(k) === 95)))) return false;
  }
  return true;
}
/** The line the server writes before the statement: `SET [last_insert_id=…,][insert_id=…,]timestamp=…;`. */
const SET_LINE = /^SET (?:last_insert_id=(-?\d{1,20}),)?(?:insert_id=(-?\d{1,20}),)?timestamp=(\d{1,12});$/;
const USE_LINE = /^use ([^\n]{1,256});$/;

/** Pairs mapped to columns rather than kept in `fields`. */
const MAPPED = new Set(['query_time', 'schema', 'bytes_sent', 'bytes_received', 'errno', 'thread_id']);

/** Index of the first line after an entry's `#` lines (User@Host, Query_time, …), which ends them. */
function afterHashLines(lines: readonly string[]): number {
  let i = 1;
  while (i < lines.length) {
    const l = lines[i] as string;
    if (!l.startsWith('# ') || l.startsWith(ADMIN)) break;
    i++;
  }
  return i;
}

/**
 * The `Key: value` pairs of a `#` line into `pairs`, keys lower-cased: a word ending with `:` is
 * a key, and the word one space after it its value (empty when more spaces follow the colon:
 * MariaDB's `Schema:  QC_hit: No`). Other words (`# explain: …`) are passed over; they stay
 * whole in `raw`. One scan, no array of words: a line may be megabytes of spaces.
 */
function readPairs(line: string, pairs: Map<string, string>): void {
  const n = line.length;
  let i = 2;
  while (i < n) {
    while (i < n && line.charCodeAt(i) === 32) i++;
    const start = i;
    while (i < n && line.charCodeAt(i) !== 32) i++;
    if (i - start < 2 || i - start > 65 || line.charCodeAt(i - 1) !== 58 || !isKeyAt(line, start, i - 1)) continue;
    const key = line.slice(start, i);
    let value = '';
    if (i + 1 < n && line.charCodeAt(i + 1) !== 32) {
      let j = i + 1;
      while (j < n && line.charCodeAt(j) !== 32) j++;
      value = line.slice(i + 1, j);
      if (value.endsWith(':') && KEY.test(value)) value = '';
      else i = j;
    }
    pairs.set(key.slice(0, -1).toLowerCase(), value);
  }
}

/** The header hook: `# Time:` and server header lines are consumed; an entry's `use <db>;` is learned. */
export function slowHeader(text: string, state: SlowState): boolean {
  if (text.startsWith(TIME)) {
    const nl = text.indexOf('\n');
    state.time = parseMysqlTime((nl < 0 ? text : text.slice(0, nl)).slice(TIME.length).trimEnd());
    return nl < 0 && !Number.isNaN(state.time);
  }
  if (text.startsWith(USER_HOST)) {
    const lines = text.split('\n');
    state.memoText = text;
    state.memoLines = lines;
    const use = USE_LINE.exec(lines[afterHashLines(lines)] ?? '');
    if (use !== null) state.db = use[1] as string;
    return false;
  }
  if (text.indexOf('\n') < 0 && isServerHeader(text)) {
    state.time = NaN;
    state.db = null;
    return true;
  }
  return false;
}

/** Parses one entry (its lines joined with `\n`) given what the header hook learned. */
export function parseSlowEntry(text: string, state: SlowState, object: string): ParseResult {
  if (text.startsWith(TIME)) {
    const nl = text.indexOf('\n');
    if (Number.isNaN(state.time)) return { ok: false, reason: 'bad_timestamp', detail: `${JSON.stringify((nl < 0 ? text : text.slice(0, nl)).slice(0, 80))} is not a time` };
    return { ok: false, reason: 'unknown_format', detail: 'a # Time: line followed by lines that are not a slow query log entry' };
  }
  if (!text.startsWith(USER_HOST)) {
    return { ok: false, reason: 'unknown_format', detail: 'not a slow query log entry: an entry starts with "# User@Host: " (lines before the first entry of this object, or not a slow query log)' };
  }
  const lines = state.memoText === text ? state.memoLines : text.split('\n');
  const uh = USER_HOST_LINE.exec(lines[0] as string);
  if (uh === null) return { ok: false, reason: 'field_count_mismatch', detail: `the # User@Host: line is not "user[user] @ host [ip]  Id: n": ${JSON.stringify((lines[0] as string).slice(0, 120))}` };
  const end = afterHashLines(lines);
  const pairs = new Map<string, string>();
  for (let i = 1; i < end; i++) readPairs(lines[i] as string, pairs);
  const queryTime = pairs.get('query_time');
  if (queryTime === undefined) return { ok: false, reason: 'truncated_record', detail: 'the entry has no # Query_time: line (cut short)' };
  const seconds = decimal(queryTime);
  if (Number.isNaN(seconds)) return badNumber('Query_time', queryTime);

  let i = end;
  let db: string | null = null;
  const use = USE_LINE.exec(lines[i] ?? '');
  if (use !== null) {
    db = use[1] as string;
    i++;
  }
  const fields: Record<string, string> = {};
  let setTime = NaN;
  const set = SET_LINE.exec(lines[i] ?? '');
  if (set !== null) {
    if (set[1] !== undefined) fields.last_insert_id = set[1];
    if (set[2] !== undefined) fields.insert_id = set[2];
    fields.timestamp = set[3] as string;
    setTime = Number(set[3]) * 1000;
    i++;
  }
  // The statement is the rest of the text (a slice, not the lines joined again), without the
  // blank lines after it and the `;` the server wrote after it.
  let offset = 0;
  for (let k = 0; k < i; k++) offset += (lines[k] as string).length + 1;
  let sql = offset >= text.length ? '' : text.slice(offset).trimEnd();
  if (sql.endsWith(';')) sql = sql.slice(0, -1);
  if (sql === '') return { ok: false, reason: 'truncated_record', detail: 'the entry ends before its statement (cut short)' };

  const time = Number.isNaN(state.time) ? setTime : state.time;
  if (Number.isNaN(time)) return { ok: false, reason: 'no_event_time', detail: 'no # Time: line before the entry in this object and no SET timestamp= line in it' };

  const priv = uh[1] as string;
  const user = uh[2] as string;
  if (priv !== '' && priv !== user) fields.priv_user = priv;
  const thread = uh[5] ?? pairs.get('thread_id');
  if (thread !== undefined && thread !== '') fields.thread_id = thread;
  for (const [k, v] of pairs) if (!MAPPED.has(k) && v !== '') fields[k] = v;
  fields.query = sql;

  const schema = pairs.get('schema');
  const database = schema !== undefined && schema !== '' ? schema : (db ?? state.db);
  const errno = pairs.get('errno');
  const killed = pairs.get('killed');
  const action = sql.startsWith(ADMIN) ? sql.slice(ADMIN.length).trim() || null : sqlVerb(sql);
  const origin = originOf(state, object);
  const record: EventFields = {
    time,
    category: 'database_activity',
    account_id: origin.account,
    region: origin.region,
    resource: rdsResource(origin, database),
    resource_type: rdsResourceType(origin, database),
    actor: user !== '' ? user : priv !== '' ? priv : null,
    action,
    duration_ms: Math.round(seconds * 1e9) / 1e6,
    status: errno ?? null,
    outcome: errno === undefined ? 'unknown' : errno === '0' && (killed === undefined || killed === '0') ? 'success' : 'failure',
    fields,
  };
  const sent = pairs.get('bytes_sent');
  if (sent !== undefined && sent !== '') record.bytes_out = Number(sent);
  const received = pairs.get('bytes_received');
  if (received !== undefined && received !== '') record.bytes_in = Number(received);
  putHost(uh[4] as string, record, fields, 'ip');
  const host = (uh[3] as string).trim();
  if (host !== '') fields.host = host;
  return { ok: true, record };
}

/** A `# User@Host:` line, or a `# Query_time:` line, anywhere in the head. */
const SNIFF = /^# (?:User@Host: [^\n]*\[[^\n]*\] @ |Query_time: \d)/m;

/** RDS MySQL / MariaDB / Aurora MySQL slow query log. */
export const parser: LineParser<SlowState | undefined> = {
  id: 'rds-mysql-slowquery',
  source: 'rds',
  version: 1,
  framing: 'lines',
  description: 'Amazon RDS / Aurora MySQL and MariaDB slow query log, one record per entry (statements over several lines)',
  docsUrl: RDS_DOCS.mysql,
  keyPatterns: rdsKeyPatterns('slowquery', String.raw`mysql-slowquery\.log(?:\.[0-9][0-9.-]*)?`),
  keyExample: rdsKeyExample('slowquery/mysql-slowquery.log[.N]'),
  sniff(head: string): boolean {
    return SNIFF.test(head);
  },
  recordStart(line: string): boolean {
    return line.charCodeAt(0) === 35 ? line.startsWith(USER_HOST) || line.startsWith(TIME) : isServerHeader(line);
  },
  createState: slowState,
  header(text: string, state: SlowState | undefined): boolean {
    return state === undefined ? false : slowHeader(text, state);
  },
  parse(text: string, ctx: ParseContext<SlowState | undefined>): ParseResult {
    let state = ctx.state;
    if (state === undefined) state = ctx.state = slowState();
    return parseSlowEntry(text, state, ctx.object);
  },
};
