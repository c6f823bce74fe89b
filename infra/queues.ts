/**
 * The work queues: `ingest` (notifications of new objects) and `replay` (history and
 * continuations), each with its dead-letter queue.
 *
 * Two queues rather than one so the worker can drain replays at a capped concurrency while live
 * notifications keep flowing; dead-letter queues keep what failed `maxReceiveCount` times
 * instead of dropping it. Who may send to `ingest` is granted by the notification stage.
 */
import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Properties of {@link IngestQueues}. */
export interface IngestQueuesProps {
  /** Must exceed six times the consuming function's timeout (see `visibilityTimeoutFor`). */
  readonly visibilityTimeout: Duration;
  /** Deliveries before a message moves to its dead-letter queue. */
  readonly maxReceiveCount: number;
  /** Customer key; SQS-managed encryption when absent. */
  readonly encryptionKey?: kms.IKey;
}

/** The longest SQS keeps a message: an outage of days loses nothing. */
export const QUEUE_RETENTION = Duration.days(14);

/**
 * Visibility timeout for a queue consumed by a function: AWS asks for at least six times the
 * function timeout plus the batching window, so a message is not redelivered while retries of
 * a throttled invocation are still pending; one more minute makes it strictly greater.
 */
export function visibilityTimeoutFor(functionTimeoutSeconds: number, batchWindowSeconds: number): Duration {
  return Duration.seconds(6 * functionTimeoutSeconds + batchWindowSeconds + 60);
}

/** Properties of {@link queueWithDlq}. */
export interface QueueWithDlqProps {
  readonly visibilityTimeout: Duration;
  readonly maxReceiveCount: number;
  /** Customer key; SQS-managed encryption when absent. */
  readonly encryptionKey?: kms.IKey;
}

/**
 * A queue and its dead-letter queue, `<name>` and `<name>Dlq` under `scope`: encrypted (the
 * customer key, else SSE-SQS), TLS only, 14 days retention, redrive after `maxReceiveCount`.
 * Every queue of the stack is made here, so they cannot differ in any of that.
 */
export function queueWithDlq(scope: Construct, name: string, props: QueueWithDlqProps): { queue: sqs.Queue; dlq: sqs.Queue } {
  const encryption: Pick<sqs.QueueProps, 'encryption' | 'encryptionMasterKey'> = props.encryptionKey
    ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.encryptionKey }
    : { encryption: sqs.QueueEncryption.SQS_MANAGED };
  const dlq = new sqs.Queue(scope, `${name}Dlq`, { ...encryption, enforceSSL: true, retentionPeriod: QUEUE_RETENTION });
  const queue = new sqs.Queue(scope, name, {
    ...encryption,
    enforceSSL: true,
    retentionPeriod: QUEUE_RETENTION,
    visibilityTimeout: props.visibilityTimeout,
    deadLetterQueue: { queue: dlq, maxReceiveCount: props.maxReceiveCount },
  });
  return { queue, dlq };
}

/** Ingest and replay queues with their dead-letter queues. */
export class IngestQueues extends Construct {
  /** Notifications of new source objects. */
  readonly ingest: sqs.IQueue;
  /** Messages that failed `maxReceiveCount` times on `ingest`. */
  readonly ingestDlq: sqs.IQueue;
  /** Replay requests and continuation messages. */
  readonly replay: sqs.IQueue;
  /** Messages that failed `maxReceiveCount` times on `replay`. */
  readonly replayDlq: sqs.IQueue;

  constructor(scope: Construct, id: string, props: IngestQueuesProps) {
    super(scope, id);
    const ingest = queueWithDlq(this, 'Ingest', props);
    const replay = queueWithDlq(this, 'Replay', props);
    this.ingest = ingest.queue;
    this.ingestDlq = ingest.dlq;
    this.replay = replay.queue;
    this.replayDlq = replay.dlq;
  }
}
