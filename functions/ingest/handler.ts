/**
 * Lambda entry point of the ingest worker (SQS → central bucket). Thin by design: configuration
 * and clients are loaded once per container at cold start (a bad variable fails the cold start
 * with its name), then every invocation runs the handler `worker.ts` builds.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createWorkerClients } from './clients.js';
import { loadWorkerConfig } from './config.js';
import { INGEST_METRICS } from './env-names.js';
import { createIngestHandler, type IngestHandler } from './worker.js';

const config = loadWorkerConfig(process.env);
const { s3, requeue, readers } = createWorkerClients(config);
const logger = new Logger();
const metrics = new Metrics({ namespace: INGEST_METRICS.namespace });

/** The function's handler: `handler` in the Lambda configuration. */
export const handler: IngestHandler = createIngestHandler({ config, s3, readers, requeue, logger, metrics });
