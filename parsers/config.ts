/**
 * AWS Config configuration snapshots and configuration history files
 * (`{"fileVersion":…,"configurationItems":[…]}`, gzipped), the oversized change notifications
 * Config writes to S3 (one `ConfigurationItemChangeNotification` message), and Config's SNS
 * notifications saved as files: plain, or in SNS envelopes one per line as archivers write them.
 *
 * Format: https://docs.aws.amazon.com/config/latest/developerguide/config-item-table.html
 * One record per configuration item (CI). Snapshots of large accounts run to hundreds of MB: the
 * JSON framer cuts `configurationItems[]` into one frame per item, so no file is parsed whole.
 * Supports CI versions 1.0–1.3 with the variants AWS's own examples use: `accountId` /
 * `awsAccountId`, `arn` / `ARN`, `version` for `configurationItemVersion`,
 * `configurationStateID`, `configurationItemState`, the API's epoch-seconds capture time.
 */
import type { EventFields, Outcome } from '../schema/index.js';
import { type Json, type JsonObject, isObject, str, toFieldText } from './shared/json.js';
import { regionOfZone } from './shared/region.js';
import { parseIsoUtc } from './shared/time.js';
import type { Ignorable, JsonParser, ParseContext, ParseResult } from './types.js';


/** CI keys that feed typed columns; every other key goes to `fields`. */
const MAPPED = new Set([
  'configurationItemCaptureTime',
  'awsAccountId',
  'accountId',
  'awsRegion',
  'configurationItemStatus',
  'ARN',
  'arn',
  'resourceType',
  'tags',
]);

/** Statuses of a CI whose recording failed (old documentation); every other status is a recorded state. */
const FAILED_STATUSES = new Set(['Failed']);

/** The capture time in epoch ms: ISO text in delivered files, epoch seconds in API output. */
function captureTime(v: Json | undefined): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v < 1e11 ? Math.round(v * 1000) : Math.round(v);
  if (typeof v === 'string' && v !== '') return parseIsoUtc(v);
  return null;
}

/** Tags as a string map: CIs carry an object; API-style lists of `{key, value}` are accepted too. */
function tagsOf(v: Json | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  if (isObject(v)) {
    for (const k in v) {
      const t = v[k];
      if (t !== undefined && t !== null) tags[k] = toFieldText(t);
    }
  } else if (Array.isArray(v)) {
    for (const e of v) {
      if (!isObject(e)) continue;
      const k = str(e.key) ?? str(e.Key) ?? str(e.tagName);
      const t = e.value ?? e.Value ?? e.tagValue;
      if (k !== null && t !== undefined && t !== null) tags[k] = toFieldText(t);
    }
  }
  return tags;
}

/** What a change notification adds to the item it carries. */
export interface ChangeContext {
  /** The `configurationItemDiff` object. */
  readonly diff: JsonObject | null;
  /** Notification keys kept beside the item: `messageType`, `notificationCreationTime`, `recordVersion`. */
  readonly message: JsonObject;
}

const MESSAGE_KEYS = ['messageType', 'notificationCreationTime', 'recordVersion', 'MessageVersion', 'NotificationCreateTime'] as const;

/**
 * Maps one configuration item to the common schema; `change` is set when the item came inside a
 * change notification, whose change type becomes the action.
 */
export function normalizeConfigurationItem(ci: JsonObject, change: ChangeContext | null = null): ParseResult {
  const raw = ci.configurationItemCaptureTime;
  let time = captureTime(raw);
  if (time === null && change !== null) time = captureTime(change.message.notificationCreationTime ?? change.message.NotificationCreateTime);
  if (time === null) return { ok: false, reason: 'no_event_time', detail: 'configurationItemCaptureTime is missing' };
  if (Number.isNaN(time)) return { ok: false, reason: 'bad_timestamp', detail: `configurationItemCaptureTime ${JSON.stringify(String(raw).slice(0, 40))} is not ISO-8601 UTC` };

  const status = str(ci.configurationItemStatus) ?? str(ci.configurationItemState);
  const changeType = change?.diff ? str(change.diff.changeType) : null;
  const zone = str(ci.availabilityZone) ?? str(ci.availibilityZone);
  const zoneRegion = zone !== null ? regionOfZone(zone) : null;
  let outcome: Outcome = 'unknown';
  if (status !== null) outcome = FAILED_STATUSES.has(status) ? 'failure' : 'success';

  const fields: Record<string, string> = {};
  for (const key in ci) {
    const v = ci[key];
    if (v === undefined || v === null || MAPPED.has(key)) continue;
    fields[key] = toFieldText(v);
  }
  if (change !== null) {
    if (change.diff !== null) fields.configurationItemDiff = JSON.stringify(change.diff);
    for (const key of MESSAGE_KEYS) {
      const v = change.message[key];
      if (v !== undefined && v !== null) fields[key] = toFieldText(v);
    }
  }

  const record: EventFields = {
    time,
    category: 'config_state',
    account_id: str(ci.awsAccountId) ?? str(ci.accountId),
    region: str(ci.awsRegion) ?? zoneRegion,
    action: changeType ?? status,
    resource: str(ci.ARN) ?? str(ci.arn) ?? str(ci.resourceId),
    resource_type: str(ci.resourceType),
    status,
    outcome,
    tags: tagsOf(ci.tags),
    fields,
  };
  return { ok: true, record };
}

/**
 * The configuration items of a change notification message (`configurationItem` is an object;
 * AWS's documentation also shows a one-element array) with what the message adds to them.
 */
export function itemsOfChangeNotification(message: JsonObject): { items: JsonObject[]; change: ChangeContext } | null {
  const ci = message.configurationItem;
  const items = isObject(ci) ? [ci] : Array.isArray(ci) ? ci.filter(isObject) : null;
  if (items === null) return null;
  return { items, change: { diff: isObject(message.configurationItemDiff) ? message.configurationItemDiff : null, message } };
}

/** The notification type whose message carries a configuration item inline. */
export const CHANGE_NOTIFICATION = 'ConfigurationItemChangeNotification';

/** Config message types that carry neither items nor objects: known, acknowledged, dropped. */
export const IGNORED_CONFIG_MESSAGE_TYPES: ReadonlySet<string> = new Set([
  'ConfigurationSnapshotDeliveryStarted',
  'ConfigurationSnapshotDeliveryFailed',
  'ConfigurationHistoryDeliveryFailed',
  'OversizedConfigurationItemChangeDeliveryFailed',
  'ComplianceChangeNotification',
  'ConfigRulesEvaluationStarted',
  'ScheduledNotification',
]);

/** Config message types that point at S3 objects (an oversized item, a snapshot, a history file) instead of carrying items. */
export const OBJECT_CONFIG_MESSAGE_TYPES: ReadonlySet<string> = new Set([
  'OversizedConfigurationItemChangeNotification',
  'ConfigurationSnapshotDeliveryCompleted',
  'ConfigurationHistoryDeliveryCompleted',
]);

/** Every `messageType` AWS Config sends. */
export const CONFIG_MESSAGE_TYPES: ReadonlySet<string> = new Set([CHANGE_NOTIFICATION, ...OBJECT_CONFIG_MESSAGE_TYPES, ...IGNORED_CONFIG_MESSAGE_TYPES]);

/**
 * The normalized items of a change notification message, one result per item, or null when it
 * carries no item object. The one place a notification becomes records: the worker
 * (`configNotificationWork`) and files of notifications (`parser.parse`) both come here.
 */
export function changeNotificationResults(message: JsonObject): ParseResult[] | null {
  const carried = itemsOfChangeNotification(message);
  if (carried === null) return null;
  return carried.items.map((ci) => normalizeConfigurationItem(ci, carried.change));
}

/**
 * One frame's answer for a Config document already out of its SNS envelope: a configuration
 * item is one record; a change notification is its one item; a notification that carries no
 * item (oversized change, snapshot or history delivery, compliance change…) is a `control`
 * skip, since the objects it points at are delivered and ingested on their own.
 */
export function parseConfigMessage(message: JsonObject): ParseResult {
  const type = message.messageType;
  if (type === undefined && message.configurationItem === undefined) return normalizeConfigurationItem(message);
  if (type !== undefined && type !== CHANGE_NOTIFICATION) {
    if (typeof type === 'string' && CONFIG_MESSAGE_TYPES.has(type)) return { ok: 'skip', reason: 'control' };
    return { ok: false, reason: 'unknown_format', detail: `not a configuration item nor a Config notification: messageType ${JSON.stringify(type).slice(0, 80)}` };
  }
  const results = changeNotificationResults(message);
  if (results === null || results.length !== 1) {
    // One frame is one record: a message with several items is kept whole in errors/ rather than split.
    return { ok: false, reason: 'unknown_format', detail: `a change notification must carry one configurationItem object, found ${results === null ? 'none' : results.length}` };
  }
  return results[0] as ParseResult;
}

/** The notification message of an SNS envelope (`Message` as a JSON string or, in AWS docs, an object). */
export function unwrapSnsEnvelope(value: JsonObject): JsonObject | string {
  if (value.Type !== 'Notification' || value.Message === undefined) return value;
  const m = value.Message;
  if (isObject(m)) return m;
  if (typeof m !== 'string') return 'the SNS Message is neither a JSON string nor an object';
  try {
    const parsed: unknown = JSON.parse(m);
    return isObject(parsed) ? parsed : 'the SNS Message is not a JSON object';
  } catch {
    return 'the SNS Message is not valid JSON';
  }
}

/** A top-level key of the first JSON object of a head, with where its value starts and, for a string, its text. */
interface HeadEntry {
  readonly key: string;
  /** Index in the head where the value starts. */
  readonly start: number;
  /** The decoded string value (as far as the head goes), or null for any other value. */
  readonly text: string | null;
  /** False when the head ends inside the value. */
  readonly complete: boolean;
}

function skipSpace(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Decodes the JSON string whose quote is at `i`; `end` is past its closing quote, or -1 when the head ends first. */
function readJsonString(s: string, i: number): { text: string; end: number } {
  let out = '';
  let run = i + 1;
  let j = run;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c === 0x22) return { text: out + s.slice(run, j), end: j + 1 };
    if (c !== 0x5c) {
      j++;
      continue;
    }
    out += s.slice(run, j);
    const e = s[j + 1];
    if (e === undefined) return { text: out, end: -1 };
    if (e === 'u') {
      const hex = s.slice(j + 2, j + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) return { text: out, end: -1 };
      out += String.fromCharCode(parseInt(hex, 16));
      j += 6;
    } else {
      out += ESCAPES[e] ?? e;
      j += 2;
    }
    run = j;
  }
  return { text: out + s.slice(run), end: -1 };
}

/** The end of the non-string JSON value at `i` (object, array, literal), or -1 when the head ends first. */
function skipJsonValue(s: string, i: number): number {
  const open = s.charCodeAt(i);
  if (open !== 0x7b && open !== 0x5b) {
    const m = /[\s,}\]]/.exec(s.slice(i, i + 64));
    return m === null ? -1 : i + m.index;
  }
  let depth = 0;
  let j = i;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c === 0x22) {
      const str = readJsonString(s, j);
      if (str.end < 0) return -1;
      j = str.end;
      continue;
    }
    if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return j + 1;
    }
    j++;
  }
  return -1;
}

/**
 * The top-level keys of the first JSON object in a head (the first element of a top-level
 * array), in order, as far as the head goes. Cheap enough for sniffing: it stops at the first
 * thing that is not JSON and never looks past the first object.
 */
function headEntries(head: string): HeadEntry[] {
  const out: HeadEntry[] = [];
  let i = skipSpace(head, 0);
  if (head[i] === '[') i = skipSpace(head, i + 1);
  if (head[i] !== '{') return out;
  i++;
  for (;;) {
    i = skipSpace(head, i);
    if (head[i] !== '"') return out;
    const key = readJsonString(head, i);
    if (key.end < 0) return out;
    i = skipSpace(head, key.end);
    if (head[i] !== ':') return out;
    const start = skipSpace(head, i + 1);
    if (start >= head.length) return out;
    let end: number;
    if (head[start] === '"') {
      const value = readJsonString(head, start);
      out.push({ key: key.text, start, text: value.text, complete: value.end >= 0 });
      end = value.end;
    } else {
      end = skipJsonValue(head, start);
      out.push({ key: key.text, start, text: null, complete: end >= 0 });
    }
    if (end < 0) return out;
    i = skipSpace(head, end);
    if (head[i] !== ',') return out;
    i++;
  }
}

/**
 * The keys Config's notification messages start with. AWS orders a change notification
 * `configurationItemDiff`, `configurationItem`, `notificationCreationTime`, `messageType`,
 * `recordVersion`: a large diff pushes everything after it out of the head.
 */
const NOTIFICATION_FIRST_KEYS: ReadonlySet<string> = new Set(['configurationItemDiff', 'configurationItemSummary']);

/** A Config notification message, from the top-level keys of its head. */
function isConfigMessage(entries: readonly HeadEntry[]): boolean {
  const first = entries[0];
  if (first === undefined) return false;
  if (NOTIFICATION_FIRST_KEYS.has(first.key) && first.text === null) return true;
  return entries.some((e) => e.key === 'messageType' && e.complete && e.text !== null && CONFIG_MESSAGE_TYPES.has(e.text));
}

/**
 * True when a head starts with a Config notification: a plain message (its first key, or a
 * top-level Config `messageType`), or an SNS envelope whose `Message` (a JSON string, decoded,
 * or an object) starts like one or whose `Subject` is Config's (`[AWS Config:<region>] …`).
 * Only top-level keys count, so a Config key quoted deep inside another document (an
 * EventBridge event, a CloudTrail request) does not; nor does the name of a topic.
 */
export function isConfigNotificationHead(head: string): boolean {
  const entries = headEntries(head);
  if (isConfigMessage(entries)) return true;
  const type = entries.find((e) => e.key === 'Type');
  if (type !== undefined && type.complete && type.text !== 'Notification') return false;
  const subject = entries.find((e) => e.key === 'Subject');
  if (type !== undefined && subject?.text?.startsWith('[AWS Config:') === true) return true;
  const message = entries.find((e) => e.key === 'Message');
  if (message === undefined) return false;
  return isConfigMessage(headEntries(message.text ?? head.slice(message.start)));
}

/** Config snapshot and history files, oversized change notifications stored in S3, and Config notifications saved as files. */
export const parser: JsonParser = {
  id: 'config',
  source: 'config',
  version: 2,
  framing: 'json-records',
  description: 'AWS Config configuration snapshots, configuration history, oversized change notifications and saved Config notifications (plain or SNS envelopes)',
  docsUrl: 'https://docs.aws.amazon.com/config/latest/developerguide/config-item-table.html',
  keyPatterns: [
    /(?:^|\/)AWSLogs\/(?:o-[a-z0-9]+\/)?\d{12}\/Config\/[a-z0-9-]+\/\d{4}\/\d{1,2}\/\d{1,2}\/(?:ConfigSnapshot|ConfigHistory|OversizedChangeNotification)\/.+\.json(?:\.gz)?$/,
  ],
  keyExample: 'AWSLogs/<account>/Config/<region>/YYYY/M/D/ConfigSnapshot|ConfigHistory|OversizedChangeNotification/…json.gz',
  containerKeys: ['configurationItems'],
  sniff(head: string): boolean {
    if (!/^\s*[{[]/.test(head)) return false;
    return /"configurationItems"\s*:|"configurationItemCaptureTime"\s*:|"configurationItem"\s*:\s*[{[]/.test(head) || isConfigNotificationHead(head);
  },
  parse(value: unknown, _ctx: ParseContext): ParseResult {
    if (!isObject(value)) {
      return { ok: false, reason: 'not_an_object', detail: `expected a configuration item object, got ${Array.isArray(value) ? 'an array' : typeof value}` };
    }
    const message = unwrapSnsEnvelope(value);
    if (typeof message === 'string') return { ok: false, reason: 'invalid_json', detail: message };
    return parseConfigMessage(message);
  },
};

/** The empty file Config writes to check that it may write to the bucket. */
export const writabilityCheck: Ignorable = {
  name: 'config-writability-check',
  source: 'config',
  description: 'AWS Config bucket write check (ConfigWritabilityCheckFile); no events',
  keyPatterns: [/(?:^|\/)AWSLogs\/(?:o-[a-z0-9]+\/)?\d{12}\/Config\/ConfigWritabilityCheckFile$/],
  keyExample: 'AWSLogs/<account>/Config/ConfigWritabilityCheckFile',
  sniff(): boolean {
    return false;
  },
};
