/**
 * What the three Amazon Redshift audit logs (connection, user and user activity log) share:
 * their S3 object naming, the cluster the object name carries, the `recordtime` text of the two
 * pipe-separated logs, and their pipe splitting.
 *
 * Format: https://docs.aws.amazon.com/redshift/latest/mgmt/db-auditing.html
 */
import type { ParseContext } from '../types.js';

/** The documentation page of all three logs. */
export const REDSHIFT_DOCS = 'https://docs.aws.amazon.com/redshift/latest/mgmt/db-auditing.html';

/** The three log types, as the object name spells them. */
export type RedshiftLogType = 'connectionlog' | 'userlog' | 'useractivitylog';

/**
 * `AWSLogs/<account>/redshift/<region>/YYYY/MM/DD/<account>_redshift_<region>_<cluster>_<logtype>_<YYYY-MM-DDTHH:MM>.gz`
 * under any prefix the cluster's owner chose. A cluster identifier is lowercase letters, digits
 * and hyphens, starting with a letter.
 */
export function redshiftKey(logType: RedshiftLogType): RegExp {
  return new RegExp(
    `(^|/)AWSLogs/\\d{12}/redshift/[a-z0-9-]+/\\d{4}/\\d{2}/\\d{2}/\\d{12}_redshift_[a-z0-9-]+_[a-z][a-z0-9-]*_${logType}_\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}\\.gz$`,
  );
}

export const redshiftKeyExample = (logType: RedshiftLogType): string =>
  `AWSLogs/<account>/redshift/<region>/YYYY/MM/DD/<account>_redshift_<region>_<cluster>_${logType}_YYYY-MM-DDTHH:MM.gz`;

/** The object name's cluster: `<account>_redshift_<region>_<cluster>_<logtype>_<time>.gz`, a version id after it. */
const CLUSTER_IN_NAME = /(?:^|\/)\d{12}_redshift_[a-z0-9-]+_([a-z][a-z0-9-]*)_(?:connectionlog|userlog|useractivitylog)_\d{4}-\d{2}-\d{2}T\d{2}:\d{2}\.gz(?:\?versionId=.*)?$/;

/** The cluster identifier in an object's AWS name, or null when it is not named the AWS way. */
export function clusterOfObject(object: string): string | null {
  const m = CLUSTER_IN_NAME.exec(object);
  return m === null ? null : (m[1] as string);
}

/**
 * Per-object state of the Redshift parsers: only a memo of the cluster `clusterOfObject` reads
 * from `ctx.object`, a pure function of the object's name (the same in every run and hand-over
 * of the object), so nothing is learned from frames and a continuation needs no header replay.
 */
export interface RedshiftState {
  object: string | null;
  cluster: string | null;
}

export const redshiftState = (): RedshiftState => ({ object: null, cluster: null });

/** The cluster of the object being parsed, from its name, computed once per object. */
export function clusterOf(ctx: ParseContext<RedshiftState | undefined>): string | null {
  let state = ctx.state;
  if (state === undefined) state = ctx.state = redshiftState();
  if (state.object !== ctx.object) {
    state.object = ctx.object;
    state.cluster = clusterOfObject(ctx.object);
  }
  return state.cluster;
}

/**
 * `resource` of a database or database user: `<cluster>/<name>`, the resource part of the IAM
 * ARNs of Redshift (`…:dbname:<cluster>/<db>`, `…:dbuser:<cluster>/<user>`), or the bare name
 * when the object name does not tell the cluster.
 */
export function clusterResource(cluster: string | null, name: string | null): string | null {
  if (name === null) return null;
  return cluster === null ? name : `${cluster}/${name}`;
}

/**
 * The values of a pipe-separated line, each stripped of the spaces Redshift pads its fixed-width
 * columns with (`dev |rdsdb |Ident |`). A line that ends with `|` (the connection log's do) has
 * no empty value after it.
 */
export function pipeValues(line: string): string[] {
  const parts = line.split('|');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  for (let i = 0; i < parts.length; i++) parts[i] = (parts[i] as string).trim();
  return parts;
}

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Mon, 7 Dec 2020 20:01:55:177`: weekday, day, month, year, time, and after a colon a fraction of a second. */
const RECORD_TIME = /^([A-Z][a-z]{2}), (\d{1,2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2})(?::(\d{1,6}))?$/;

/**
 * The `recordtime` of the connection and user logs, UTC, to epoch ms; NaN for anything else.
 * The digits after the seconds' colon are read as a fraction of a second (`:177` is 177 ms), as
 * the only other reader of these files we know does; they come as three digits in every real
 * line we have. The weekday must be a weekday name but is not checked against the date.
 */
export function parseRedshiftTime(s: string): number {
  const m = RECORD_TIME.exec(s);
  if (m === null || !WEEKDAYS.includes(m[1] as string)) return NaN;
  const month = MONTHS.indexOf(m[3] as string);
  if (month < 0) return NaN;
  const day = Number(m[2]);
  const year = Number(m[4]);
  const hour = Number(m[5]);
  const minute = Number(m[6]);
  const second = Number(m[7]);
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return NaN;
  const fraction = m[8] ?? '';
  const ms = fraction === '' ? 0 : Math.floor(Number(fraction.padEnd(6, '0')) / 1000);
  const t = Date.UTC(year, month, day, hour, minute, second, ms);
  // Date.UTC rolls 31 February over into March: reject instead of inventing a day (days 1–28
  // cannot roll over, so only the rest pays for a Date).
  return day <= 28 || new Date(t).getUTCDate() === day ? t : NaN;
}
