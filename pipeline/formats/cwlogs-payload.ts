/**
 * CloudWatch Logs subscription payloads, without I/O: decoding what a subscription filter
 * delivers, the log-group map that routes each log group's events to a format, and the virtual
 * objects the events become (docs/cwlogs.md).
 *
 * A subscription filter delivers base64(gzip(JSON)) to a Lambda function (`{"awslogs": {"data":
 * …}}`), and the gzip member alone to Firehose, which concatenates them into S3 objects (or, with
 * Firehose decompression on, the JSON texts). The JSON is one payload: `messageType`
 * (`DATA_MESSAGE`, or `CONTROL_MESSAGE` when CloudWatch Logs checks that the destination is
 * reachable), `owner` (the account), `logGroup`, `logStream`, `subscriptionFilters`, and
 * `logEvents[]` of `{id, timestamp (epoch ms), message}`.
 *
 * Each run of events of one log stream becomes a *virtual object*: named after the log stream's
 * ARN, the first event id and a digest of every event id (so the same events always get the same
 * name and a redelivered payload replaces its rows), pinned to the format the log-group map gives
 * the group, holding the events as that format's parser reads them: the messages one per line, or
 * for generic `cwlogs` records each event as one JSON line (a message with line breaks stays one
 * record). `cwlogs.ts` runs them through `processObject`.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { cwlogsObjectName, cwlogsParser } from '../../parsers/index.js';
import { Section, problemsText, show } from '../../schema/checks.js';
import type { FormatName, RejectReason } from '../../schema/index.js';
import { parseJson } from '../framing/framing.js';
import { ConfigError, MessageError, preview } from '../run/errors.js';
import { globToRegExp } from '../route/rules.js';
import { DEFAULT_REGISTRY, formatNames, isKnownFormat, type Pin, type Registry } from '../route/route.js';
import type { ObjectRef } from '../storage/storage.js';

/** One log event as CloudWatch Logs delivers it. */
export interface LogEvent {
  readonly id: string;
  readonly timestamp: unknown;
  readonly message: unknown;
}

/** A `DATA_MESSAGE` payload: the events of one log stream. */
export interface DataPayload {
  readonly kind: 'data';
  readonly owner: string;
  readonly logGroup: string;
  readonly logStream: string;
  readonly subscriptionFilters: readonly string[];
  readonly logEvents: readonly LogEvent[];
}

/** A payload, or the `CONTROL_MESSAGE` CloudWatch Logs sends to check a destination (no events). */
export type Payload = DataPayload | { readonly kind: 'control'; readonly logGroup: string | null };

/** Why a JSON value is no payload: the reason its rejection gets, and what is wrong in words. */
export interface PayloadProblem {
  readonly reason: Extract<RejectReason, 'not_an_object' | 'unknown_format' | 'missing_field'>;
  readonly detail: string;
}

const NO_COLON = (s: string): boolean => !s.includes(':');

/**
 * The payload a parsed JSON value is, or why it is none. Only the envelope is checked: an event
 * whose fields are wrong still reaches its parser, which rejects it with a reason, so one odd
 * event never costs its payload.
 */
export function readPayload(value: unknown): Payload | PayloadProblem {
  const s = new Section(value, { known: null, shape: 'a JSON object' });
  if (!s.isObject) return { reason: 'not_an_object', detail: `a payload is a JSON object, got ${Array.isArray(value) ? 'an array' : show(value)}` };
  const type = s.raw('messageType');
  if (type === 'CONTROL_MESSAGE') {
    const group = s.raw('logGroup');
    return { kind: 'control', logGroup: typeof group === 'string' ? group : null };
  }
  if (type !== 'DATA_MESSAGE') return { reason: 'unknown_format', detail: `messageType must be DATA_MESSAGE or CONTROL_MESSAGE, got ${show(type)}` };
  s.required('owner', 'the account of the log group');
  s.required('logGroup', 'the log group');
  s.required('logStream', 'the log stream');
  s.required('logEvents', 'the events');
  const owner = s.string('owner', '');
  const logGroup = s.string('logGroup', '');
  const logStream = s.string('logStream', '');
  // Names never hold ':' in CloudWatch Logs; the virtual object's name relies on it.
  if (!NO_COLON(logGroup)) s.problem('logGroup', `must not contain ":", got ${show(logGroup)}`);
  if (!NO_COLON(logStream)) s.problem('logStream', `must not contain ":", got ${show(logStream)}`);
  if (!NO_COLON(owner)) s.problem('owner', `must not contain ":", got ${show(owner)}`);
  const subscriptionFilters = s.strings('subscriptionFilters', []);
  const events = s.list('logEvents', 'an array of events') ?? [];
  const logEvents: LogEvent[] = [];
  events.forEach((e, i) => {
    if (typeof e !== 'object' || e === null || Array.isArray(e)) {
      s.problem(`logEvents[${i}]`, `must be an object, got ${show(e)}`);
      return;
    }
    const o = e as Record<string, unknown>;
    const id = typeof o.id === 'string' ? o.id : typeof o.id === 'number' ? String(o.id) : '';
    if (id.includes(':')) s.problem(`logEvents[${i}].id`, `must not contain ":", got ${show(o.id)}`);
    logEvents.push({ id, timestamp: o.timestamp, message: o.message });
  });
  if (s.problems.length > 0) return { reason: 'missing_field', detail: problemsText(s.problems) };
  return { kind: 'data', owner, logGroup, logStream, subscriptionFilters, logEvents };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The payload of a Lambda invocation by a subscription filter (`{"awslogs": {"data": "<base64
 * of gzip of JSON>"}}`). Every way it can be wrong is a `MessageError` that says which layer:
 * `unknown_shape` for another event, `invalid_message` for base64, gzip or the payload's
 * fields, `invalid_json` for the JSON.
 */
export function decodeSubscriptionEvent(event: unknown, where = 'the invocation event'): Payload {
  const awslogs = typeof event === 'object' && event !== null ? (event as { awslogs?: unknown }).awslogs : undefined;
  const data = typeof awslogs === 'object' && awslogs !== null ? (awslogs as { data?: unknown }).data : undefined;
  if (typeof data !== 'string') {
    const keys = typeof event === 'object' && event !== null ? Object.keys(event).slice(0, 10).join(', ') : typeof event;
    throw new MessageError('unknown_shape', `${where} is not a CloudWatch Logs subscription event: no awslogs.data string (top-level keys: ${keys || 'none'})`);
  }
  const text = data.replace(/\s+/g, '');
  if (text.length === 0 || text.length % 4 !== 0 || !BASE64.test(text)) {
    throw new MessageError('invalid_message', `${where}: awslogs.data is not base64 (${text.length} characters, starting ${preview(text, 24)})`);
  }
  const gz = Buffer.from(text, 'base64');
  let json: Buffer;
  try {
    json = gunzipSync(gz);
  } catch (e) {
    throw new MessageError('invalid_message', `${where}: awslogs.data is base64 but not gzip: ${(e as Error).message}`, { cause: e });
  }
  const parsed = parseJson(json.toString('utf8'));
  if (!parsed.ok) throw new MessageError('invalid_json', `${where}: the gunzipped awslogs.data is not JSON: ${parsed.error}`);
  const value = parsed.value;
  const payload = readPayload(value);
  if (!('kind' in payload)) throw new MessageError('invalid_message', `${where}: not a CloudWatch Logs payload: ${payload.detail}`);
  return payload;
}

/** True when decoded text starts like a payload: the first JSON object has `messageType` and `logGroup` keys early. */
export function looksLikePayload(head: string): boolean {
  return /^\s*\{/.test(head) && /"messageType"\s*:\s*"(?:DATA|CONTROL)_MESSAGE"/.test(head) && head.includes('"logGroup"');
}

// ---------------------------------------------------------------------------------------------
// The log-group map

/** One entry of the log-group map, validated and compiled. */
export interface LogGroupRoute {
  /** How the entry matches, as written: `name`, `prefix` or `pattern` and its text. */
  readonly match: { readonly kind: 'name' | 'prefix' | 'pattern'; readonly text: string };
  readonly test: RegExp;
  /** A source or parser id; `cwlogs` keeps the events as generic records. */
  readonly format: FormatName;
  /**
   * A line written before the messages, for formats whose files begin with a header that
   * CloudWatch Logs delivery leaves out (a VPC flow log's field names); null for none.
   */
  readonly header: string | null;
}

/** The validated log-group map: first match wins; unmatched groups are generic `cwlogs` records. */
export interface LogGroupMap {
  readonly routes: readonly LogGroupRoute[];
  /**
   * Region of the log groups whose payloads arrive through Firehose objects, which do not say it
   * (it names their virtual objects and fills `region`); null when not given. The Lambda path
   * uses the function's own region: a subscription's destination is in its log group's region.
   */
  readonly region: string | null;
}

/** The generic format: what an unmatched log group's events become. */
export const GENERIC_FORMAT: FormatName = cwlogsParser.id;

/**
 * Entries every map ends with, used when the format exists in the registry: the log group name
 * the CloudTrail console proposes (`aws-cloudtrail-logs-<account>-<suffix>`, one JSON event per
 * message), Amazon Redshift's audit log groups (`/aws/redshift/cluster/<cluster>/<log>`) and the
 * RDS log groups whose last segment names one engine's log (`/aws/rds/instance|cluster/<id>/<log>`).
 * RDS's `error` and `audit` groups are left out: SQL Server and Oracle publish groups of those
 * names too, and their lines would all be rejected by a MySQL parser instead of kept as
 * generic records; a MySQL/MariaDB deployment names them in its own entries.
 */
export const DEFAULT_LOG_GROUPS: ReadonlyArray<Readonly<Record<string, string>>> = [
  { pattern: 'aws-cloudtrail-logs-*', format: 'cloudtrail' },
  { pattern: '/aws/redshift/cluster/*/*', format: 'redshift' },
  { pattern: '/aws/rds/*/*/postgresql', format: 'rds-postgresql' },
  { pattern: '/aws/rds/*/*/slowquery', format: 'rds-mysql-slowquery' },
  { pattern: '/aws/rds/*/*/general', format: 'rds-mysql-general' },
];

const ENTRY_KEYS = ['name', 'prefix', 'pattern', 'format', 'header'];
/** Characters a log group name may hold (CloudWatch Logs: letters, digits, `_-/.#`), plus glob `*` and `?` in patterns. */
const GROUP_TEXT = /^[A-Za-z0-9_\-/.#]{1,512}$/;
const GROUP_GLOB = /^[A-Za-z0-9_\-/.#*?]{1,512}$/;

const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function readEntry(s: Section, registry: Registry, check: boolean): LogGroupRoute | null {
  const given = (['name', 'prefix', 'pattern'] as const).filter((k) => s.has(k));
  if (!s.isObject) return null;
  if (given.length !== 1) s.problem('', `needs exactly one of "name" (a log group), "prefix" or "pattern" (a glob: * within a /-segment, ** across), got ${given.length === 0 ? 'none' : given.join(' and ')}`);
  const kind = given[0] ?? 'name';
  const text = s.string(kind, '', kind === 'pattern' ? GROUP_GLOB : GROUP_TEXT, kind === 'pattern' ? 'a glob of log group names (letters, digits, _-/.# and * ?)' : 'log group name text (letters, digits, _-/.#)');
  s.required('format', 'the format of the events of these log groups');
  const format = s.string('format', '');
  const header = s.optionalString('header');
  if (format !== '' && !isKnownFormat(format, registry)) {
    if (!check) return null;
    s.problem('format', `unknown format ${show(format)}; known: ${formatNames(registry).join(', ')}`);
  }
  if (header !== null && header.includes('\n')) s.problem('header', 'must be one line');
  // A VPC flow log's LogFormat (`${version} ${srcaddr} …`) names its fields like the header of its S3 files.
  const headerLine = header === null ? null : header.replace(/\$\{([^}]*)\}/g, '$1');
  if (text === '' || !isKnownFormat(format, registry)) return null;
  const test = kind === 'name' ? new RegExp(`^${escapeRegExp(text)}$`) : kind === 'prefix' ? new RegExp(`^${escapeRegExp(text)}`) : globToRegExp(text, true);
  return Object.freeze({ match: Object.freeze({ kind, text }), test, format, header: headerLine });
}

/**
 * Validates a log-group map document, `{"logGroups": [{"name" | "prefix" | "pattern": …,
 * "format": …, "header"?: …}, …], "region"?: …}` (already parsed JSON); `where` names its origin in errors. The
 * built-in `DEFAULT_LOG_GROUPS` whose format the registry knows follow the user's entries.
 * Throws `ConfigError('invalid_option')` naming every problem.
 */
export function validateLogGroupMap(value: unknown, where: string, registry: Registry = DEFAULT_REGISTRY): LogGroupMap {
  const doc = new Section(value, { known: ['logGroups', 'region'], shape: 'an object {"logGroups": [...]}' });
  const region = doc.optionalString('region', REGION, 'an AWS region such as eu-west-1');
  const user = doc.sections('logGroups', ENTRY_KEYS, { shape: 'an object like {"prefix": "/aws/rds/", "format": "cwlogs"}' }).map((e) => readEntry(e, registry, true));
  if (doc.problems.length > 0) throw new ConfigError('invalid_option', problemsText(doc.problems, where));
  const defaults = new Section({ logGroups: DEFAULT_LOG_GROUPS }, { known: null })
    .sections('logGroups', ENTRY_KEYS)
    .map((e) => readEntry(e, registry, false));
  return Object.freeze({ routes: Object.freeze([...user, ...defaults].filter((r): r is LogGroupRoute => r !== null)), region });
}

/** Parses and validates a log-group map from JSON text; a syntax error names `where`. */
export function parseLogGroupMap(text: string, where: string, registry: Registry = DEFAULT_REGISTRY): LogGroupMap {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ConfigError('invalid_option', `${where}: not valid JSON: ${(e as Error).message}`);
  }
  return validateLogGroupMap(value, where, registry);
}

/** The map with only the built-in entries. */
export const DEFAULT_LOG_GROUP_MAP: LogGroupMap = validateLogGroupMap({ logGroups: [] }, 'the default log-group map');

/** The entry a log group matches, or null: its events are generic `cwlogs` records. */
export function routeLogGroup(map: LogGroupMap, logGroup: string): LogGroupRoute | null {
  for (const r of map.routes) if (r.test.test(logGroup)) return r;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Virtual objects

/** Where the intake runs: the region of the log groups, when known (the Lambda's own region). */
export interface IntakeSite {
  /** Empty when unknown (a Firehose object read outside AWS). */
  readonly region: string;
}

/** The partition of a region: `aws-cn` for China, `aws-us-gov` for GovCloud, else `aws`. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** The events of one log stream, gathered from one or more payloads, as one object to process. */
export interface VirtualObject {
  readonly ref: ObjectRef;
  readonly pin: Pin;
  /** The map entry that chose the format, or null for generic records. */
  readonly route: LogGroupRoute | null;
  readonly logGroup: string;
  readonly events: number;
  /** The object's content: one line per event (or per message line), UTF-8. */
  readonly content: Buffer;
}

/** The pin of generic records: exactly the `cwlogs` parser. */
const GENERIC_PIN: Pin = { kind: 'pin', format: GENERIC_FORMAT, exact: true };

/** A message as the lines its parser reads: one trailing line break dropped, so a message ends one line. */
function messageText(e: LogEvent): string {
  const m = typeof e.message === 'string' ? e.message : JSON.stringify(e);
  return m.endsWith('\r\n') ? m.slice(0, -2) : m.endsWith('\n') ? m.slice(0, -1) : m;
}

/** Gathers the payloads of one log stream into virtual objects, in order of first appearance. */
export class VirtualObjects {
  private readonly runs = new Map<string, { payloads: DataPayload[]; route: LogGroupRoute | null }>();
  /** Message text held, in UTF-16 code units (about bytes for ASCII logs). */
  held = 0;

  constructor(
    private readonly map: LogGroupMap,
    private readonly site: IntakeSite,
  ) {}

  get size(): number {
    return this.runs.size;
  }

  /** Adds a payload's events to its log stream's run. Payloads without events add nothing. */
  add(p: DataPayload): void {
    if (p.logEvents.length === 0) return;
    const key = `${p.owner}\n${p.logGroup}\n${p.logStream}`;
    let run = this.runs.get(key);
    if (run === undefined) {
      run = { payloads: [], route: routeLogGroup(this.map, p.logGroup) };
      this.runs.set(key, run);
    }
    run.payloads.push(p);
    for (const e of p.logEvents) this.held += (typeof e.message === 'string' ? e.message.length : 64) + 64;
  }

  /** The virtual objects of everything added, and a fresh start. */
  take(): VirtualObject[] {
    const out: VirtualObject[] = [];
    for (const { payloads, route } of this.runs.values()) out.push(virtualObject(payloads, route, this.site));
    this.runs.clear();
    this.held = 0;
    return out;
  }
}

/** The virtual object of payloads of one log stream (at least one event among them). */
export function virtualObject(payloads: readonly DataPayload[], route: LogGroupRoute | null, site: IntakeSite): VirtualObject {
  const first = payloads[0] as DataPayload;
  const digest = createHash('sha256');
  const lines: string[] = [];
  let events = 0;
  if (route?.header != null) lines.push(route.header);
  for (const p of payloads) {
    for (const e of p.logEvents) {
      digest.update(e.id).update('\n');
      events++;
      lines.push(route === null || route.format === GENERIC_FORMAT ? JSON.stringify({ id: e.id, timestamp: e.timestamp, message: e.message }) : messageText(e));
    }
  }
  const name = cwlogsObjectName({
    partition: partitionOf(site.region),
    region: site.region,
    owner: first.owner,
    logGroup: first.logGroup,
    logStream: first.logStream,
    firstEventId: (first.logEvents[0] as LogEvent).id,
    digest: digest.digest('hex').slice(0, 12),
  });
  const pin: Pin = route === null || route.format === GENERIC_FORMAT ? GENERIC_PIN : { kind: 'pin', format: route.format };
  return { ref: { bucket: '', key: name }, pin, route, logGroup: first.logGroup, events, content: Buffer.from(`${lines.join('\n')}\n`, 'utf8') };
}
