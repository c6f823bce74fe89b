/**
 * Room `pipeline/messages/`: queue messages → objects to run. `notifications.ts` decodes an SQS
 * body (S3, SNS, EventBridge and Config notifications, the project's replays and continuations);
 * `ingest-message.ts` runs what a message names. Off the data path: the Lambda worker and
 * `loglake worker` use it, through `pipeline/index.ts`.
 *
 * One queue message end to end: decode the notification, process every object it names, hand
 * over what the deadline leaves unfinished, archive the raw object. This is the worker's one
 * pipeline entry point; the Lambda handler and `loglake worker` only wire clients and telemetry
 * around it, so both run exactly this code.
 */
import { MessageError } from '../run/errors.js';
import type { Manifest } from '../run/manifest.js';
import {
  CONTINUATION,
  REPLAY,
  decodeNotification,
  type ContinuationMessage,
  type NotifiedObject,
  type Notification,
  type WorkerMessage,
} from './notifications.js';
import type { PipelineOptions } from '../run/options.js';
import { processObject, type ObjectHook, type ObjectReport } from '../run/process-object.js';
import type { RawArchiver } from '../storage/raw-archive.js';
import { DEFAULT_REGISTRY, formatNames, isKnownFormat, parserById, type Pin, type Registry } from '../route/route.js';
import type { LakeSink, ObjectRef, ObjectSource } from '../storage/storage.js';

/** A decoded `ConfigurationItemChangeNotification`, item inline. */
export type ConfigItemNotification = Extract<Notification, { kind: 'config-item' }>;

/**
 * Normalizes an inline AWS Config item without reading S3. A hook rather than a call because the
 * handler (`formats/config-items.ts`) is a format extension, which no core room may import.
 */
export type ConfigItemHandler = (notification: ConfigItemNotification, deps: Omit<IngestMessageDeps, 'configItem'>) => Promise<ObjectReport>;

/** What one message needs; every field but `source`, `sink`, `options` and `configItem` is optional wiring. */
export interface IngestMessageDeps {
  readonly source: ObjectSource;
  readonly sink: LakeSink;
  readonly options: PipelineOptions;
  readonly registry?: Registry;
  /** User routing rules (see `route/rules.ts`); consulted before key patterns. */
  readonly rule?: (ref: ObjectRef) => Pin | null;
  /**
   * Sends a message back to the worker's own queue (continuations, hand-overs). Without it the
   * worker never yields: an object runs to completion or to the Lambda timeout.
   */
  readonly requeue?: (message: WorkerMessage) => Promise<void>;
  /** True when the invocation must hand over (its deadline is near). */
  readonly shouldYield?: () => boolean;
  /** Server-side copy of each completed object into `raw/…`. @default no archive */
  readonly archive?: RawArchiver;
  readonly configItem: ConfigItemHandler;
  /** Format extensions run around each object (`ProcessDeps.hooks`). @default none */
  readonly hooks?: readonly ObjectHook[];
  /** @default Date.now */
  readonly now?: () => number;
  readonly createdBy?: string;
}

/** What happened to one object of a message. */
export interface ObjectOutcome {
  readonly object: NotifiedObject;
  readonly report: ObjectReport;
  /**
   * Milliseconds from the object's last-modified time (else the notification's event time) to
   * the end of processing; null for replays and continuations, where it measures nothing useful.
   */
  readonly lagMs: number | null;
  /** `raw/…` key of the archive copy, when one was made. */
  readonly archivedTo: string | null;
  /** True when the archive was wanted but the object is too large for CopyObject. */
  readonly archiveSkipped: boolean;
  /** True when the run stopped at the deadline and a continuation message was sent. */
  readonly continued: boolean;
}

/** What happened to one message. */
export interface MessageOutcome {
  readonly notification: Notification;
  readonly objects: readonly ObjectOutcome[];
  /** Objects not started before the deadline, sent on in a replay message. */
  readonly handedOver: number;
}

/** Objects that failed permanently: their message must fail so it ends in the DLQ. */
export function failedObjects(outcome: MessageOutcome): ObjectOutcome[] {
  return outcome.objects.filter((o) => o.report.manifest.status === 'failed');
}

/**
 * The pin of a message that names its format: a replay pins a source or parser id (routing
 * still checks that source's ignorables and chooses among its parsers); a continuation names
 * the exact parser its first run chose (continuations written before parser ids existed name a
 * source, which is pinned the replay way).
 */
function messagePin(format: string, continuation: boolean, registry: Registry, messageId: string): (ref: ObjectRef) => Pin {
  if (!isKnownFormat(format, registry)) {
    throw new MessageError('invalid_message', `message ${messageId}: format ${JSON.stringify(format)} is not a known source or parser id; known: ${formatNames(registry).join(', ')}`);
  }
  const pin: Pin = { kind: 'pin', format, exact: continuation && parserById(format, registry) !== undefined };
  return () => pin;
}

function continuationOf(m: Manifest): ContinuationMessage {
  return {
    loglake: CONTINUATION,
    v: 1,
    bucket: m.bucket,
    key: m.key,
    ...(m.version_id !== null ? { versionId: m.version_id } : {}),
    ...(m.etag !== null ? { etag: m.etag } : {}),
    format: m.parser_id ?? (m.source as string),
    resume: m.resume as NonNullable<Manifest['resume']>,
  };
}

function lagOf(o: NotifiedObject, n: Notification, m: Manifest, now: number): number | null {
  if (n.shape === 'replay' || n.shape === 'continuation') return null;
  const modified = m.object_last_modified ? Date.parse(m.object_last_modified) : Number.NaN;
  const start = Number.isFinite(modified) ? modified : o.eventTimeMs;
  return start === undefined ? null : Math.max(0, now - start);
}

/**
 * Processes one SQS message body. Returns what happened to each object (failed objects
 * included: the caller fails the message for them). Throws `MessageError` for an undecodable
 * message and `TransientError` (or an unexpected error) when the message must be retried.
 */
export async function ingestMessage(body: string, messageId: string, deps: IngestMessageDeps): Promise<MessageOutcome> {
  const now = deps.now ?? Date.now;
  const registry = deps.registry ?? DEFAULT_REGISTRY;
  const notification = decodeNotification(body, messageId);
  if (notification.kind === 'ignore') return { notification, objects: [], handedOver: 0 };
  if (notification.kind === 'config-item') {
    const report = await deps.configItem(notification, deps);
    const object = { bucket: report.manifest.bucket, key: report.manifest.key };
    return { notification, objects: [{ object, report, lagMs: null, archivedTo: null, archiveSkipped: false, continued: false }], handedOver: 0 };
  }

  const { objects } = notification;
  const requeue = deps.requeue;
  const shouldYield = requeue !== undefined ? deps.shouldYield : undefined;
  const outcomes: ObjectOutcome[] = [];
  const handOver = async (from: number): Promise<MessageOutcome> => {
    const rest = objects.slice(from);
    if (rest.length > 0 && requeue !== undefined) {
      await requeue({
        loglake: REPLAY,
        v: 1,
        objects: rest.map((o) => ({
          bucket: o.bucket,
          key: o.key,
          ...(o.versionId !== undefined ? { versionId: o.versionId } : {}),
          ...(o.format !== undefined ? { format: o.format } : {}),
        })),
      });
    }
    return { notification, objects: outcomes, handedOver: rest.length };
  };

  for (let i = 0; i < objects.length; i++) {
    const object = objects[i] as NotifiedObject;
    // Only after the first object: each invocation then makes progress, so a hand-over can never loop.
    if (i > 0 && shouldYield?.() === true) return handOver(i);
    const ref: ObjectRef = {
      bucket: object.bucket,
      key: object.key,
      ...(object.versionId !== undefined ? { versionId: object.versionId } : {}),
      ...(object.etag !== undefined ? { etag: object.etag } : {}),
    };
    const report = await processObject(ref, {
      source: deps.source,
      sink: deps.sink,
      options: deps.options,
      registry,
      ...(object.format !== undefined
        ? { rule: messagePin(object.format, object.resume !== undefined, registry, messageId) }
        : deps.rule !== undefined
          ? { rule: deps.rule }
          : {}),
      ...(deps.now !== undefined ? { now: deps.now } : {}),
      ...(deps.createdBy !== undefined ? { createdBy: deps.createdBy } : {}),
      ...(object.resume !== undefined ? { resume: object.resume } : {}),
      ...(shouldYield !== undefined ? { shouldYield } : {}),
      ...(deps.hooks !== undefined ? { hooks: deps.hooks } : {}),
    });
    const m = report.manifest;
    if (m.status === 'partial' && requeue !== undefined) {
      await requeue(continuationOf(m));
      outcomes.push({ object, report, lagMs: null, archivedTo: null, archiveSkipped: false, continued: true });
      return handOver(i + 1);
    }
    let archivedTo: string | null = null;
    let archiveSkipped = false;
    if (deps.archive !== undefined && m.status === 'ok') {
      archivedTo = await deps.archive.archive({ ...ref, ...(m.version_id !== null ? { versionId: m.version_id } : {}) }, m, m.bytes_in);
      archiveSkipped = archivedTo === null;
    }
    outcomes.push({ object, report, lagMs: lagOf(object, notification, m, now()), archivedTo, archiveSkipped, continued: false });
  }
  return { notification, objects: outcomes, handedOver: 0 };
}
