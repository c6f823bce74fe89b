/**
 * The dead-letter queues of a deployed stack, for `loglake dlq` and `loglake redrive`: which
 * queues there are (from the stack's outputs), and the SQS calls on them — attributes, a peek
 * at messages without taking them, and message move tasks. Loaded only by those two commands.
 */
import {
  CancelMessageMoveTaskCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  ReceiveMessageCommand,
  StartMessageMoveTaskCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { ConfigError, LoglakeError } from '../pipeline/index.js';
import { UsageError } from './args.js';
import type { Aws } from './replay-aws.js';

/** What a dead-letter queue holds, which decides how its messages are explained and moved. */
export type Holds = 'notifications' | 'replay-requests' | 'lambda-events';

export interface DeadLetterQueueKind {
  /** The `--queue` name. */
  readonly name: string;
  /** The stack output holding its URL (`infra/stack.ts`). */
  readonly output: string;
  readonly holds: Holds;
  /** Absent from stacks without the feature (the CloudWatch Logs intake). */
  readonly optional: boolean;
  readonly doc: string;
}

/** Every dead-letter queue a stack may have, in the order they are shown. */
export const DEAD_LETTER_QUEUES: readonly DeadLetterQueueKind[] = [
  { name: 'ingest', output: 'IngestDeadLetterQueueUrl', holds: 'notifications', optional: false, doc: 'notifications of the ingest queue the worker failed on every receive' },
  { name: 'replay', output: 'ReplayDeadLetterQueueUrl', holds: 'notifications', optional: false, doc: 'replay and continuation messages the worker failed on every receive' },
  { name: 'replay-control', output: 'ReplayControlDeadLetterQueueUrl', holds: 'replay-requests', optional: false, doc: 'requests to the replay job (start, continue, poll) it failed on every receive' },
  { name: 'cwlogs', output: 'CloudWatchLogsDeadLetterQueueUrl', holds: 'lambda-events', optional: true, doc: "subscription payloads the CloudWatch Logs intake failed after Lambda's retries" },
];

export interface DeadLetterQueue extends DeadLetterQueueKind {
  readonly url: string;
}

/** The dead-letter queues of `stackName` from its outputs; an older stack without them is named as such. */
export function stackDeadLetterQueues(outputs: Readonly<Record<string, string>>, stackName: string): DeadLetterQueue[] {
  const missing = DEAD_LETTER_QUEUES.filter((q) => !q.optional && !outputs[q.output]).map((q) => q.output);
  if (missing.length > 0) throw new ConfigError('invalid_option', `stack ${stackName} has no output ${missing.join(', ')}; redeploy it with this version of loglake (outputs: ${Object.keys(outputs).sort().join(', ') || 'none'})`);
  return DEAD_LETTER_QUEUES.flatMap((q) => (outputs[q.output] ? [{ ...q, url: outputs[q.output] as string }] : []));
}

/** The queues `--queue` names (all when absent), or a usage error listing the names. */
export function selectQueues(queues: readonly DeadLetterQueue[], name: string | undefined): DeadLetterQueue[] {
  if (name === undefined) return [...queues];
  const found = queues.filter((q) => q.name === name);
  if (found.length > 0) return found;
  const known = DEAD_LETTER_QUEUES.find((q) => q.name === name);
  if (known !== undefined) throw new UsageError(`the stack has no ${name} dead-letter queue (no output ${known.output}: the stack was deployed without that feature)`, { hint: false });
  throw new UsageError(`--queue must be one of ${queues.map((q) => q.name).join(', ')}, got ${JSON.stringify(name)}`);
}

/** One line for an AWS failure: the pipeline's own message, or the service's code, status and text. */
export function awsFailure(e: unknown, what: string): string {
  if (e instanceof LoglakeError || e instanceof UsageError) return e.message;
  const err = e as { name?: unknown; Code?: unknown; message?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const code = typeof err.Code === 'string' ? err.Code : typeof err.name === 'string' ? err.name : 'Error';
  const status = typeof err.$metadata?.httpStatusCode === 'number' ? `, HTTP ${err.$metadata.httpStatusCode}` : '';
  const message = typeof err.message === 'string' ? err.message : String(e);
  const denied = /AccessDenied|not authorized|UnauthorizedOperation/i.test(`${code} ${message}`) ? ' (the caller lacks a permission for this call)' : '';
  return `${what}: ${code}${status}: ${message}${denied}`;
}

/** A stack that does not exist, in CloudFormation's words (`ValidationError … does not exist`). */
export function isMissingStack(e: unknown): boolean {
  const err = e as { name?: unknown; message?: unknown; cause?: unknown };
  if (err?.name === 'ValidationError' && typeof err.message === 'string' && /does not exist/.test(err.message)) return true;
  return err?.cause !== undefined && err.cause !== e && isMissingStack(err.cause);
}

export interface QueueState {
  readonly arn: string;
  /** `ApproximateNumberOfMessages`: messages a receive can return. */
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
}

/** A message seen by a peek. */
export interface Peeked {
  readonly id: string;
  readonly body: string;
  /** `SentTimestamp`, epoch ms: for a dead-letter queue, when the message was first sent to its source queue. */
  readonly sentMs: number | null;
  readonly receiveCount: number | null;
  /** String message attributes (Lambda's `ErrorCode`, `ErrorMessage`, `RequestID` on an asynchronous invocation's dead letter). */
  readonly attributes: Readonly<Record<string, string>>;
}

export type MoveStatus = 'RUNNING' | 'COMPLETED' | 'CANCELLING' | 'CANCELLED' | 'FAILED';

export interface MoveTask {
  readonly handle: string | null;
  readonly status: MoveStatus | string;
  readonly moved: number;
  readonly toMove: number | null;
  readonly destination: string | null;
  readonly rate: number | null;
  readonly failure: string | null;
  readonly startedMs: number | null;
}

/** SQS calls on dead-letter queues, one client per region (from each queue URL). */
export class DeadLetterSqs {
  private readonly clients = new Map<string, SQSClient>();

  constructor(
    private readonly aws: Aws,
    private readonly region: string | undefined,
  ) {}

  private client(url: string): SQSClient {
    return this.clientIn(this.aws.door.queueRegion(url) ?? this.region ?? 'us-east-1');
  }

  /** Move tasks name queues by ARN: `arn:aws:sqs:<region>:<account>:<name>`. */
  private clientForArn(arn: string): SQSClient {
    return this.clientIn(/^arn:aws[a-z-]*:sqs:([a-z0-9-]+):/.exec(arn)?.[1] ?? this.region ?? 'us-east-1');
  }

  private clientIn(region: string): SQSClient {
    let c = this.clients.get(region);
    if (c === undefined) this.clients.set(region, (c = this.aws.door.createSqsClient({ region })));
    return c;
  }

  async state(url: string): Promise<QueueState> {
    const out = await this.client(url).send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }),
    );
    const a = out.Attributes ?? {};
    return { arn: a.QueueArn ?? '', visible: Number(a.ApproximateNumberOfMessages ?? 0), inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0), delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0) };
  }

  /**
   * Up to `max` distinct messages, received with a visibility timeout of 0 so they stay where
   * they are, visible to the next receive or move task. A standard queue answers a receive
   * from a sample of its servers, so repeated receives may return the same messages: they are
   * counted once, and the peek stops when a receive brings nothing new.
   */
  async peek(url: string, max: number): Promise<Peeked[]> {
    const seen = new Map<string, Peeked>();
    for (let attempt = 0; seen.size < max && attempt < Math.ceil(max / 10) + 2; attempt++) {
      const out = await this.client(url).send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: Math.min(10, max - seen.size),
          VisibilityTimeout: 0,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount'],
          MessageAttributeNames: ['All'],
        }),
      );
      let fresh = 0;
      for (const m of out.Messages ?? []) {
        const id = m.MessageId ?? '';
        if (seen.has(id) || seen.size >= max) continue;
        fresh++;
        const sent = Number(m.Attributes?.SentTimestamp);
        const received = Number(m.Attributes?.ApproximateReceiveCount);
        const attributes = Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).flatMap(([k, v]) => (v.StringValue !== undefined ? [[k, v.StringValue]] : [])));
        seen.set(id, { id, body: m.Body ?? '', sentMs: Number.isFinite(sent) ? sent : null, receiveCount: Number.isFinite(received) ? received : null, attributes });
      }
      if (fresh === 0) break;
    }
    return [...seen.values()];
  }

  /** Starts moving every message of the dead-letter queue `arn` back to the queue it came from. */
  async startMove(arn: string, rate: number | undefined): Promise<string> {
    const out = await this.clientForArn(arn).send(new StartMessageMoveTaskCommand({ SourceArn: arn, ...(rate !== undefined ? { MaxNumberOfMessagesPerSecond: rate } : {}) }));
    return out.TaskHandle ?? '';
  }

  /** The most recent move task of `arn`, or null when it never had one. */
  async latestMove(arn: string): Promise<MoveTask | null> {
    const out = await this.clientForArn(arn).send(new ListMessageMoveTasksCommand({ SourceArn: arn, MaxResults: 1 }));
    const t = out.Results?.[0];
    if (t === undefined) return null;
    return {
      handle: t.TaskHandle ?? null,
      status: t.Status ?? 'UNKNOWN',
      moved: t.ApproximateNumberOfMessagesMoved ?? 0,
      toMove: t.ApproximateNumberOfMessagesToMove ?? null,
      destination: t.DestinationArn ?? null,
      rate: t.MaxNumberOfMessagesPerSecond ?? null,
      failure: t.FailureReason ?? null,
      startedMs: t.StartedTimestamp ?? null,
    };
  }

  async cancelMove(arn: string, handle: string): Promise<number> {
    const out = await this.clientForArn(arn).send(new CancelMessageMoveTaskCommand({ TaskHandle: handle }));
    return out.ApproximateNumberOfMessagesMoved ?? 0;
  }

  destroy(): void {
    for (const c of this.clients.values()) c.destroy();
  }
}
