/**
 * Lambda entry point of the RDS log exporter (an EventBridge schedule → new RDS log portions in
 * the central bucket → replay messages for the worker). Thin by design, like the other functions:
 * configuration and clients are loaded once per container at cold start (a bad variable fails the
 * cold start with its name), then every invocation runs the handler `job.ts` builds.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { RDSClient } from '@aws-sdk/client-rds';
import { clientConfig, createS3Client, createSqsClient } from '../../pipeline/aws.js';
import { loadRdsExportConfig } from './config.js';
import { RDS_EXPORT_METRICS } from './env-names.js';
import { createRdsExportHandler, type RdsExportHandler } from './job.js';
import { SdkRdsLogs } from './rds.js';

const config = loadRdsExportConfig(process.env);
const s3 = createS3Client(config.s3Endpoint !== null ? { endpoint: config.s3Endpoint } : {});
const sqs = createSqsClient();
// The project's user agent and retries, as every client of the project.
const rds = new RDSClient(clientConfig({ region: config.region }));
const logger = new Logger();
const metrics = new Metrics({ namespace: RDS_EXPORT_METRICS.namespace });

/** The function's handler: `handler` in the Lambda configuration. */
export const handler: RdsExportHandler = createRdsExportHandler({ config, s3, sqs, rds: new SdkRdsLogs(rds), logger, metrics });
