/**
 * Lambda entry point of the CloudWatch Logs intake (subscription filter → this function →
 * central bucket). Thin by design, like the ingest worker's: configuration and clients are
 * loaded once per container at cold start (a bad variable fails the cold start with its name),
 * then every invocation runs the handler `intake.ts` builds.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { createS3Client } from '../../pipeline/aws.js';
import { loadCwlogsConfig } from './config.js';
import { CWLOGS_METRICS } from './env-names.js';
import { createCwlogsHandler, type CwlogsHandler } from './intake.js';

const config = loadCwlogsConfig(process.env);
const s3 = createS3Client(config.s3Endpoint !== null ? { endpoint: config.s3Endpoint } : {});
const logger = new Logger();
const metrics = new Metrics({ namespace: CWLOGS_METRICS.namespace });

/** The function's handler: `handler` in the Lambda configuration. */
export const handler: CwlogsHandler = createCwlogsHandler({ config, s3, logger, metrics });
