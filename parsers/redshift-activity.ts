/**
 * Amazon Redshift user activity log: one record per query, logged before the query runs, as
 * `'<YYYY-MM-DDTHH:MM:SSZ> UTC [ db=<db> user=<user> pid=<pid> userid=<userid> xid=<xid> ]' LOG: <query>`.
 * The query keeps its line breaks, so a record runs over every line up to the next record start.
 *
 * Format: https://docs.aws.amazon.com/redshift/latest/mgmt/db-auditing.html. What starts a
 * record (`recordStart`): a line that begins with a quote, a UTC timestamp with its `Z`, and
 * ` UTC [`, the fixed text Redshift writes before a record's context. A query line that only
 * begins with a quoted timestamp (`'2024-05-01T12:00:00Z', 42),` in a VALUES list) does not
 * start one. A query line that copies that whole preamble cannot be told from a record start by
 * anyone reading the file (the format has no escaping): it starts a record here too, which the
 * docs page of this format says. A record start whose context is cut short or malformed is
 * rejected alone; the lines after it belong to it, not to the record before.
 *
 * Mapping: `actor` is the user, `action` the query's first keyword upper-cased (after blanks,
 * opening parentheses and comments), `resource` the database, the query text in
 * `fields.query`; `outcome` is `unknown`, the query not having run yet. Keys Redshift may add
 * inside the brackets after xid are kept under their names and counted as schema drift.
 * Mapping: docs/formats/redshift.md.
 */
import type { EventFields } from '../schema/index.js';
import { REDSHIFT_DOCS, clusterOf, clusterResource, redshiftKey, redshiftKeyExample, redshiftState, type RedshiftState } from './shared/redshift.js';
import { sqlVerb as sharedSqlVerb } from './shared/sql.js';
import { parseIsoUtc } from './shared/time.js';
import type { LineParser, ParseContext, ParseResult } from './types.js';

/** The preamble of a record: quote, timestamp, ` UTC [`. */
const RECORD_START = /^'\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z UTC \[/;

/**
 * The whole context of a record. Names are bounded (Redshift identifiers have at most 127
 * bytes) so a damaged context over a long first line cannot make the match quadratic; `(extra)`
 * holds `key=value` pairs after xid that Redshift does not write today.
 */
const CONTEXT = /^'(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z) UTC \[ db=(.{0,128}?) user=(.{0,128}?) pid=(\d+) userid=(\d+) xid=(\d+)((?: [a-z_]{1,64}=[^ \n\]]{0,256}){0,16}) \]' LOG: ?/;

/** The SQL verb of a Redshift query (where `#` starts no comment). */
export const sqlVerb = (query: string): string | null => sharedSqlVerb(query, { hashComments: false });

/**
 * Parses one user-activity record (its lines joined with `\n`); `cluster` comes from the object
 * name. Keys after xid add one to `ctx.drift`.
 */
export function parseActivityRecord(record: string, cluster: string | null = null, ctx?: Pick<ParseContext, 'drift'>): ParseResult {
  if (!RECORD_START.test(record)) {
    return { ok: false, reason: 'unknown_format', detail: "not a user-activity record: a record starts with '<YYYY-MM-DDTHH:MM:SSZ> UTC [" };
  }
  const m = CONTEXT.exec(record);
  if (m === null) {
    const nl = record.indexOf('\n');
    const first = nl < 0 ? record : record.slice(0, nl);
    return {
      ok: false,
      reason: 'field_count_mismatch',
      detail: `the context of the record is cut short or malformed (expected "[ db=… user=… pid=… userid=… xid=… ]' LOG: "): ${JSON.stringify(first.slice(0, 120))}`,
    };
  }
  const timeText = m[1] as string;
  const time = parseIsoUtc(timeText);
  if (Number.isNaN(time)) return { ok: false, reason: 'bad_timestamp', detail: `${timeText} is not a valid UTC time` };

  const db = m[2] as string;
  const user = m[3] as string;
  const query = record.slice(m[0].length);
  const fields: Record<string, string> = { pid: m[4] as string, userid: m[5] as string, xid: m[6] as string };
  const extra = m[7] as string;
  if (extra !== '') {
    for (const pair of extra.slice(1).split(' ')) {
      const eq = pair.indexOf('=');
      const value = pair.slice(eq + 1);
      if (value !== '') fields[pair.slice(0, eq)] = value;
    }
    if (ctx !== undefined) ctx.drift = (ctx.drift ?? 0) + 1;
  }
  fields.query = query;
  const event: EventFields = {
    time,
    category: 'database_activity',
    actor: user === '' ? null : user,
    action: sqlVerb(query),
    resource: clusterResource(cluster, db === '' ? null : db),
    resource_type: db === '' ? null : 'dbname',
    // Logged before the query runs: whether it succeeded is not in this log.
    outcome: 'unknown',
    fields,
  };
  return { ok: true, record: event };
}

/** Amazon Redshift user activity log. */
export const parser: LineParser<RedshiftState | undefined> = {
  id: 'redshift-activity',
  source: 'redshift',
  version: 1,
  framing: 'lines',
  description: 'Amazon Redshift audit log: user activity log (each query, over several lines)',
  docsUrl: REDSHIFT_DOCS,
  keyPatterns: [redshiftKey('useractivitylog')],
  keyExample: redshiftKeyExample('useractivitylog'),
  sniff(head: string): boolean {
    return RECORD_START.test(head);
  },
  recordStart(line: string): boolean {
    return line.charCodeAt(0) === 39 && RECORD_START.test(line);
  },
  createState: redshiftState,
  parse(record: string, ctx: ParseContext<RedshiftState | undefined>): ParseResult {
    return parseActivityRecord(record, clusterOf(ctx), ctx);
  },
};
