/**
 * The intake handler, built from its dependencies: decode the subscription payload of the
 * invocation, write its events to the lake through the pipeline (`ingestSubscriptionPayload`),
 * log one line per virtual object and publish the invocation's metrics. Any failure fails the
 * invocation, so Lambda's asynchronous invocation retries it (twice by default) and then hands it
 * to the function's dead-letter queue: a redelivered payload writes the same names, so a retry
 * replaces what an earlier attempt wrote. `handler.ts` builds it from the environment; tests
 * build it against a local S3 server.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { LOGLAKE_USER_AGENT, LoglakeError, decodeSubscriptionEvent, ingestSubscriptionPayload, type IntakeDeps, type ObjectReport } from '../../pipeline/index.js';
import { S3LakeSink } from '../../pipeline/aws.js';
import type { CwlogsConfig } from './config.js';
import { CWLOGS_METRICS } from './env-names.js';
import { INGEST_METRICS } from '../ingest/env-names.js';

/** What the handler is built from. */
export interface CwlogsHandlerDeps {
  readonly config: CwlogsConfig;
  readonly s3: S3Client;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** What one invocation did (Lambda ignores it for asynchronous invocations; tests read it). */
export interface CwlogsResult {
  readonly control: boolean;
  readonly logGroup: string | null;
  readonly events: number;
  /** The virtual objects written: their names (`object` column) and manifests. */
  readonly objects: readonly ObjectReport[];
}

export type CwlogsHandler = (event: unknown, context: Context) => Promise<CwlogsResult>;

/** Thrown when a virtual object failed permanently; already logged and counted. */
class ObjectsFailed extends LoglakeError {
  override readonly name = 'ObjectsFailed';
}

/** Builds the handler. The sink is created once here, not per invocation. */
export function createCwlogsHandler(deps: CwlogsHandlerDeps): CwlogsHandler {
  const { config, logger, metrics } = deps;
  const intake: IntakeDeps = {
    sink: new S3LakeSink(deps.s3, { bucket: config.lakeBucket }),
    options: config.options,
    map: config.map,
    site: { region: config.region },
    createdBy: LOGLAKE_USER_AGENT,
  };

  const count = (name: string, n: number): void => {
    if (n > 0) metrics.addMetric(name, MetricUnit.Count, n);
  };

  return async (event, context) => {
    logger.addContext(context);
    try {
      const payload = decodeSubscriptionEvent(event, `invocation ${context.awsRequestId}`);
      count(CWLOGS_METRICS.payloads, 1);
      if (payload.kind === 'control') {
        count(CWLOGS_METRICS.controlMessages, 1);
        metrics.publishStoredMetrics();
        logger.info('control message acknowledged', { log_group: payload.logGroup });
        return { control: true, logGroup: payload.logGroup, events: 0, objects: [] };
      }
      count(CWLOGS_METRICS.events, payload.logEvents.length);
      metrics.publishStoredMetrics();
      const { reports } = await ingestSubscriptionPayload(payload, intake);
      for (const { manifest: m } of reports) {
        const fields = { object: m.object, source: m.source, parser: m.parser_id, status: m.status, reason: m.reason, lines_in: m.lines_in, records: m.records, rejected: m.rejected, skipped: m.skipped, outputs: m.outputs.length, duration_ms: m.duration_ms };
        if (m.status === 'failed') logger.error('object failed', { ...fields, error: m.error });
        else logger.info('object processed', fields);
        if (m.status === 'failed') continue;
        metrics.addDimension('source', m.source ?? 'unknown');
        count(INGEST_METRICS.objects, 1);
        count(INGEST_METRICS.linesIn, m.lines_in);
        count(INGEST_METRICS.records, m.records);
        count(INGEST_METRICS.rejected, m.rejected);
        count(INGEST_METRICS.skipped, m.skipped);
        if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
        else metrics.clearDimensions();
      }
      const failed = reports.find((r) => r.manifest.status === 'failed');
      if (failed !== undefined) {
        throw new ObjectsFailed(failed.manifest.reason ?? 'failed', `the events of ${failed.manifest.object} could not be written: [${failed.manifest.reason}] ${failed.manifest.error}`);
      }
      return { control: false, logGroup: payload.logGroup, events: payload.logEvents.length, objects: reports };
    } catch (e) {
      const code = e instanceof LoglakeError ? e.code : 'internal';
      metrics.addDimension('code', code);
      metrics.addMetric(CWLOGS_METRICS.errors, MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
      logger.error('invocation failed: Lambda retries it, then sends it to the dead-letter queue', { code, error: (e as Error).message, ...(e instanceof LoglakeError ? {} : { stack: (e as Error).stack }) });
      throw e;
    }
  };
}
