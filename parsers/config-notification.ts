/**
 * AWS Config's SNS notifications, turned into work: records to write (an item change carries
 * its configuration item inline, so no S3 read is needed), objects to read (snapshot and history
 * deliveries, oversized changes), or nothing (delivery started, compliance changes…).
 *
 * Format: https://docs.aws.amazon.com/config/latest/developerguide/notifications-for-AWS-Config.html
 * Pure: the worker parses the SQS body and passes the message object here; the SNS envelope
 * (`Type: Notification`, `Message` as a JSON string or, in AWS's docs, an object) is unwrapped.
 * Items become records through `changeNotificationResults` (config.ts), which the Config parser
 * also uses for notifications saved as files, so both paths write the same rows.
 */
import type { EventFields } from '../schema/index.js';
import {
  CHANGE_NOTIFICATION,
  IGNORED_CONFIG_MESSAGE_TYPES,
  changeNotificationResults,
  unwrapSnsEnvelope,
} from './config.js';
import { type JsonObject, isObject, str } from './shared/json.js';

export { IGNORED_CONFIG_MESSAGE_TYPES };

/** An S3 object to read; keys in Config messages are plain, not URL-encoded. */
export interface ConfigObjectRef {
  readonly bucket: string;
  readonly key: string;
}

/** One normalized configuration item of a change notification. */
export interface ConfigNotificationRecord {
  readonly record: EventFields;
}

/** What one Config notification asks the worker to do. */
export type ConfigNotificationWork =
  | { readonly kind: 'records'; readonly records: readonly ConfigNotificationRecord[] }
  | { readonly kind: 'objects'; readonly refs: readonly ConfigObjectRef[] }
  | { readonly kind: 'ignore'; readonly reason: string }
  | { readonly kind: 'unknown'; readonly reason: string };


function changeRecords(message: JsonObject): ConfigNotificationWork {
  const results = changeNotificationResults(message);
  if (results === null || results.length === 0) {
    return { kind: 'unknown', reason: 'ConfigurationItemChangeNotification without a configurationItem object' };
  }
  const records: ConfigNotificationRecord[] = [];
  for (const result of results) {
    if (result.ok !== true) {
      const detail = result.ok === false ? `${result.reason}: ${result.detail ?? ''}` : result.reason;
      return { kind: 'unknown', reason: `ConfigurationItemChangeNotification item is not usable (${detail})` };
    }
    records.push({ record: result.record });
  }
  return { kind: 'records', records };
}

function oversizedRef(message: JsonObject): ConfigNotificationWork {
  const summary = isObject(message.s3DeliverySummary) ? message.s3DeliverySummary : null;
  const location = summary ? str(summary.s3BucketLocation) : null;
  const slash = location !== null ? location.indexOf('/') : -1;
  if (location === null || slash <= 0 || slash === location.length - 1) {
    const error = summary ? str(summary.errorCode) : null;
    return { kind: 'unknown', reason: `OversizedConfigurationItemChangeNotification without an S3 location "bucket/key"${error ? ` (errorCode ${error})` : ''}` };
  }
  return { kind: 'objects', refs: [{ bucket: location.slice(0, slash), key: location.slice(slash + 1) }] };
}

function deliveryRef(message: JsonObject, type: string): ConfigNotificationWork {
  const bucket = str(message.s3Bucket);
  const key = str(message.s3ObjectKey);
  if (bucket === null || key === null) return { kind: 'unknown', reason: `${type} without s3Bucket and s3ObjectKey` };
  return { kind: 'objects', refs: [{ bucket, key }] };
}

/**
 * Decides what a Config notification means for the lake. `message` is the parsed SNS message
 * (or the whole SNS envelope). Unknown shapes come back as `unknown` with a reason, never throw.
 */
export function configNotificationWork(message: unknown): ConfigNotificationWork {
  if (!isObject(message)) return { kind: 'unknown', reason: 'a Config notification must be a JSON object' };
  const inner = unwrapSnsEnvelope(message);
  if (typeof inner === 'string') return { kind: 'unknown', reason: inner };
  const type = str(inner.messageType);
  if (type === null) return { kind: 'unknown', reason: 'not a Config notification: no messageType' };
  switch (type) {
    case CHANGE_NOTIFICATION:
      return changeRecords(inner);
    case 'OversizedConfigurationItemChangeNotification':
      return oversizedRef(inner);
    case 'ConfigurationSnapshotDeliveryCompleted':
    case 'ConfigurationHistoryDeliveryCompleted':
      return deliveryRef(inner, type);
    default:
      return IGNORED_CONFIG_MESSAGE_TYPES.has(type) ? { kind: 'ignore', reason: type } : { kind: 'unknown', reason: `unknown Config messageType ${JSON.stringify(type.slice(0, 80))}` };
  }
}
