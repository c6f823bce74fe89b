/**
 * The general query log of RDS for MySQL, RDS for MariaDB and Aurora MySQL
 * (`general/mysql-general.log[.N]`, or the `/aws/rds/…/general` log group): one entry per
 * command a client sent, `<time>\t<thread id> <command>\t<argument>`:
 *
 * - MySQL 5.7 and later: `2024-05-01T12:00:00.123456Z\t   42 Query\tSELECT 1`;
 * - MySQL 5.6 and MariaDB: `240501 12:00:00\t   42 Query\tSELECT 1`, the time written only when
 *   the second changes: the entries after it in the same second start with two tabs,
 *   `\t\t   43 Connect\tapp@10.0.0.5 on orders using TCP/IP`.
 *
 * The argument is the statement as the client sent it, line breaks included, so an entry runs
 * over every line up to the next entry start (`recordStart`). The header hook reads every frame
 * (also those a continuation replays): it takes the server's three header lines, and remembers
 * the time of the last timestamped entry (for the two-tab entries) and, per thread, the user,
 * host and database of its `Connect` (and later `Init DB`, `Change user`) entries, so a
 * `Query` entry gets the user who sent it. A thread that connected before the object began is
 * not known: its entries have no actor.
 *
 * Mapping (docs/formats/rds.md): `action` the statement's first keyword for `Query`, `Execute`
 * and `Prepare`, the command otherwise (`Connect`, `Quit`, `Init DB`…); the statement in
 * `fields.query`, other arguments in `fields.argument`; `actor`, `src_ip` and `resource` from
 * the thread's connection; `outcome` `failure` for a refused connection (`Access denied…`),
 * else `unknown` (the log is written before the command runs).
 */
import type { EventFields } from '../schema/index.js';
import { RDS_DOCS, isServerHeader, originOf, parseMysqlTime, putHost, rdsKeyExample, rdsKeyPatterns, rdsObjectState, rdsResource, rdsResourceType, type RdsObjectState } from './shared/rds.js';
import { sqlVerb } from './shared/sql.js';
import type { LineParser, ParseContext, ParseResult } from './types.js';

/** What a thread's connection said. */
interface Session {
  user: string | null;
  host: string;
  db: string | null;
}

/** Per-object state: the origin memo, and what the header hook learned from the frames so far. */
export interface GeneralState extends RdsObjectState {
  /** Time of the last entry whose time reads, epoch ms; NaN before the first. */
  time: number;
  /** True when an entry after that one wrote a time that does not read (the two-tab entries after it are in its second). */
  stale: boolean;
  /** Connections by thread id, since the server's header (at most `MAX_SESSIONS`, the oldest dropped). */
  sessions: Map<string, Session>;
  /** A thread whose `Quit` was the last entry: forgotten at the next frame (its own entry still gets its user). */
  quit: string | null;
  /** The last frame the header hook read, and what it read there, so `parse` does not read it again. */
  memoText: string | null;
  memoEntry: Entry | null;
  memoTime: number;
}

export const generalState = (): GeneralState => ({ ...rdsObjectState(), time: NaN, stale: false, sessions: new Map(), quit: null, memoText: null, memoEntry: null, memoTime: NaN });

/** Connections remembered at most: far more than a server keeps open, bounded whatever the input. */
const MAX_SESSIONS = 100_000;

const ISO = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})`;
const OLD = String.raw`\d{6} [ \d]\d:\d{2}:\d{2}`;
const COMMAND = String.raw`[A-Z][A-Za-z]{0,31}(?: [A-Za-z]{1,32}){0,2}`;
/**
 * What starts an entry: a time and a tab, or two tabs and the thread id. Only the beginning is
 * looked at, so a damaged entry is still a frame of its own (and its time still read by the
 * header hook) instead of joining the statement before it.
 */
const ENTRY_START = new RegExp(`^(?:(?:${ISO}|${OLD})\\t|\\t\\t *\\d{1,20} [A-Z])`);
const TIME_START = new RegExp(`^(?:${ISO}|${OLD})(?=\\t)`);
/** An entry: time (or a tab), a tab, the thread id right-aligned, the command, then a tab and the argument (or nothing). */
const ENTRY = new RegExp(`^(?:(${ISO})|(${OLD})|\\t)\\t *(\\d{1,20}) (${COMMAND})(?:\\t([\\s\\S]*))?$`);

/** `user@host [as priv_user] on db [using connection type]` (MariaDB writes `as`, MySQL `using`). */
const CONNECT = /^([^@\n]{0,384})@(\S{0,256}) (?:as (\S{0,384}) )?on (\S{0,256})(?: using ([^\n]{1,64}))?$/;
const DENIED = /^Access denied for user '([^'\n]{0,384})'@'([^'\n]{0,256})'/;

/** Commands whose argument is a statement. */
const STATEMENT_COMMANDS = new Set(['Query', 'Execute', 'Prepare']);

/** One entry read: its time text (null for a two-tab entry), thread, command and argument. */
interface Entry {
  readonly timeText: string | null;
  readonly thread: string;
  readonly command: string;
  readonly argument: string;
}

function readEntry(text: string): Entry | null {
  const m = ENTRY.exec(text);
  if (m === null) return null;
  return { timeText: m[1] ?? m[2] ?? null, thread: m[3] as string, command: m[4] as string, argument: m[5] ?? '' };
}

function connection(argument: string): Session | null {
  const c = CONNECT.exec(argument);
  if (c === null) return null;
  return { user: c[1] === '' ? null : (c[1] as string), host: c[2] as string, db: c[4] === '' ? null : (c[4] as string) };
}

/** The header hook: server header lines are consumed; entries teach the time and the connections. */
export function generalHeader(text: string, state: GeneralState): boolean {
  if (state.quit !== null) {
    state.sessions.delete(state.quit);
    state.quit = null;
  }
  if (text.indexOf('\n') < 0 && isServerHeader(text)) {
    state.time = NaN;
    state.stale = false;
    state.sessions.clear();
    return true;
  }
  const t = TIME_START.exec(text);
  const time = t === null ? NaN : parseMysqlTime(t[0]);
  if (t !== null) {
    if (Number.isNaN(time)) state.stale = true;
    else {
      state.time = time;
      state.stale = false;
    }
  }
  const e = readEntry(text);
  state.memoText = text;
  state.memoEntry = e;
  state.memoTime = time;
  if (e === null) return false;
  const sessions = state.sessions;
  if (e.command === 'Connect' || e.command === 'Change user') {
    const s = connection(e.argument);
    if (s !== null) {
      sessions.delete(e.thread);
      if (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value as string);
      sessions.set(e.thread, s);
    }
  } else if (e.command === 'Init DB') {
    const s = sessions.get(e.thread);
    if (s !== undefined) s.db = e.argument === '' ? null : e.argument;
  } else if (e.command === 'Quit') {
    state.quit = e.thread;
  }
  return false;
}

/** Parses one entry (its lines joined with `\n`) given what the header hook learned. */
export function parseGeneralEntry(text: string, state: GeneralState, object: string): ParseResult {
  const memo = state.memoText === text;
  const e = memo ? state.memoEntry : readEntry(text);
  if (e === null) {
    if (ENTRY_START.test(text) || /^\d/.test(text)) {
      return { ok: false, reason: 'field_count_mismatch', detail: `not "<time>\\t<thread> <Command>\\t<argument>": ${JSON.stringify(text.slice(0, 120))}` };
    }
    return { ok: false, reason: 'unknown_format', detail: 'not a general log entry (lines before the first entry of this object, or not a general log)' };
  }
  const time = e.timeText === null ? state.time : memo ? state.memoTime : parseMysqlTime(e.timeText);
  if (Number.isNaN(time)) {
    if (e.timeText !== null) return { ok: false, reason: 'bad_timestamp', detail: `${JSON.stringify(e.timeText)} is not a time` };
    return { ok: false, reason: 'no_event_time', detail: 'an entry in the second of the entry before it, and no readable time before it in this object' };
  }
  const fields: Record<string, string> = { thread_id: e.thread, command: e.command };
  // Its second is that of an entry whose time does not read: the time is the last one before that reads.
  if (e.timeText === null && state.stale) fields.time_source = 'earlier_entry';
  const isStatement = STATEMENT_COMMANDS.has(e.command);
  if (e.argument !== '') fields[isStatement ? 'query' : 'argument'] = e.argument;
  let session: Session | null = state.sessions.get(e.thread) ?? null;
  let failed = false;
  if (e.command === 'Connect' || e.command === 'Change user') {
    const denied = DENIED.exec(e.argument);
    if (denied !== null) {
      failed = true;
      session = { user: denied[1] === '' ? null : (denied[1] as string), host: denied[2] as string, db: null };
    } else {
      const c = CONNECT.exec(e.argument);
      if (c !== null) {
        session = connection(e.argument);
        if (c[3] !== undefined && c[3] !== c[1]) fields.priv_user = c[3];
        if (c[5] !== undefined) fields.connection_type = c[5];
      }
    }
  }
  const db = e.command === 'Init DB' ? (e.argument === '' ? null : e.argument) : (session?.db ?? null);
  const origin = originOf(state, object);
  const record: EventFields = {
    time,
    category: 'database_activity',
    account_id: origin.account,
    region: origin.region,
    resource: rdsResource(origin, db),
    resource_type: rdsResourceType(origin, db),
    actor: session?.user ?? null,
    action: (isStatement ? sqlVerb(e.argument) : null) ?? e.command,
    outcome: failed ? 'failure' : 'unknown',
    fields,
  };
  if (session !== null) putHost(session.host, record, fields, 'host');
  return { ok: true, record };
}

/** An entry line, or the server's column header, anywhere in the head. */
const SNIFF = new RegExp(`^(?:${ISO}|${OLD}|\\t)\\t *\\d{1,20} ${COMMAND}(?:\\t|$)|^Time {2,}Id Command {2,}Argument *$`, 'm');

/** RDS MySQL / MariaDB / Aurora MySQL general query log. */
export const parser: LineParser<GeneralState | undefined> = {
  id: 'rds-mysql-general',
  source: 'rds',
  version: 1,
  framing: 'lines',
  description: 'Amazon RDS / Aurora MySQL and MariaDB general query log, one record per command (statements over several lines)',
  docsUrl: RDS_DOCS.mysql,
  keyPatterns: rdsKeyPatterns('general', String.raw`mysql-general\.log(?:\.[0-9][0-9.-]*)?`),
  keyExample: rdsKeyExample('general/mysql-general.log[.N]'),
  sniff(head: string): boolean {
    return SNIFF.test(head);
  },
  recordStart(line: string): boolean {
    const c = line.charCodeAt(0);
    if (c === 9 || (c >= 48 && c <= 57)) return ENTRY_START.test(line);
    return isServerHeader(line);
  },
  createState: generalState,
  header(text: string, state: GeneralState | undefined): boolean {
    return state === undefined ? false : generalHeader(text, state);
  },
  parse(text: string, ctx: ParseContext<GeneralState | undefined>): ParseResult {
    let state = ctx.state;
    if (state === undefined) state = ctx.state = generalState();
    return parseGeneralEntry(text, state, ctx.object);
  },
};
