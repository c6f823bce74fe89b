/**
 * What the Amazon RDS database-log parsers (`rds-*`) share: the object names of RDS log files,
 * the DB instance, account and region an object's name tells, the `resource` of a database, the
 * timestamps the MySQL family writes, and a host that may be an address.
 *
 * Object names. RDS names each log file of a DB instance (`DescribeDBLogFiles`):
 * `error/mysql-error-running.log[.N]`, `slowquery/mysql-slowquery.log[.N]`,
 * `general/mysql-general.log[.N]`, `audit/server_audit.log[.N]` (Aurora MySQL: `audit/audit.log.…`),
 * `error/postgresql.log.YYYY-MM-DD-HH[MM]`. The RDS log exporter (`functions/rds-export`) writes
 * the portions it downloads to `raw/rds/<account>/<region>/<instance>/<log file name>/<generation>/<sequence>.log.gz`;
 * a file downloaded by hand keeps the RDS name (with or without its folder). Both are key
 * patterns; anything else routes by content.
 */
import { RDS_RAW_PREFIX } from '../../schema/index.js';
import { isIP } from './ip.js';
import type { ParseContext } from '../types.js';

/** AWS documentation of each engine's log files. */
export const RDS_DOCS = {
  mysql: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.Concepts.MySQL.html',
  audit: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Appendix.MySQL.Options.AuditPlugin.html',
  postgresql: 'https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.Concepts.PostgreSQL.html',
} as const;

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The key prefix the RDS log exporter writes under (`functions/rds-export/state.ts`, `objectKey`:
 * the lake layout's `RDS_RAW_PREFIX`), then account, region and instance.
 */
const RAW = escapeRegExp(RDS_RAW_PREFIX);
const EXPORTER = String.raw`(?:^|/)${RAW}\d{12}/[a-z0-9-]+/[a-z][a-z0-9-]*/`;
/** The exporter's `<generation>/<sequence>.log.gz` after the log file name (10 and 6 zero-padded digits). */
const PORTION = String.raw`/\d{10}/\d{6}\.log\.gz$`;

/**
 * The key patterns of one RDS log file type: `folder` is the RDS folder of its name (`slowquery`),
 * `name` a regular expression of the file name in it (`mysql-slowquery\.log(?:\.\d+)?`). Matches
 * the exporter's objects and a download named as RDS names the file (its folder optional,
 * optionally gzipped).
 */
export function rdsKeyPatterns(folder: string, name: string): RegExp[] {
  return [new RegExp(`${EXPORTER}${folder}/${name}${PORTION}`), new RegExp(`(?:^|/)(?:${folder}/)?${name}(?:\\.gz)?$`)];
}

/** `loglake formats`'s text of `rdsKeyPatterns` for a file name like `slowquery/mysql-slowquery.log[.N]`. */
export function rdsKeyExample(file: string): string {
  return `${RDS_RAW_PREFIX}<account>/<region>/<instance>/${file}/<generation>/<sequence>.log.gz (the RDS log exporter), or a download named ${file}`;
}

/** Account, region and RDS DB instance of an exporter object: `…raw/rds/<account>/<region>/<instance>/…`. */
const FROM_EXPORTER = new RegExp(String.raw`(?:^|/)${RAW}(\d{12})/([a-z0-9-]+)/([a-z][a-z0-9-]*)/`);
/**
 * A CloudWatch Logs virtual object (`parsers/cwlogs.ts`, `cwlogsObjectName`) of an RDS log group:
 * `/aws/rds/instance/<instance>/<log>`, or `/aws/rds/cluster/<cluster>/<log>` whose log streams are
 * named after the cluster's instances.
 */
const FROM_LOG_GROUP = /^arn:aws[a-z-]*:logs:([a-z0-9-]*):(\d{12}):log-group:\/aws\/rds\/(instance|cluster)\/([^/:]+)\/[^/:]+:log-stream:([^:]*):/;

/** What an object's name tells about where its lines come from. */
export interface RdsOrigin {
  readonly instance: string | null;
  readonly account: string | null;
  readonly region: string | null;
}

const NOWHERE: RdsOrigin = { instance: null, account: null, region: null };

/** The DB instance, account and region an object's name tells, or nulls. */
export function rdsOriginOf(object: string): RdsOrigin {
  const e = FROM_EXPORTER.exec(object);
  if (e !== null) return { account: e[1] as string, region: e[2] as string, instance: e[3] as string };
  const g = FROM_LOG_GROUP.exec(object);
  if (g !== null) {
    const instance = g[3] === 'instance' ? (g[4] as string) : (g[5] as string);
    return { region: g[1] === '' ? null : (g[1] as string), account: g[2] as string, instance: instance === '' ? null : instance };
  }
  return NOWHERE;
}

/**
 * The object-name part of every RDS parser's per-object state: a memo of `rdsOriginOf(ctx.object)`,
 * a pure function of the object's name (the same in every run and hand-over of the object).
 */
export interface RdsObjectState {
  object: string | null;
  origin: RdsOrigin;
}

export const rdsObjectState = (): RdsObjectState => ({ object: null, origin: NOWHERE });

/** The origin of the object being parsed, computed once per object into `state`. */
export function originOf(state: RdsObjectState, object: string): RdsOrigin {
  if (state.object !== object) {
    state.object = object;
    state.origin = rdsOriginOf(object);
  }
  return state.origin;
}

/**
 * `resource` of a database on an instance: `<instance>/<database>` (type `dbname`, as the
 * Redshift parsers name a database), the database alone when the object does not tell the
 * instance, the instance alone (type `AWS::RDS::DBInstance`) for a line about no database.
 * Two functions rather than one object of columns: records are built as one literal each, which
 * keeps them fast to build (a spread into the literal measured 15 % of a PostgreSQL parse).
 */
export function rdsResource(origin: RdsOrigin, db: string | null): string | null {
  if (db !== null && db !== '') return origin.instance === null ? db : `${origin.instance}/${db}`;
  return origin.instance;
}

/** `resource_type` of `rdsResource`'s value. */
export function rdsResourceType(origin: RdsOrigin, db: string | null): string | null {
  if (db !== null && db !== '') return 'dbname';
  return origin.instance === null ? null : 'AWS::RDS::DBInstance';
}

/** A client host as logged: an address goes to `src_ip`, a name (`localhost`, `[local]`) to `fields.<name>`. */
export function putHost(host: string, record: { src_ip?: string | null }, fields: Record<string, string>, name: string): void {
  if (host === '') return;
  if (isIP(host)) record.src_ip = host;
  else fields[name] = host;
}

/**
 * The three lines a MySQL-family server writes at the top of its slow query and general logs at
 * each start: `<path>, Version: <version> (<comment>). started with:`, `Tcp port: <port>  Unix socket: <path>`,
 * `Time                 Id Command    Argument`.
 */
export function isServerHeader(line: string): boolean {
  // Cheap tests first: this runs on every line of a statement.
  if (line.charCodeAt(0) === 84) return line.startsWith('Tcp port: ') ? SERVER_PORT.test(line) : SERVER_COLUMNS.test(line);
  return line.endsWith(' started with:') && SERVER_STARTED.test(line);
}
const SERVER_STARTED = /^\S[^\n]{0,1024}, Version: [^\n]{1,256} started with:$/;
const SERVER_PORT = /^Tcp port: \d{0,5} {1,2}Unix socket: /;
const SERVER_COLUMNS = /^Time {2,}Id Command {2,}Argument *$/;

// ---------------------------------------------------------------------------------------------
// Timestamps of the MySQL family

const ZERO = 48;

function digits(s: string, start: number, count: number): number {
  let n = 0;
  for (let i = start; i < start + count; i++) {
    const d = s.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * `Date.UTC` of checked parts, NaN for a part out of range or a day the month does not have
 * (`Date.UTC` would roll 31 February over into March).
 */
export function utcOf(year: number, month: number, day: number, hour: number, minute: number, second: number, ms = 0): number {
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return NaN;
  const t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  return day <= 28 || new Date(t).getUTCDate() === day ? t : NaN;
}

/** Milliseconds of a fraction of a second written as digits (`123456` → 123). */
function fractionMs(s: string, start: number, end: number): number {
  let ms = 0;
  let scale = 100;
  for (let i = start; i < end; i++) {
    const d = s.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return -1;
    ms += d * scale;
    scale /= 10;
  }
  return Math.floor(ms);
}

/** A zone suffix: `Z` (0), `±HH:MM` or `±HHMM` or `±HH` in minutes; NaN for anything else. */
export function zoneOffsetMinutes(z: string): number {
  if (z === 'Z' || z === 'UTC' || z === 'GMT' || z === '') return 0;
  const sign = z.charCodeAt(0) === 45 ? -1 : z.charCodeAt(0) === 43 ? 1 : 0;
  if (sign === 0) return NaN;
  let h: number;
  let m = 0;
  if (z.length === 3) h = digits(z, 1, 2);
  else if (z.length === 5) {
    h = digits(z, 1, 2);
    m = digits(z, 3, 2);
  } else if (z.length === 6 && z.charCodeAt(3) === 58) {
    h = digits(z, 1, 2);
    m = digits(z, 4, 2);
  } else return NaN;
  if (h < 0 || h > 14 || m < 0 || m > 59) return NaN;
  return sign * (h * 60 + m);
}

/**
 * A date and time `YYYY-MM-DD?HH:MM:SS[.f…]` from `start` (the separator at 10 is `T` or a space),
 * then a zone suffix (`zone`, see `zoneOffsetMinutes`), to epoch ms; NaN for anything else.
 */
function dateTimeAt(s: string, zone: string): number {
  const sep = s.charCodeAt(10);
  if (s.length < 19 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || (sep !== 84 && sep !== 32) || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return NaN;
  let ms = 0;
  if (s.length > 19) {
    if (s.charCodeAt(19) !== 46 || s.length === 20) return NaN;
    ms = fractionMs(s, 20, s.length);
    if (ms < 0) return NaN;
  }
  const offset = zoneOffsetMinutes(zone);
  if (Number.isNaN(offset)) return NaN;
  const t = utcOf(digits(s, 0, 4), digits(s, 5, 2), digits(s, 8, 2), digits(s, 11, 2), digits(s, 14, 2), digits(s, 17, 2), ms);
  return t - offset * 60_000;
}

/** Where the zone suffix of an ISO-like time starts: at `Z`, or at a sign after the seconds; the length when none. */
function zoneStart(s: string): number {
  const n = s.length;
  if (n > 19 && s.charCodeAt(n - 1) === 90) return n - 1;
  for (let i = 19; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 43 || c === 45) return i;
  }
  return n;
}

/**
 * The timestamps of the MySQL family's error, slow query and general logs, to epoch ms; NaN for
 * anything else:
 * - `2024-05-01T12:00:00.123456Z` (MySQL 5.7 and later, `log_timestamps=UTC`) or with an offset
 *   (`+00:00`, `log_timestamps=SYSTEM`);
 * - `2024-05-01 12:00:00` (MySQL 5.6, MariaDB), read as UTC: RDS servers run in UTC;
 * - `240501 12:00:00` or `240501  9:05:00` (YYMMDD, the hour padded with a space: MySQL 5.5 and
 *   earlier, the slow and general logs of 5.6 and MariaDB), years 2000–2099, read as UTC.
 */
export function parseMysqlTime(s: string): number {
  if (s.length === 15 && s.charCodeAt(6) === 32 && s.charCodeAt(9) === 58 && s.charCodeAt(12) === 58) {
    const year = digits(s, 0, 2);
    const hour = s.charCodeAt(7) === 32 ? digits(s, 8, 1) : digits(s, 7, 2);
    if (year < 0) return NaN;
    return utcOf(2000 + year, digits(s, 2, 2), digits(s, 4, 2), hour, digits(s, 10, 2), digits(s, 13, 2));
  }
  if (s.length < 19) return NaN;
  const z = zoneStart(s);
  return dateTimeAt(s.slice(0, z), s.slice(z));
}

/**
 * PostgreSQL's `%t` / `%m` (`2024-05-01 12:00:00 UTC`, `2024-05-01 12:00:00.123 UTC`): the zone
 * must be `UTC`, `GMT` or a numeric offset (`+03`, `-0530`, `+05:30`); an abbreviation such as
 * `CEST` does not say its offset, so it gives NaN, as does anything else.
 */
export function parsePostgresTime(s: string): number {
  const sp = s.indexOf(' ', 11);
  if (sp < 0) return NaN;
  return dateTimeAt(s.slice(0, sp), s.slice(sp + 1));
}

/** Epoch microseconds (Aurora MySQL audit log, 16 digits) to ms; NaN for anything but digits. */
export function parseEpochMicros(s: string): number {
  if (s.length < 13 || s.length > 17) return NaN;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return NaN;
  }
  return Math.floor(Number(s) / 1000);
}

/** `YYYYMMDD HH:MM:SS` (MariaDB audit plugin), read as UTC; NaN for anything else. */
export function parseAuditTime(s: string): number {
  if (s.length !== 17 || s.charCodeAt(8) !== 32 || s.charCodeAt(11) !== 58 || s.charCodeAt(14) !== 58) return NaN;
  return utcOf(digits(s, 0, 4), digits(s, 4, 2), digits(s, 6, 2), digits(s, 9, 2), digits(s, 12, 2), digits(s, 15, 2));
}

/** The per-object state of a parser that needs nothing but the object's origin. */
export type RdsCtx = ParseContext<RdsObjectState | undefined>;

/** The origin of `ctx`'s object, creating the state on first use (a context built by hand has none). */
export function ctxOrigin(ctx: RdsCtx): RdsOrigin {
  let state = ctx.state;
  if (state === undefined) state = ctx.state = rdsObjectState();
  return originOf(state, ctx.object);
}
