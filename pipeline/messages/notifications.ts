/**
 * Decodes one SQS message body into the objects it announces (DESIGN: notifications the worker
 * understands). Pure: text in, a `Notification` out, or a `MessageError` with the message id.
 *
 * Shapes:
 * 1. S3 event notifications (`Records[].s3`), keys URL-encoded with `+` for space; several records
 *    per message; S3 test events and non-`ObjectCreated` events acknowledged and ignored.
 * 2. Any of these inside an SNS envelope (`Type: Notification`, `Message` a JSON string, or an
 *    object as AWS's documentation prints it), or raw-delivered.
 * 3. CloudTrail's SNS notification (`s3Bucket`, `s3ObjectKey[]`).
 * 4. AWS Config notifications (classified by `parsers/config-notification.ts`): snapshot/history
 *    delivery completed and oversized change (object references), configuration item change (the
 *    item inline), informational types ignored.
 * 5. EventBridge `Object Created` events (`detail.bucket.name`, `detail.object.key`, not encoded).
 * 6. The project's own replay and continuation messages (`{"loglake": "replay" | "continuation"}`).
 */
import { CONFIG_MESSAGE_TYPES, configNotificationWork } from '../../parsers/index.js';
import { MessageError, preview } from '../run/errors.js';
import type { ResumePoint } from '../run/manifest.js';
import type { ObjectRef } from '../storage/storage.js';

/** An object a message announces, with what the message knows about it. */
export interface NotifiedObject extends ObjectRef {
  /** A format pinned by the message (replay, continuation); otherwise routing decides. */
  readonly format?: string;
  /** When the service says the object was written, epoch ms (S3, EventBridge, Config). */
  readonly eventTimeMs?: number;
  /** ETag the run being continued read; a different ETag means the object changed meanwhile. */
  readonly etag?: string;
  /** Present on continuation messages only. */
  readonly resume?: ResumePoint;
}

/** Which of the known shapes a message had; a low-cardinality log field and metric dimension. */
export type NotificationShape =
  | 's3-event'
  | 's3-test-event'
  | 'cloudtrail'
  | 'config'
  | 'eventbridge'
  | 'sns-subscription'
  | 'replay'
  | 'continuation';

export type Notification =
  | {
      readonly kind: 'objects';
      readonly shape: NotificationShape;
      /** True when the message came inside an SNS envelope. */
      readonly sns: boolean;
      readonly objects: readonly NotifiedObject[];
      /** Records of the message that announce something other than a new object (deletes, restores). */
      readonly skippedRecords: number;
    }
  | { readonly kind: 'ignore'; readonly shape: NotificationShape; readonly sns: boolean; readonly reason: string }
  | {
      readonly kind: 'config-item';
      readonly shape: 'config';
      readonly sns: boolean;
      /** The decoded `ConfigurationItemChangeNotification` message, item inline. */
      readonly message: Readonly<Record<string, unknown>>;
      /** A stable id of the notification (the SNS message id, else the SQS one), for idempotent output names. */
      readonly notificationId: string;
    };

/** `loglake` marker value of a replay message. */
export const REPLAY = 'replay';
/** `loglake` marker value of a continuation message. */
export const CONTINUATION = 'continuation';

/** Re-ingest of existing objects, sent by a replay command or by a worker handing over at its deadline. */
export interface ReplayMessage {
  readonly loglake: typeof REPLAY;
  readonly v: 1;
  readonly objects: ReadonlyArray<{ readonly bucket: string; readonly key: string; readonly versionId?: string; readonly format?: string }>;
  /** The replay run that sent it (`replays/<run-id>.json`); informational, the worker does not act on it. */
  readonly run?: string;
}

/** The rest of an object a worker could not finish before its deadline. */
export interface ContinuationMessage {
  readonly loglake: typeof CONTINUATION;
  readonly v: 1;
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly etag?: string;
  /** The format the first run used, so the continuation parses the rest the same way. */
  readonly format: string;
  readonly resume: ResumePoint;
}

/** A message the worker sends to its own queue. */
export type WorkerMessage = ReplayMessage | ContinuationMessage;

/** The JSON body of a worker message. */
export function encodeWorkerMessage(m: WorkerMessage): string {
  return JSON.stringify(m);
}

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function timeMs(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}

/** Config message types this worker knows (the Config parser's list); any other `messageType` is an unknown shape. */
const CONFIG_TYPES = CONFIG_MESSAGE_TYPES;

class Decoder {
  constructor(private readonly messageId: string) {}

  fail(code: 'invalid_json' | 'unknown_shape' | 'invalid_message', what: string): never {
    throw new MessageError(code, `message ${this.messageId}: ${what}`);
  }

  /** An S3 event key: URL-encoded, `+` for space. */
  s3Key(raw: string, where: string): string {
    try {
      return decodeURIComponent(raw.replace(/\+/g, '%20'));
    } catch {
      return this.fail('invalid_message', `${where}: object key is not valid URL encoding: ${preview(raw)}`);
    }
  }

  s3Event(body: Json, sns: boolean): Notification {
    const records = body.Records as unknown[];
    const objects: NotifiedObject[] = [];
    let skipped = 0;
    records.forEach((r, i) => {
      const where = `Records[${i}]`;
      if (!isRecord(r) || !isRecord(r.s3)) return this.fail('unknown_shape', `${where} is not an S3 event record (no "s3" object); top-level keys: ${keysOf(body)}`);
      const eventName = str(r.eventName) ?? '';
      if (!eventName.startsWith('ObjectCreated:')) {
        skipped++;
        return;
      }
      const bucket = isRecord(r.s3.bucket) ? str(r.s3.bucket.name) : undefined;
      const obj = isRecord(r.s3.object) ? r.s3.object : undefined;
      const rawKey = obj ? str(obj.key) : undefined;
      if (bucket === undefined || rawKey === undefined) return this.fail('invalid_message', `${where}: s3.bucket.name and s3.object.key are required`);
      const versionId = str(obj?.versionId);
      const eventTimeMs = timeMs(r.eventTime);
      objects.push({
        bucket,
        key: this.s3Key(rawKey, where),
        ...(versionId !== undefined ? { versionId } : {}),
        ...(eventTimeMs !== undefined ? { eventTimeMs } : {}),
      });
    });
    if (objects.length === 0) return { kind: 'ignore', shape: 's3-event', sns, reason: 's3-event-without-new-objects' };
    return { kind: 'objects', shape: 's3-event', sns, objects, skippedRecords: skipped };
  }

  cloudTrail(body: Json, sns: boolean): Notification {
    const bucket = str(body.s3Bucket);
    const keys = body.s3ObjectKey;
    if (bucket === undefined || !Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'string' && k !== '')) {
      return this.fail('invalid_message', `CloudTrail notification needs s3Bucket and a non-empty s3ObjectKey array of strings, got s3ObjectKey ${preview(JSON.stringify(keys))}`);
    }
    return { kind: 'objects', shape: 'cloudtrail', sns, objects: (keys as string[]).map((key) => ({ bucket, key })), skippedRecords: 0 };
  }

  /**
   * AWS Config messages, classified by the Config parser's `configNotificationWork`: object
   * references become objects, an item change is handed on whole as `config-item` (normalized
   * without reading S3), informational types are acknowledged.
   */
  config(body: Json, sns: boolean, notificationId: string): Notification {
    const type = body.messageType as string;
    const work = configNotificationWork(body);
    switch (work.kind) {
      case 'objects': {
        const eventTimeMs = timeMs(body.notificationCreationTime);
        const at = eventTimeMs !== undefined ? { eventTimeMs } : {};
        return { kind: 'objects', shape: 'config', sns, objects: work.refs.map((r) => ({ bucket: r.bucket, key: r.key, ...at })), skippedRecords: 0 };
      }
      case 'records':
        return { kind: 'config-item', shape: 'config', sns, message: body, notificationId };
      case 'ignore':
        return { kind: 'ignore', shape: 'config', sns, reason: `config-${work.reason}` };
      case 'unknown':
        return this.fail(CONFIG_TYPES.has(type) ? 'invalid_message' : 'unknown_shape', `AWS Config ${preview(type)}: ${work.reason}`);
    }
  }

  eventBridge(body: Json, sns: boolean): Notification {
    const type = str(body['detail-type']) ?? '';
    if (type !== 'Object Created') return { kind: 'ignore', shape: 'eventbridge', sns, reason: `eventbridge-${type.toLowerCase().replace(/\s+/g, '-')}` };
    const detail = body.detail;
    const bucket = isRecord(detail) && isRecord(detail.bucket) ? str(detail.bucket.name) : undefined;
    const obj = isRecord(detail) && isRecord(detail.object) ? detail.object : undefined;
    const key = obj ? str(obj.key) : undefined;
    if (bucket === undefined || key === undefined) return this.fail('invalid_message', 'EventBridge Object Created needs detail.bucket.name and detail.object.key');
    const versionId = str(obj?.['version-id']);
    const eventTimeMs = timeMs(body.time);
    return {
      kind: 'objects',
      shape: 'eventbridge',
      sns,
      objects: [{ bucket, key, ...(versionId !== undefined ? { versionId } : {}), ...(eventTimeMs !== undefined ? { eventTimeMs } : {}) }],
      skippedRecords: 0,
    };
  }

  objectFields(o: unknown, where: string): { bucket: string; key: string; versionId?: string; format?: string } {
    if (!isRecord(o)) return this.fail('invalid_message', `${where} is not an object`);
    const bucket = str(o.bucket);
    const key = str(o.key);
    if (bucket === undefined || key === undefined) return this.fail('invalid_message', `${where} needs bucket and key strings`);
    const versionId = o.versionId === undefined ? undefined : str(o.versionId);
    const format = o.format === undefined ? undefined : str(o.format);
    if (o.versionId !== undefined && versionId === undefined) return this.fail('invalid_message', `${where}.versionId must be a non-empty string`);
    if (o.format !== undefined && format === undefined) return this.fail('invalid_message', `${where}.format must be a non-empty string`);
    return { bucket, key, ...(versionId !== undefined ? { versionId } : {}), ...(format !== undefined ? { format } : {}) };
  }

  own(body: Json): Notification {
    if (body.v !== 1) return this.fail('invalid_message', `loglake message version ${String(JSON.stringify(body.v)).slice(0, 40)} is not supported (expected 1)`);
    if (body.loglake === REPLAY) {
      const list = body.objects;
      if (!Array.isArray(list) || list.length === 0) return this.fail('invalid_message', 'replay message needs a non-empty objects array');
      return { kind: 'objects', shape: 'replay', sns: false, objects: list.map((o, i) => this.objectFields(o, `objects[${i}]`)), skippedRecords: 0 };
    }
    if (body.loglake === CONTINUATION) {
      const base = this.objectFields(body, 'continuation');
      const resume = body.resume;
      const ordinal = isRecord(resume) ? resume.ordinal : undefined;
      const part = isRecord(resume) ? resume.part : undefined;
      if (!Number.isSafeInteger(ordinal) || (ordinal as number) < 1 || !Number.isSafeInteger(part) || (part as number) < 1) {
        return this.fail('invalid_message', `continuation needs resume.ordinal >= 1 and resume.part >= 1, got ${preview(JSON.stringify(resume))}`);
      }
      if (base.format === undefined) return this.fail('invalid_message', 'continuation needs the format of the run it continues');
      const etag = str(body.etag);
      const firstDt = isRecord(resume) && typeof resume.first_dt === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(resume.first_dt) ? resume.first_dt : null;
      return {
        kind: 'objects',
        shape: 'continuation',
        sns: false,
        objects: [{ ...base, ...(etag !== undefined ? { etag } : {}), resume: { ordinal: ordinal as number, part: part as number, first_dt: firstDt } }],
        skippedRecords: 0,
      };
    }
    return this.fail('unknown_shape', `unknown loglake message type ${preview(JSON.stringify(body.loglake))}`);
  }

  /** Everything but the SNS envelope; `sns` says whether one was peeled off. */
  inner(body: Json, sns: boolean, notificationId: string): Notification {
    if (Array.isArray(body.Records)) return this.s3Event(body, sns);
    if (body.Event === 's3:TestEvent') return { kind: 'ignore', shape: 's3-test-event', sns, reason: 's3-test-event' };
    if (typeof body.messageType === 'string') return this.config(body, sns, notificationId);
    if (body.s3ObjectKey !== undefined && body.s3Bucket !== undefined) return this.cloudTrail(body, sns);
    if (body.source === 'aws.s3' && typeof body['detail-type'] === 'string') return this.eventBridge(body, sns);
    if (!sns && typeof body.loglake === 'string') return this.own(body);
    return this.fail('unknown_shape', `unknown notification shape${sns ? ' inside an SNS envelope' : ''}; top-level keys: ${keysOf(body)}`);
  }
}

function keysOf(o: Json): string {
  const keys = Object.keys(o);
  return preview(keys.slice(0, 12).join(', ') + (keys.length > 12 ? ', …' : ''), 160);
}

function parseJson(text: string, decoder: Decoder, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    return decoder.fail('invalid_json', `${what} is not JSON (${(e as Error).message}): ${preview(text)}`);
  }
}

/**
 * Decodes one SQS message body. `messageId` (the SQS message id) names the message in errors.
 * Throws `MessageError`: `invalid_json`, `unknown_shape`, or `invalid_message` for a known shape
 * with missing fields.
 */
export function decodeNotification(body: string, messageId: string): Notification {
  const decoder = new Decoder(messageId);
  const outer = parseJson(body, decoder, 'body');
  if (!isRecord(outer)) return decoder.fail('unknown_shape', `body is JSON but not an object: ${preview(body)}`);
  if (typeof outer.Type === 'string' && typeof outer.TopicArn === 'string') {
    if (outer.Type === 'SubscriptionConfirmation' || outer.Type === 'UnsubscribeConfirmation') {
      return { kind: 'ignore', shape: 'sns-subscription', sns: true, reason: `sns-${outer.Type}` };
    }
    if (outer.Type !== 'Notification') return decoder.fail('unknown_shape', `SNS envelope of Type ${preview(outer.Type)}`);
    const message = outer.Message;
    const inner = typeof message === 'string' ? parseJson(message, decoder, 'SNS Message') : message;
    if (!isRecord(inner)) return decoder.fail('unknown_shape', `SNS Message is not a JSON object: ${preview(String(message))}`);
    return decoder.inner(inner, true, str(outer.MessageId) ?? messageId);
  }
  return decoder.inner(outer, false, messageId);
}
