/**
 * Lambda entry point of the replay job (direct invocations, its schedule, its control queue →
 * replay queue). Thin by design, like the ingest worker's: configuration and clients are loaded
 * once per container at cold start (a bad variable fails the cold start with its name), then
 * every invocation runs the handler `job.ts` builds.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createS3Client, createSourceReaders, createSqsClient } from '../../pipeline/aws.js';
import { loadReplayConfig } from './config.js';
import { REPLAY_METRICS } from './env-names.js';
import { createReplayHandler, REPLAY_SESSION_NAME, type ReplayHandler } from './job.js';

const config = loadReplayConfig(process.env);
const opts = config.s3Endpoint !== null ? { endpoint: config.s3Endpoint } : {};
const s3 = createS3Client(opts);
const readers = config.sourceAccess !== null ? createSourceReaders(s3, config.sourceAccess, REPLAY_SESSION_NAME, opts) : null;
const sqs = createSqsClient();
const logger = new Logger();
const metrics = new Metrics({ namespace: REPLAY_METRICS.namespace });

/** The function's handler: `handler` in the Lambda configuration. */
export const handler: ReplayHandler = createReplayHandler({ config, s3, readers, sqs, logger, metrics });
