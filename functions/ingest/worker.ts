/**
 * The ingest handler, built from its dependencies: Powertools partial batch processing around
 * `ingestMessage`, a structured log line per object, metrics per invocation. `handler.ts` builds
 * it from the environment; `loglake worker` builds it against a local S3-compatible server, so
 * both run this same code.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { LOGLAKE_USER_AGENT, failedObjects, formatHooks, ingestMessage, processConfigChange, ruleRouter, type ConfigItemHandler, type IngestMessageDeps, type IntegritySettings, type MessageOutcome, type WorkerMessage } from '../../pipeline/index.js';
import { RawArchiver, S3LakeSink, S3Source, type SourceReaders } from '../../pipeline/aws.js';
import type { WorkerConfig } from './config.js';
import { INGEST_METRICS } from './env-names.js';
import { integritySettings } from './integrity.js';
import { errorClass, InvocationTelemetry } from './telemetry.js';

/** What the handler is built from. */
export interface IngestHandlerDeps {
  readonly config: WorkerConfig;
  readonly s3: S3Client;
  /** Reads of source objects by role and with their bucket's expected owner. @default the `s3` client, no owner check */
  readonly readers?: SourceReaders | null;
  /** Sends continuations and hand-overs; null when no queue is configured (the worker never yields). */
  readonly requeue: ((message: WorkerMessage) => Promise<void>) | null;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Normalizes inline AWS Config items. @default `processConfigChange` */
  readonly configItem?: ConfigItemHandler;
  /** CloudTrail digest checking. @default from `config.integrity`: CloudTrail, SNS and the lake's listing (`integrity.ts`) */
  readonly integrity?: IntegritySettings | null;
}

/** The Lambda handler signature: an SQS batch in, the partial batch response out. */
export type IngestHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** Thrown when a message's objects failed permanently, so the message ends in the DLQ; already counted. */
class ObjectsFailed extends Error {
  // Literal, since the bundle is minified: batch failure logs would otherwise say `Error`.
  override readonly name = 'ObjectsFailed';
}

/** At most `n` calls of `fn` at a time, the rest queued in order. */
function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

function logOutcome(log: Logger, outcome: MessageOutcome): void {
  const n = outcome.notification;
  if (n.kind === 'ignore') {
    log.info('message acknowledged without work', { shape: n.shape, sns: n.sns, reason: n.reason });
    return;
  }
  for (const o of outcome.objects) {
    const m = o.report.manifest;
    const fields = {
      shape: n.shape,
      object: m.object,
      source: m.source,
      status: m.status,
      reason: m.reason,
      routed_by: m.routed_by,
      lines_in: m.lines_in,
      records: m.records,
      rejected: m.rejected,
      skipped: m.skipped,
      schema_drift: m.schema_drift ?? 0,
      bytes_in: m.bytes_in,
      outputs: m.outputs.length,
      duration_ms: m.duration_ms,
      lag_ms: o.lagMs,
      ...(m.resume ? { resume: m.resume } : {}),
      ...(o.archivedTo !== null ? { archived_to: o.archivedTo } : {}),
    };
    if (m.status === 'failed') log.error('object failed', { ...fields, error: m.error });
    else if (m.status === 'damaged') log.warn('object damaged: kept what decoded before the damage', { ...fields, damage: m.damage });
    else log.info('object processed', fields);
    if (o.archiveSkipped) log.warn('object too large for the raw archive copy (over 5 GiB), not archived', { object: m.object });
  }
  if (outcome.handedOver > 0) log.info('deadline: objects handed over to the queue', { handed_over: outcome.handedOver });
}

/** Builds the SQS handler. Clients, rules and sinks are created once here, not per message. */
export function createIngestHandler(deps: IngestHandlerDeps): IngestHandler {
  const { config, logger } = deps;
  const integrity = deps.integrity !== undefined ? deps.integrity : config.integrity !== null ? integritySettings(config.integrity, deps.s3, config.lakeBucket) : null;
  const base: Omit<IngestMessageDeps, 'shouldYield'> = {
    source: new S3Source(deps.s3, deps.readers ?? null),
    sink: new S3LakeSink(deps.s3, { bucket: config.lakeBucket }),
    options: config.options,
    createdBy: LOGLAKE_USER_AGENT,
    ...(config.rules !== null ? { rule: ruleRouter(config.rules) } : {}),
    ...(deps.requeue !== null ? { requeue: deps.requeue } : {}),
    ...(config.archiveRaw ? { archive: new RawArchiver(deps.s3, config.lakeBucket, deps.readers ?? null) } : {}),
    configItem: deps.configItem ?? processConfigChange,
    // Firehose objects of CloudWatch Logs payloads are split by the configured log-group map
    // (their region is the map's `region`, else unknown: a Firehose object does not say it).
    // CloudTrail digests are checked into the integrity table when the configuration turns it on.
    hooks: formatHooks({ ...(config.logGroups !== null ? { cwlogs: { map: config.logGroups } } : {}), ...(integrity !== null ? { integrity } : {}) }),
  };
  const limit = limiter(config.maxConcurrentMessages);

  return async (event, context) => {
    logger.addContext(context);
    const telemetry = new InvocationTelemetry(deps.metrics);
    const messageDeps: IngestMessageDeps = { ...base, shouldYield: () => context.getRemainingTimeInMillis() < config.deadlineMarginMs };

    const handleRecord = async (record: SQSRecord): Promise<void> => {
      const log = logger.createChild({ persistentKeys: { messageId: record.messageId, receiveCount: record.attributes?.ApproximateReceiveCount } });
      try {
        const outcome = await limit(() => ingestMessage(record.body, record.messageId, messageDeps));
        telemetry.message(outcome);
        logOutcome(log, outcome);
        const failed = failedObjects(outcome);
        if (failed.length > 0) {
          const first = failed[0]?.report.manifest;
          throw new ObjectsFailed(`${failed.length} object(s) failed permanently, first ${first?.object}: [${first?.reason}] ${first?.error}`);
        }
      } catch (e) {
        if (!(e instanceof ObjectsFailed)) {
          telemetry.failure(e);
          const { metric, code } = errorClass(e);
          log.error('message failed', { class: metric, code, error: (e as Error).message, ...(metric === INGEST_METRICS.internalErrors ? { stack: (e as Error).stack } : {}) });
        }
        throw e;
      }
    };

    try {
      return await processPartialResponse(event, handleRecord, new BatchProcessor(EventType.SQS), { context, throwOnFullBatchFailure: false });
    } finally {
      telemetry.publish();
    }
  };
}
