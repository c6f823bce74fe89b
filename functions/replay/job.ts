/**
 * The replay handler, built from its dependencies: a request (a direct invocation payload, or
 * each body of an SQS batch from the function's control queue) starts, continues or polls replay
 * runs through the producer of `pipeline/`; a run the deadline stopped continues in a new
 * invocation through a `replay-continue` sent to the control queue, so no laptop has to stay
 * on. `handler.ts` builds it from the environment; the tests build it against a local S3 server.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import {
  decodeReplayRequest,
  encodeReplayRequest,
  newRunId,
  produce,
  readRecord,
  replayRecordKey,
  ReplayRunError,
  startReplay,
  toPipelineError,
  type LakeSink,
  type ProducerDeps,
  type ReplayParams,
  type ReplayRecord,
  type ReplayRequest,
  type ReplayStatus,
} from '../../pipeline/index.js';
import { S3LakeSink, S3ListPages, SqsReplayQueue, type SourceReaders } from '../../pipeline/aws.js';
import { isRecord } from '../../schema/checks.js';
import type { ReplayConfig } from './config.js';
import { REPLAY_METRICS } from './env-names.js';
import { dayOf, planPoll, readPollState, writePollState } from './poll.js';

/** What the handler is built from. */
export interface ReplayHandlerDeps {
  readonly config: ReplayConfig;
  /** Lists the replayed buckets and reads and writes the central bucket. */
  readonly s3: S3Client;
  /** Listings of sources by role and with their bucket's expected owner. @default the `s3` client, no owner check */
  readonly readers?: SourceReaders | null;
  /** Sends the replay messages and the function's own continuations. */
  readonly sqs: SQSClient;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** @default Date.now */
  readonly now?: () => number;
  /** Producer settings, for tests (smaller chunks, no backoff waits). */
  readonly producer?: Pick<ProducerDeps, 'chunkObjects' | 'sendPolicy' | 'sleep'>;
}

/** One run an invocation worked on (or, for a poll, found still working). */
export interface RunSummary {
  readonly run_id: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly status: ReplayStatus;
  /** Objects this invocation enqueued for the run. */
  readonly enqueued: number;
  /** Errors the run recorded in this invocation. */
  readonly errors: number;
  /** True when the run stopped at the deadline and a `replay-continue` went to the control queue. */
  readonly continued: boolean;
  /** Why nothing was done: the run had already ended, or the previous poll is still running. */
  readonly note: string | null;
}

/** The answer to a direct invocation. */
export type ReplayResponse =
  | { readonly ok: true; readonly request: ReplayRequest['loglake']; readonly runs: readonly RunSummary[] }
  | { readonly ok: false; readonly error: string };

/** The Lambda handler: a request object in, its response out; an SQS event in, the partial batch response out. */
export type ReplayHandler = (event: unknown, context: Context) => Promise<ReplayResponse | SQSBatchResponse>;

/** The body of the message that continues a run in the next invocation. */
export function continueBody(runId: string): string {
  return encodeReplayRequest({ loglake: 'replay-continue', v: 1, run_id: runId });
}

/** True for the event Lambda delivers from an SQS event source mapping. */
export function isSqsEvent(event: unknown): event is SQSEvent {
  return (
    isRecord(event) &&
    Array.isArray(event.Records) &&
    event.Records.length > 0 &&
    event.Records.every((r: unknown) => isRecord(r) && r.eventSource === 'aws:sqs' && typeof r.body === 'string')
  );
}

/** Thrown for a request that does not decode: dropped (direct invocation) or failed (SQS). */
class InvalidRequest extends Error {
  // Literal, since the bundle is minified.
  override readonly name = 'InvalidRequest';
}

/** The parameters of a poll run of one prefix: skip-unchanged over day windows. */
function pollParams(bucket: string, prefix: string, from: string, to: string): ReplayParams {
  return { bucket, prefix, from, to, source: null, account: null, region: null, force: false, parserOlderThan: null, rate: null, window: 'day' };
}

/** Counts of one invocation, published as metrics at its end. */
interface Totals {
  enqueued: number;
  errors: number;
}

/** `RoleSessionName` of the replay job's listings by role: what the source account's CloudTrail shows. */
export const REPLAY_SESSION_NAME = 'loglake-replay';

/** Builds the handler. Clients and sinks are created once here, not per request. */
export function createReplayHandler(deps: ReplayHandlerDeps): ReplayHandler {
  const { config, logger } = deps;
  const now = deps.now ?? Date.now;
  const lake: LakeSink = new S3LakeSink(deps.s3, { bucket: config.lakeBucket });
  const queue = new SqsReplayQueue(deps.sqs, config.replayQueueUrl);
  // A source read by role is listed with the role's credentials; every listing names the owner.
  const listPages = (bucket: string, prefix: string): S3ListPages => {
    const reader = deps.readers?.for(bucket, prefix) ?? { client: deps.s3, expectedOwner: null, roleArn: null };
    return new S3ListPages(reader.client, bucket, reader.expectedOwner);
  };

  const sendContinue = async (runId: string): Promise<void> => {
    try {
      await deps.sqs.send(new SendMessageCommand({ QueueUrl: config.controlQueueUrl, MessageBody: continueBody(runId) }));
    } catch (e) {
      throw toPipelineError(e, `sending replay-continue of ${runId} to ${config.controlQueueUrl}`);
    }
  };

  /** Handles one request; throws when it failed (the caller drops or retries it). */
  const handleRequest = async (input: unknown, context: Context, totals: Totals): Promise<ReplayResponse & { ok: true }> => {
    let request: ReplayRequest;
    try {
      request = decodeReplayRequest(input);
    } catch (e) {
      throw new InvalidRequest((e as Error).message);
    }
    // Only the first run of an invocation is sure to make progress before it may yield: a run
    // resumed with no time left would otherwise continue itself forever without a step forward.
    let runsWorked = 0;
    const producerDeps = (bucket: string, prefix: string): ProducerDeps => {
      const first = runsWorked++ === 0;
      let saves = 0;
      return {
        pages: listPages(bucket, prefix),
        lake,
        queue,
        now,
        ...deps.producer,
        onProgress: () => void saves++,
        // The first save is the run's own start; any later one is progress.
        shouldYield: () => (!first || saves > 1) && context.getRemainingTimeInMillis() < config.yieldMarginMs,
      };
    };

    /** Works a run, counts what it did, and continues it when it yielded. */
    const work = async (before: ReplayRecord | null, run: () => Promise<ReplayRecord>): Promise<RunSummary> => {
      const baseEnqueued = before?.enqueued.objects ?? 0;
      const baseErrors = before?.errors_total ?? 0;
      const record = await run();
      const enqueued = record.enqueued.objects - baseEnqueued;
      const errors = record.errors_total - baseErrors;
      totals.enqueued += enqueued;
      totals.errors += errors;
      const continued = record.status === 'running';
      if (continued) await sendContinue(record.run_id);
      const fields = {
        run_id: record.run_id,
        mode: record.mode,
        bucket: record.params.bucket,
        prefix: record.params.prefix,
        from: record.params.from,
        to: record.params.to,
        status: record.status,
        listed: record.listed.objects,
        enqueued_total: record.enqueued.objects,
        enqueued,
        skipped: record.skipped,
        errors_total: record.errors_total,
        invocations: record.invocations,
        continued,
      };
      if (record.status === 'failed') logger.error('replay run failed', { ...fields, errors: record.errors.slice(-5) });
      else if (errors > 0) logger.warn('replay run recorded errors', { ...fields, errors: record.errors.slice(-5) });
      else logger.info(continued ? 'replay run continues in the next invocation' : `replay run ${record.status}`, fields);
      return { run_id: record.run_id, bucket: record.params.bucket, prefix: record.params.prefix, status: record.status, enqueued, errors, continued, note: null };
    };

    /** A run that already ended is left alone (a duplicate delivery); any other is worked from its record. */
    const resume = async (record: ReplayRecord): Promise<RunSummary> => {
      if (record.status === 'done' || record.status === 'cancelled') {
        logger.info('replay run already ended, nothing to do', { run_id: record.run_id, status: record.status });
        const note = `the run already ended ${record.status}`;
        return { run_id: record.run_id, bucket: record.params.bucket, prefix: record.params.prefix, status: record.status, enqueued: 0, errors: 0, continued: false, note };
      }
      // `produce` itself, not `resumeReplay`: a run cancelled between two invocations then ends
      // `cancelled` in its record instead of staying `running` forever.
      return work(record, () => {
        record.status = 'running';
        record.ended_at = null;
        return produce(record, producerDeps(record.params.bucket, record.params.prefix));
      });
    };

    const runs: RunSummary[] = [];
    switch (request.loglake) {
      case 'replay-start': {
        // A start delivered again (SQS, a retried invocation) continues the run it started.
        const existing = await readRecord(lake, request.run_id);
        if (existing !== null) runs.push(await resume(existing));
        else {
          const { run_id, params } = request;
          runs.push(await work(null, () => startReplay(run_id, 'deployed', params, config.replayQueueUrl, producerDeps(params.bucket, params.prefix))));
        }
        break;
      }
      case 'replay-continue': {
        const record = await readRecord(lake, request.run_id);
        if (record === null) throw new ReplayRunError('no_such_run', `no replay run ${request.run_id}: ${lake.describe(replayRecordKey(request.run_id))} does not exist`);
        runs.push(await resume(record));
        break;
      }
      case 'replay-poll': {
        const { bucket, lookbackDays } = request;
        for (const prefix of new Set(request.prefixes)) {
          const state = await readPollState(lake, bucket, prefix);
          if (typeof state === 'string') logger.warn('unreadable poll state, polling as for the first time', { bucket, prefix, problem: state });
          const previousState = typeof state === 'string' ? null : state;
          // A torn or hand-edited record of the previous poll says nothing about it: poll on as if it had not ended.
          const previous =
            previousState === null ? null : await readRecord(lake, previousState.run_id).catch((e: unknown) => (e instanceof ReplayRunError ? null : Promise.reject(e)));
          const startedMs = now();
          const plan = planPoll(previousState, previous, startedMs, lookbackDays);
          if (plan.kind === 'wait') {
            logger.info('poll skipped: the previous poll of this prefix is still running', { bucket, prefix, run_id: plan.runId });
            runs.push({ run_id: plan.runId, bucket, prefix, status: 'running', enqueued: 0, errors: 0, continued: false, note: plan.reason });
            continue;
          }
          const runId = newRunId(startedMs);
          await writePollState(lake, { v: 1, bucket, prefix, run_id: runId, started_at: new Date(startedMs).toISOString(), started_day: dayOf(startedMs), from: plan.from });
          const params = pollParams(bucket, prefix, plan.from, plan.to);
          runs.push(await work(null, () => startReplay(runId, 'poll', params, config.replayQueueUrl, producerDeps(bucket, prefix))));
        }
        break;
      }
    }
    return { ok: true, request: request.loglake, runs };
  };

  const publish = (totals: Totals): void => {
    deps.metrics.addMetric(REPLAY_METRICS.enqueued, MetricUnit.Count, totals.enqueued);
    deps.metrics.addMetric(REPLAY_METRICS.errors, MetricUnit.Count, totals.errors);
    deps.metrics.publishStoredMetrics();
  };

  const describe = (e: unknown): Record<string, unknown> => ({
    error: e instanceof Error ? e.message : String(e),
    class: e instanceof Error ? e.name : typeof e,
    ...(isRecord(e) && typeof e.code === 'string' ? { code: e.code } : {}),
    ...(e instanceof InvalidRequest ? {} : { stack: e instanceof Error ? e.stack : undefined }),
  });

  return async (event, context) => {
    logger.addContext(context);
    const totals: Totals = { enqueued: 0, errors: 0 };
    try {
      if (isSqsEvent(event)) {
        const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
        for (const record of event.Records) {
          try {
            await handleRequest(record.body, context, totals);
          } catch (e) {
            totals.errors++;
            logger.error(e instanceof InvalidRequest ? 'invalid replay request' : 'replay request failed', { messageId: record.messageId, ...describe(e) });
            batchItemFailures.push({ itemIdentifier: record.messageId });
          }
        }
        return { batchItemFailures };
      }
      try {
        return await handleRequest(event, context, totals);
      } catch (e) {
        totals.errors++;
        if (e instanceof InvalidRequest) {
          logger.error('invalid replay request, dropped', describe(e));
          return { ok: false, error: e.message };
        }
        logger.error('replay request failed', describe(e));
        throw e;
      }
    } finally {
      publish(totals);
    }
  };
}
