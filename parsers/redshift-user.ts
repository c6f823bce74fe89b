/**
 * Amazon Redshift user log: one pipe-separated line per change to a database user (create, drop,
 * alter, rename), gzipped under the cluster's audit-logging prefix.
 *
 * Format: https://docs.aws.amazon.com/redshift/latest/mgmt/db-auditing.html. Fields in line
 * order: userid, username, oldusername, action, usecreatedb, usesuper, usecatupd, valuntil, pid,
 * xid, recordtime. The user named is the one the change was made to, not the one who made it
 * (the log does not say who did; its pid and xid lead to the statement in the user activity
 * log), so it is the record's `resource` and `actor` stays null. `valuntil` is kept as text: "no
 * expiry" is 9223372036854775807, beyond a double's exact integers. Fields after recordtime are
 * kept as `field_12`… and counted as schema drift. Mapping: docs/formats/redshift.md.
 */
import type { EventFields } from '../schema/index.js';
import { controlCharAt, describeControl, positionalName } from './shared/access-log.js';
import { REDSHIFT_DOCS, clusterOf, clusterResource, parseRedshiftTime, pipeValues, redshiftKey, redshiftKeyExample, redshiftState, type RedshiftState } from './shared/redshift.js';
import type { LineParser, ParseContext, ParseResult } from './types.js';

/** Field names in line order, as the documentation names them. */
export const USER_LOG_FIELDS = ['userid', 'username', 'oldusername', 'action', 'usecreatedb', 'usesuper', 'usecatupd', 'valuntil', 'pid', 'xid', 'recordtime'] as const;

const I_USER = 1;
const I_ACTION = 3;
const I_TIME = 10;
/** Fields kept in `fields` under their names: everything but username, action and recordtime. */
const KEPT = [0, 2, 4, 5, 6, 7, 8, 9];

/**
 * Parses one user-log line; `cluster` comes from the object name. A line with fields after
 * recordtime adds one to `ctx.drift`.
 */
export function parseUserLine(line: string, cluster: string | null = null, ctx?: Pick<ParseContext, 'drift'>): ParseResult {
  const cc = controlCharAt(line);
  if (cc >= 0) return { ok: false, reason: 'control_character', detail: describeControl(line, cc) };
  const v = pipeValues(line);
  const n = v.length;
  if (n < USER_LOG_FIELDS.length) {
    return { ok: false, reason: 'field_count_mismatch', detail: `${n} fields, a Redshift user-log line has the ${USER_LOG_FIELDS.length} fields userid through recordtime` };
  }
  const timeText = v[I_TIME] as string;
  const time = parseRedshiftTime(timeText);
  if (Number.isNaN(time)) return { ok: false, reason: 'bad_timestamp', detail: `recordtime ${JSON.stringify(timeText.slice(0, 40))} is not like "Thu, 3 Dec 2020 10:18:38:416"` };

  const fields: Record<string, string> = {};
  for (const i of KEPT) if (v[i] !== '') fields[USER_LOG_FIELDS[i] as string] = v[i] as string;
  if (n > USER_LOG_FIELDS.length && ctx !== undefined) ctx.drift = (ctx.drift ?? 0) + 1;
  for (let i = USER_LOG_FIELDS.length; i < n; i++) if (v[i] !== '') fields[positionalName(i)] = v[i] as string;

  const user = v[I_USER] as string;
  const action = v[I_ACTION] as string;
  const record: EventFields = {
    time,
    category: 'database_activity',
    actor: null,
    action: action === '' ? null : action,
    resource: clusterResource(cluster, user === '' ? null : user),
    resource_type: user === '' ? null : 'dbuser',
    outcome: 'success',
    fields,
  };
  return { ok: true, record };
}

/** userid, nine more values, then the recordtime: at the end of the first line, or before fields AWS may append. */
const SNIFF = /^\d+\|(?:[^|\n]*\|){9} *[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2}(:\d{1,6})? *(\||\r?\n|$)/;

/** Amazon Redshift user log. */
export const parser: LineParser<RedshiftState | undefined> = {
  id: 'redshift-user',
  source: 'redshift',
  version: 1,
  framing: 'lines',
  description: 'Amazon Redshift audit log: user log (changes to database users)',
  docsUrl: REDSHIFT_DOCS,
  keyPatterns: [redshiftKey('userlog')],
  keyExample: redshiftKeyExample('userlog'),
  sniff(head: string): boolean {
    return SNIFF.test(head);
  },
  createState: redshiftState,
  parse(line: string, ctx: ParseContext<RedshiftState | undefined>): ParseResult {
    return parseUserLine(line, clusterOf(ctx), ctx);
  },
};
