/**
 * AWS clients of the worker, created once per container from its configuration. Each carries
 * the `loglake/<version>` user agent, so the worker's own reads are recognizable in the logs
 * it later ingests.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { S3Client } from '@aws-sdk/client-s3';
import { encodeWorkerMessage, toPipelineError, type WorkerMessage } from '../../pipeline/index.js';
import { clientConfig, createS3Client, createSourceReaders, type SourceReaders } from '../../pipeline/aws.js';
import type { WorkerConfig } from './config.js';

/** The worker's clients: S3 for sources and the lake, a sender for its own queue. */
export interface WorkerClients {
  readonly s3: S3Client;
  /** Source reads by role and with their bucket's expected owner; null without `LOGLAKE_SOURCE_ACCESS`. */
  readonly readers: SourceReaders | null;
  readonly requeue: ((message: WorkerMessage) => Promise<void>) | null;
}

/** `RoleSessionName` of the worker's reads by role: what the source account's CloudTrail shows. */
export const WORKER_SESSION_NAME = 'loglake-worker';

/** Sends worker messages to an SQS queue; a failed send is a transient error, so the message is retried. */
export function sqsRequeue(sqs: SQSClient, queueUrl: string): (message: WorkerMessage) => Promise<void> {
  return async (message) => {
    try {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: encodeWorkerMessage(message) }));
    } catch (e) {
      throw toPipelineError(e, queueUrl);
    }
  };
}

/** Creates the clients the configuration calls for. */
export function createWorkerClients(config: WorkerConfig): WorkerClients {
  const opts = config.s3Endpoint !== null ? { endpoint: config.s3Endpoint } : {};
  const s3 = createS3Client(opts);
  const requeue = config.continuationQueueUrl !== null ? sqsRequeue(new SQSClient(clientConfig({})), config.continuationQueueUrl) : null;
  const readers = config.sourceAccess !== null ? createSourceReaders(s3, config.sourceAccess, WORKER_SESSION_NAME, opts) : null;
  return { s3, requeue, readers };
}
