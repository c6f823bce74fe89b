/**
 * Amazon Redshift connection log: one pipe-separated line per authentication attempt,
 * connection and disconnection, values padded with spaces to their column widths, a `|` after
 * the last value. Objects are gzipped text under the cluster's audit-logging prefix.
 *
 * Format: https://docs.aws.amazon.com/redshift/latest/mgmt/db-auditing.html (the columns are
 * those of STL_CONNECTION_LOG). Fields in line order: event, recordtime, remotehost, remoteport,
 * pid, dbname, username, authmethod, duration, then the ones AWS appended over the years:
 * sslversion, sslcipher, mtu, sslcompression, sslexpansion, iamauthguid, application_name,
 * os_version, driver_version, plugin_name, protocol_version, sessionid, compression. A line is
 * read from the nine fields through duration on (everything the record maps); fields past
 * compression are kept as `field_23`… and counted as schema drift. Mapping: docs/formats/redshift.md.
 */
import type { EventFields, Outcome } from '../schema/index.js';
import { badNumber, controlCharAt, describeControl, positionalName, unsigned } from './shared/access-log.js';
import { isIP } from './shared/ip.js';
import { REDSHIFT_DOCS, clusterOf, clusterResource, parseRedshiftTime, pipeValues, redshiftKey, redshiftKeyExample, redshiftState, type RedshiftState } from './shared/redshift.js';
import type { LineParser, ParseContext, ParseResult } from './types.js';

/** Field names in line order, as the documentation names them. */
export const CONNECTION_LOG_FIELDS = [
  'event',
  'recordtime',
  'remotehost',
  'remoteport',
  'pid',
  'dbname',
  'username',
  'authmethod',
  'duration',
  'sslversion',
  'sslcipher',
  'mtu',
  'sslcompression',
  'sslexpansion',
  'iamauthguid',
  'application_name',
  'os_version',
  'driver_version',
  'plugin_name',
  'protocol_version',
  'sessionid',
  'compression',
] as const;

/** Through `duration`: every field the record maps. */
const MIN_FIELDS = 9;
const I_EVENT = 0;
const I_TIME = 1;
const I_HOST = 2;
const I_PORT = 3;
const I_DB = 5;
const I_USER = 6;
const I_DURATION = 8;
/** Fields kept in `fields` under their names: everything the record does not map. */
const KEPT = [4, 7, ...Array.from({ length: CONNECTION_LOG_FIELDS.length - 9 }, (_, i) => i + 9)];

/** `authentication failure` (and any other failing event AWS may add) is a failure; the other events succeeded. */
function eventOutcome(event: string): Outcome {
  return event.includes('fail') ? 'failure' : 'success';
}

/**
 * Parses one connection-log line; `cluster` comes from the object name. A line with fields past
 * the newest known one adds one to `ctx.drift`.
 */
export function parseConnectionLine(line: string, cluster: string | null = null, ctx?: Pick<ParseContext, 'drift'>): ParseResult {
  const cc = controlCharAt(line);
  if (cc >= 0) return { ok: false, reason: 'control_character', detail: describeControl(line, cc) };
  const v = pipeValues(line);
  const n = v.length;
  if (n < MIN_FIELDS) {
    return { ok: false, reason: 'field_count_mismatch', detail: `${n} fields, a Redshift connection-log line has at least the ${MIN_FIELDS} fields event through duration` };
  }
  const timeText = v[I_TIME] as string;
  const time = parseRedshiftTime(timeText);
  if (Number.isNaN(time)) return { ok: false, reason: 'bad_timestamp', detail: `recordtime ${JSON.stringify(timeText.slice(0, 40))} is not like "Mon, 7 Dec 2020 20:01:55:177"` };
  const portText = v[I_PORT] as string;
  const port = portText === '' ? null : unsigned(portText);
  if (port !== null && (Number.isNaN(port) || port > 65535)) return badNumber('remoteport', portText);
  const durationText = v[I_DURATION] as string;
  const duration = durationText === '' ? null : unsigned(durationText);
  if (duration !== null && Number.isNaN(duration)) return badNumber('duration', durationText);

  const host = v[I_HOST] as string;
  const hostIsIp = host !== '' && isIP(host);
  const fields: Record<string, string> = {};
  if (!hostIsIp && host !== '') fields.remotehost = host;
  for (const i of KEPT) {
    const x = i < n ? (v[i] as string) : '';
    if (x !== '') fields[CONNECTION_LOG_FIELDS[i] as string] = x;
  }
  if (n > CONNECTION_LOG_FIELDS.length && ctx !== undefined) ctx.drift = (ctx.drift ?? 0) + 1;
  for (let i = CONNECTION_LOG_FIELDS.length; i < n; i++) if (v[i] !== '') fields[positionalName(i)] = v[i] as string;

  const event = v[I_EVENT] as string;
  const user = v[I_USER] as string;
  const db = v[I_DB] as string;
  const record: EventFields = {
    time,
    category: 'database_activity',
    actor: user === '' ? null : user,
    action: event === '' ? null : event,
    resource: clusterResource(cluster, db === '' ? null : db),
    resource_type: db === '' ? null : 'dbname',
    src_ip: hostIsIp ? host : null,
    src_port: port,
    outcome: eventOutcome(event),
    // The log counts microseconds.
    duration_ms: duration === null ? null : duration / 1000,
    fields,
  };
  return { ok: true, record };
}

/** Event words (`authenticated`, `Set application_name`), then the recordtime, the first two values of the first line. */
const SNIFF = /^[A-Za-z][A-Za-z_ ]* *\|[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2}(:\d{1,6})?\|/;

/** Amazon Redshift connection log. */
export const parser: LineParser<RedshiftState | undefined> = {
  id: 'redshift-connection',
  source: 'redshift',
  version: 1,
  framing: 'lines',
  description: 'Amazon Redshift audit log: connection log',
  docsUrl: REDSHIFT_DOCS,
  keyPatterns: [redshiftKey('connectionlog')],
  keyExample: redshiftKeyExample('connectionlog'),
  sniff(head: string): boolean {
    return SNIFF.test(head);
  },
  createState: redshiftState,
  parse(line: string, ctx: ParseContext<RedshiftState | undefined>): ParseResult {
    return parseConnectionLine(line, clusterOf(ctx), ctx);
  },
};
