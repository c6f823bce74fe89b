/**
 * CloudWatch Logs events kept as generic records (`cwlogs`): every log event of a log group that
 * no format of the log-group map claims (docs/cwlogs.md), and the objects a CloudWatch Logs export
 * task (`CreateExportTask`) writes to S3. The message is the record's `raw`; the event's time is
 * `time`; log group, stream, event id and owner go to `fields`. Nothing is interpreted, so
 * nothing is dropped.
 *
 * Two line forms, one parser:
 * - an export-task object (`<prefix>/<task-id>/<log-stream>/000000.gz`) holds `<ISO-8601 time>
 *   <message>` lines; a message that held line breaks continues on lines that do not start with
 *   a time, which `recordStart` joins back into its record;
 * - the events of a subscription payload (Lambda or Firehose path) reach this parser as a
 *   *virtual object* the pipeline names after the log stream ({@link cwlogsObjectName}), one
 *   event per line as the JSON CloudWatch Logs itself delivers it (`{"id","timestamp","message"}`),
 *   so a message with line breaks stays one line, exactly.
 *
 * Format: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html and
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/S3Export.html. Mapping: docs/formats/cwlogs.md.
 */
import type { EventFields } from '../schema/index.js';
import { isObject } from './shared/json.js';
import { parseIsoUtc } from './shared/time.js';
import type { Ignorable, LineParser, ParseContext, ParseResult } from './types.js';

/** What the name of a virtual object says: the log stream its events came from. */
export interface CwlogsStream {
  readonly partition: string;
  /** Empty when the intake did not know it (a Firehose object read outside AWS). */
  readonly region: string;
  /** The payload's `owner`: the account of the log group. */
  readonly owner: string;
  readonly logGroup: string;
  readonly logStream: string;
  /** Id of the first event of the virtual object. */
  readonly firstEventId: string;
  /** 12 hex digits over every event id of the virtual object, in order. */
  readonly digest: string;
}

/**
 * Name (object key, bucket `''`) of a virtual object: the log stream's ARN, then the first event
 * id and a digest of all its event ids. Log group and stream names never hold `:`, so the name
 * reads back unambiguously ({@link parseCwlogsObjectName}); the same events always get the same
 * name, so a redelivered payload replaces its rows.
 */
export function cwlogsObjectName(s: CwlogsStream): string {
  return `arn:${s.partition}:logs:${s.region}:${s.owner}:log-group:${s.logGroup}:log-stream:${s.logStream}:${s.firstEventId}:${s.digest}`;
}

const NAME = /^arn:(aws[a-z-]*):logs:([a-z0-9-]*):([^:]*):log-group:([^:]*):log-stream:([^:]*):([^:]*):([0-9a-f]+)$/;

/** The log stream a virtual object's name ({@link cwlogsObjectName}) says, or null for any other object. */
export function parseCwlogsObjectName(name: string): CwlogsStream | null {
  const m = NAME.exec(name);
  if (m === null) return null;
  const [, partition, region, owner, logGroup, logStream, firstEventId, digest] = m as unknown as [string, string, string, string, string, string, string, string];
  return { partition, region, owner, logGroup, logStream, firstEventId, digest };
}

/** `<prefix>/<task-id>/<log-stream>/<NNNNNN>.gz`: task ids are UUIDs; a stream name may hold `/`. */
const EXPORT_KEY = /(?:^|\/)([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/(.+)\/\d{6}\.gz$/;

/** Where an export-task object came from, read from its key. */
interface ExportKey {
  readonly task: string;
  readonly stream: string;
  /** The destination prefix (S3 objects only: a local path has no prefix to speak of). */
  readonly prefix: string | null;
}

function exportKeyOf(object: string): ExportKey | null {
  const s3 = object.startsWith('s3://');
  const path = object.replace(/\?versionId=.*$/, '');
  const key = s3 ? path.slice(path.indexOf('/', 5) + 1) : path;
  const m = EXPORT_KEY.exec(key);
  if (m === null) return null;
  const prefix = s3 ? key.slice(0, m.index) : null;
  return { task: m[1] as string, stream: m[2] as string, prefix: prefix === null || prefix === '' ? null : prefix };
}

/** What an object's name says about its events, computed once per object. */
interface State {
  object: string | null;
  stream: CwlogsStream | null;
  export: ExportKey | null;
}

/** `YYYY-MM-DDTHH:MM:SS[.fff]Z` followed by a space or the end of the line: the start of an export-task line. */
const ISO_START = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z(?:[ \n]|$)/;
/** How this project writes an event line of a virtual object (`JSON.stringify` of `{id, timestamp, message}`). */
const EVENT_START = '{"id":';

function stateOf(ctx: ParseContext<State>): State {
  const st = ctx.state;
  if (st.object !== ctx.object) {
    st.object = ctx.object;
    st.stream = parseCwlogsObjectName(ctx.object);
    st.export = st.stream === null ? exportKeyOf(ctx.object) : null;
  }
  return st;
}

/** One event of a virtual object: the JSON CloudWatch Logs delivered, re-serialized. */
function parseEventLine(line: string, st: State): ParseResult {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    return { ok: false, reason: 'invalid_json', detail: `an event line is not JSON: ${(e as Error).message.slice(0, 120)}` };
  }
  if (!isObject(v)) return { ok: false, reason: 'not_an_object', detail: 'an event line is not a JSON object' };
  const { id, timestamp, message } = v;
  if (typeof message !== 'string') return { ok: false, reason: 'missing_field', detail: 'the event has no "message" string' };
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp)) {
    return { ok: false, reason: 'bad_timestamp', detail: `the event "timestamp" must be epoch milliseconds, got ${JSON.stringify(timestamp)?.slice(0, 40)}` };
  }
  const fields: Record<string, string> = {};
  const s = st.stream;
  if (s !== null) {
    fields.log_group = s.logGroup;
    fields.log_stream = s.logStream;
    fields.owner = s.owner;
  }
  if (typeof id === 'string' && id !== '') fields.event_id = id;
  const record: EventFields = {
    time: timestamp,
    category: 'application_log',
    outcome: 'unknown',
    account_id: s !== null && s.owner !== '' ? s.owner : null,
    region: s !== null && s.region !== '' ? s.region : null,
    fields,
  };
  return { ok: true, record };
}

/** One record of an export-task object: `<ISO time> <message>`, the message's later lines joined to it. */
function parseExportLine(line: string, st: State): ParseResult {
  // The time ends at the space before the message, or at the line break of an empty message's record.
  const end = line.search(/[ \n]/);
  const stamp = end < 0 ? line : line.slice(0, end);
  const time = parseIsoUtc(stamp);
  if (Number.isNaN(time) || !ISO_START.test(line)) {
    return { ok: false, reason: 'bad_timestamp', detail: `an export line starts with <ISO-8601 UTC time> and a space, got ${JSON.stringify(line.slice(0, 40))}` };
  }
  const fields: Record<string, string> = {};
  const ex = st.export;
  if (ex !== null) {
    fields.log_stream = ex.stream;
    fields.export_task = ex.task;
    if (ex.prefix !== null) fields.export_prefix = ex.prefix;
  }
  return { ok: true, record: { time, category: 'application_log', outcome: 'unknown', fields } };
}

/** Generic CloudWatch Logs records: subscription events no format claims, and export-task objects. */
export const parser: LineParser<State> = {
  id: 'cwlogs',
  source: 'cwlogs',
  version: 1,
  framing: 'lines',
  description: 'CloudWatch Logs events as generic records: subscription payloads (Lambda or Firehose) of unmapped log groups, export-task objects',
  docsUrl: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/S3Export.html',
  keyPatterns: [EXPORT_KEY],
  keyExample: '<prefix>/<export-task-id>/<log-stream>/000000.gz (subscription payloads: docs/cwlogs.md)',
  // `<time> <message>` lines are what countless logs look like: an export-task object is
  // recognized by its key (or a rule), never by its content alone.
  sniff: () => false,
  createState: (): State => ({ object: null, stream: null, export: null }),
  recordStart(line: string): boolean {
    return line.startsWith(EVENT_START) || ISO_START.test(line);
  },
  parse(line: string, ctx: ParseContext<State>): ParseResult {
    const st = stateOf(ctx);
    return line.startsWith(EVENT_START) ? parseEventLine(line, st) : parseExportLine(line, st);
  },
};

/**
 * The object an export task writes at its destination prefix to check that it may write there
 * (`aws-logs-write-test`, "Permission Check Successful"): no events.
 */
export const exportWriteTest: Ignorable = {
  name: 'cwlogs-export-write-test',
  source: 'cwlogs',
  description: 'the permission check object a CloudWatch Logs export task writes at its destination prefix; no events',
  keyPatterns: [/(^|\/)aws-logs-write-test$/],
  keyExample: '<prefix>/aws-logs-write-test',
  sniff: (head: string): boolean => head.trim() === 'Permission Check Successful',
};
