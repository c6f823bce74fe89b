/**
 * AWS Config configuration snapshots and configuration history files
 * (`{"fileVersion":…,"configurationItems":[…]}`, gzipped), plus the oversized change
 * notifications Config writes to S3 (one `ConfigurationItemChangeNotification` message).
 *
 * Format: https://docs.aws.amazon.com/config/latest/developerguide/config-item-table.html
 * One record per configuration item (CI). Snapshots of large accounts run to hundreds of MB: the
 * JSON framer cuts `configurationItems[]` into one frame per item, so no file is parsed whole.
 * Supports CI versions 1.0–1.3 with the variants AWS's own examples use: `accountId` /
 * `awsAccountId`, `arn` / `ARN`, `version` for `configurationItemVersion`,
 * `configurationStateID`, `configurationItemState`, the API's epoch-seconds capture time.
 */
import type { EventFields, Outcome } from '../schema/index.js';
import { parseIsoUtc } from './time.js';
import type { Ignorable, JsonParser, ParseContext, ParseResult } from './types.js';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
/** A parsed JSON object. */
export type JsonObject = { [key: string]: Json };

/** True for a JSON object (not an array, not null). */
export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: Json | undefined): string | null => (typeof v === 'string' && v !== '' ? v : null);

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

const AZ = /^([a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d)[a-z]$/;

function toFieldText(v: Json): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

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
  const zoneMatch = zone !== null ? AZ.exec(zone) : null;
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
    region: str(ci.awsRegion) ?? (zoneMatch ? (zoneMatch[1] as string) : null),
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

/** Config snapshot and history files, and oversized change notifications stored in S3. */
export const parser: JsonParser = {
  id: 'config',
  source: 'config',
  version: 1,
  framing: 'json-records',
  description: 'AWS Config configuration snapshots, configuration history and oversized change notifications',
  docsUrl: 'https://docs.aws.amazon.com/config/latest/developerguide/config-item-table.html',
  keyPatterns: [
    /(?:^|\/)AWSLogs\/(?:o-[a-z0-9]+\/)?\d{12}\/Config\/[a-z0-9-]+\/\d{4}\/\d{1,2}\/\d{1,2}\/(?:ConfigSnapshot|ConfigHistory|OversizedChangeNotification)\/.+\.json(?:\.gz)?$/,
  ],
  keyExample: 'AWSLogs/<account>/Config/<region>/YYYY/M/D/ConfigSnapshot|ConfigHistory|OversizedChangeNotification/…json.gz',
  containerKeys: ['configurationItems'],
  sniff(head: string): boolean {
    if (!/^\s*[{[]/.test(head)) return false;
    return /"configurationItems"\s*:|"configurationItemCaptureTime"\s*:|"configurationItem"\s*:\s*[{[]/.test(head);
  },
  parse(value: unknown, _ctx: ParseContext): ParseResult {
    if (!isObject(value)) {
      return { ok: false, reason: 'not_an_object', detail: `expected a configuration item object, got ${Array.isArray(value) ? 'an array' : typeof value}` };
    }
    const message = unwrapSnsEnvelope(value);
    if (typeof message === 'string') return { ok: false, reason: 'invalid_json', detail: message };
    if (message.configurationItem === undefined) return normalizeConfigurationItem(message);
    const carried = itemsOfChangeNotification(message);
    if (carried === null || carried.items.length !== 1) {
      // One frame is one record: a message with several items is kept whole in errors/ rather than split.
      return { ok: false, reason: 'unknown_format', detail: `a change notification must carry one configurationItem object, found ${carried === null ? 'none' : carried.items.length}` };
    }
    return normalizeConfigurationItem(carried.items[0] as JsonObject, carried.change);
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
