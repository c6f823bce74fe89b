/**
 * The error log of RDS for MySQL, RDS for MariaDB and Aurora MySQL
 * (`error/mysql-error-running.log[.N]`, `error/mysql-error.log`, or the `/aws/rds/…/error` log
 * group). A message starts with its time and runs over every line up to the next message
 * (`recordStart`: a line that begins with one of the timestamps below), so a multi-line message
 * (an InnoDB report, a stack trace) is one record. The forms:
 *
 * - MySQL 8.0 / Aurora MySQL 3: `2024-05-01T12:00:00.123456Z 0 [Warning] [MY-010055] [Server] <message>`
 *   (time, thread, severity, error code, subsystem);
 * - MySQL 5.7 / Aurora MySQL 2: `2024-05-01T12:00:00.123456Z 12 [Note] <message>`;
 * - MySQL 5.6, MariaDB: `2024-05-01 12:00:00 12345 [Note] <message>` (thread or process id);
 * - MySQL 5.5 and older MariaDB: `240501 12:00:00 [Note] <message>` (no thread);
 * - a timestamped line without a bracketed severity (`2024-05-01 12:00:00 7f3a InnoDB: …`):
 *   the message is the rest of the line.
 *
 * Mapping (docs/formats/rds.md): `status` the error code (`MY-010055`), `outcome` `failure` for
 * the ERROR severity (its message also in `error`), else `unknown`; the message in
 * `fields.message` with the thread, severity and subsystem. Two messages that name who and where
 * are read further: `Access denied for user 'u'@'h'` and `Aborted connection <id> to db: 'd'
 * user: 'u' host: 'h' (<reason>)` give `actor`, `src_ip`, `resource` and `action` (`Access
 * denied`, `Aborted connection`), outcome `failure`.
 */
import type { EventFields } from '../schema/index.js';
import { RDS_DOCS, ctxOrigin, parseMysqlTime, putHost, rdsKeyExample, rdsKeyPatterns, rdsObjectState, rdsResource, rdsResourceType, type RdsCtx, type RdsObjectState } from './shared/rds.js';
import type { LineParser, ParseResult } from './types.js';

const ISO = String.raw`\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})`;
const SPACED = String.raw`\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,9})?`;
const OLD = String.raw`\d{6} [ \d]\d:\d{2}:\d{2}`;

/** A line that begins with a timestamp and a space starts a message. */
const RECORD_START = new RegExp(`^(?:${ISO}|${SPACED}|${OLD}) `);

/**
 * The first line: time; a thread or process id (decimal, or hex as 5.6 and MariaDB write for
 * InnoDB threads); `[Severity]`; 8.0's `[MY-nnnnnn]` code and `[Subsystem]`; the message.
 */
const FIRST = new RegExp(`^(${ISO}|${SPACED}|${OLD}) (?:(\\d{1,20}|0x[0-9a-f]{1,16}) )?(?:\\[([A-Za-z]{1,16})\\] )?(?:\\[(MY-\\d{1,9})\\] )?(?:\\[([A-Za-z][A-Za-z_]{0,31})\\] )?`);

const ACCESS_DENIED = /^Access denied for user '([^'\n]{0,384})'@'([^'\n]{0,256})'/;
const ABORTED = /^Aborted connection (\d{1,20}) to db: '([^'\n]{0,256})' user: '([^'\n]{0,384})' host: '([^'\n]{0,256})'/;

/** Parses one message (its lines joined with `\n`). */
export function parseErrorRecord(text: string, ctx: RdsCtx): ParseResult {
  const m = FIRST.exec(text);
  if (m === null) {
    return {
      ok: false,
      reason: 'unknown_format',
      detail: 'not an error log message: a message starts with its time (lines before the first message of this object, or not a MySQL error log)',
    };
  }
  const timeText = m[1] as string;
  const time = parseMysqlTime(timeText);
  if (Number.isNaN(time)) return { ok: false, reason: 'bad_timestamp', detail: `${JSON.stringify(timeText)} is not a time` };
  const severity = m[3] ?? null;
  const code = m[4] ?? null;
  const message = text.slice(m[0].length);
  const fields: Record<string, string> = {};
  if (m[2] !== undefined) fields.thread = m[2];
  if (severity !== null) fields.severity = severity;
  if (m[5] !== undefined) fields.subsystem = m[5];
  const failed = severity !== null && severity.toUpperCase() === 'ERROR';
  if (!failed) fields.message = message;

  let actor: string | null = null;
  let db: string | null = null;
  let host = '';
  let action: string | null = null;
  let refused = false;
  const denied = ACCESS_DENIED.exec(message);
  if (denied !== null) {
    action = 'Access denied';
    actor = denied[1] as string;
    host = denied[2] as string;
    refused = true;
  } else {
    const aborted = ABORTED.exec(message);
    if (aborted !== null) {
      action = 'Aborted connection';
      fields.connection_id = aborted[1] as string;
      db = aborted[2] as string;
      actor = aborted[3] as string;
      host = aborted[4] as string;
      refused = true;
    }
  }
  const origin = ctxOrigin(ctx);
  const record: EventFields = {
    time,
    category: 'database_activity',
    account_id: origin.account,
    region: origin.region,
    resource: rdsResource(origin, db),
    resource_type: rdsResourceType(origin, db),
    actor: actor === '' ? null : actor,
    action,
    status: code,
    outcome: failed || refused ? 'failure' : 'unknown',
    error: failed ? message : null,
    fields,
  };
  putHost(host, record, fields, 'host');
  return { ok: true, record };
}

/** A line of the head with a timestamp and a bracketed severity MySQL or MariaDB writes. */
const SNIFF = new RegExp(`^(?:${ISO}|${SPACED}|${OLD}) (?:(?:\\d{1,20}|0x[0-9a-f]{1,16}) )?\\[(?:Note|Warning|ERROR|Error|System|Information|Debug)\\] `, 'm');

/** RDS MySQL / MariaDB / Aurora MySQL error log. */
export const parser: LineParser<RdsObjectState | undefined> = {
  id: 'rds-mysql-error',
  source: 'rds',
  version: 1,
  framing: 'lines',
  description: 'Amazon RDS / Aurora MySQL and MariaDB error log (8.0, 5.7, 5.6 and older forms), one record per message',
  docsUrl: RDS_DOCS.mysql,
  keyPatterns: rdsKeyPatterns('error', String.raw`mysql-error(?:-running)?\.log(?:\.[0-9][0-9.-]*)?`),
  keyExample: rdsKeyExample('error/mysql-error-running.log[.N]'),
  sniff(head: string): boolean {
    return SNIFF.test(head);
  },
  recordStart(line: string): boolean {
    const c = line.charCodeAt(0);
    return c >= 48 && c <= 57 && RECORD_START.test(line);
  },
  createState: rdsObjectState,
  parse(text: string, ctx: RdsCtx): ParseResult {
    return parseErrorRecord(text, ctx);
  },
};
