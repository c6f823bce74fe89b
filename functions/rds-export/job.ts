/**
 * The RDS log exporter's handler, built from its dependencies: every scheduled invocation exports
 * the new log portions of each configured DB instance (`export.ts`), one instance after the other,
 * each with a fair share of the time left, and publishes what it did as metrics. An instance that
 * fails (not found, access denied, RDS or S3 failing) is logged and counted and the others go on;
 * the invocation itself succeeds, so Lambda does not retry it beside the next scheduled one.
 * `handler.ts` builds it from the environment; the tests build it against a local S3 server.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import type { LakeSink } from '../../pipeline/index.js';
import { S3LakeSink, SqsReplayQueue } from '../../pipeline/aws.js';
import type { RdsExportConfig } from './config.js';
import { RDS_EXPORT_METRICS } from './env-names.js';
import { exportInstance, type ExportDeps, type InstanceReport } from './export.js';
import type { RdsLogs } from './rds.js';

/** What the handler is built from. */
export interface RdsExportHandlerDeps {
  readonly config: RdsExportConfig;
  /** Writes the central bucket. */
  readonly s3: S3Client;
  /** Sends the replay messages. */
  readonly sqs: SQSClient;
  readonly rds: RdsLogs;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** @default Date.now */
  readonly now?: () => number;
  /** Send retries, for tests (no backoff waits). */
  readonly sendPolicy?: ExportDeps['sendPolicy'];
}

/** The answer of one invocation. */
export interface RdsExportResponse {
  readonly instances: readonly InstanceReport[];
}

export type RdsExportHandler = (event: unknown, context: Context) => Promise<RdsExportResponse>;

/**
 * How long instance `i` of `n` may run: until only the margin and the equal shares of the
 * instances after it are left of the invocation, so a backlog on one instance never starves the
 * others, and time one instance did not need goes to the next.
 */
export function shareOf(remainingMs: number, marginMs: number, index: number, count: number): number {
  const usable = Math.max(0, remainingMs - marginMs);
  const after = count - index - 1;
  return marginMs + (usable * after) / (after + 1);
}

/** Builds the handler. Clients and sinks are created once here, not per invocation. */
export function createRdsExportHandler(deps: RdsExportHandlerDeps): RdsExportHandler {
  const { config, logger } = deps;
  const now = deps.now ?? Date.now;
  const lake: LakeSink = new S3LakeSink(deps.s3, { bucket: config.lakeBucket });
  const queue = new SqsReplayQueue(deps.sqs, config.replayQueueUrl);

  return async (_event, context) => {
    logger.addContext(context);
    const reports: InstanceReport[] = [];
    const { instances } = config;
    for (const [i, setting] of instances.entries()) {
      const stopBelow = shareOf(context.getRemainingTimeInMillis(), config.deadlineMarginMs, i, instances.length);
      const r = await exportInstance(setting, {
        rds: deps.rds,
        lake,
        queue,
        lakeBucket: config.lakeBucket,
        account: config.account,
        region: config.region,
        linesPerPortion: config.linesPerPortion,
        objectBytes: config.objectBytes,
        now,
        shouldStop: () => context.getRemainingTimeInMillis() < stopBelow,
        ...(deps.sendPolicy !== undefined ? { sendPolicy: deps.sendPolicy } : {}),
        note: (level, message, fields) => logger[level](message, fields),
      });
      reports.push(r);
      const fields = { ...r, error: undefined, error_code: r.error?.code, error_message: r.error?.message };
      if (r.status === 'failed') logger.error('RDS log export of the instance failed; the other instances go on', fields);
      else if (r.messagesFailed > 0) logger.warn('RDS log export left replay messages pending', fields);
      else logger.info(r.status === 'stopped' ? 'RDS log export stopped at its time share; the next run continues' : 'RDS log export done', fields);
    }
    const sum = (f: (r: InstanceReport) => number): number => reports.reduce((n, r) => n + f(r), 0);
    deps.metrics.addMetric(RDS_EXPORT_METRICS.objects, MetricUnit.Count, sum((r) => r.objects));
    deps.metrics.addMetric(RDS_EXPORT_METRICS.bytes, MetricUnit.Bytes, sum((r) => r.bytes));
    deps.metrics.addMetric(RDS_EXPORT_METRICS.errors, MetricUnit.Count, sum((r) => (r.status === 'failed' ? 1 : 0) + r.messagesFailed));
    deps.metrics.publishStoredMetrics();
    return { instances: reports };
  };
}
