/** `ReplayQueue` over SQS: one `SendMessageBatch` call per batch; refused entries come back by id. */
import { GetQueueAttributesCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { toPipelineError } from '../storage/aws-errors.js';
import type { FailedEntry, QueueEntry, ReplayQueue } from './send.js';

export class SqsReplayQueue implements ReplayQueue {
  constructor(
    private readonly client: SQSClient,
    readonly url: string,
  ) {}

  async sendBatch(entries: readonly QueueEntry[]): Promise<readonly FailedEntry[]> {
    let out;
    try {
      out = await this.client.send(new SendMessageBatchCommand({ QueueUrl: this.url, Entries: entries.map((e) => ({ Id: e.id, MessageBody: e.body })) }));
    } catch (e) {
      throw toPipelineError(e, `sending to ${this.url}`);
    }
    return (out.Failed ?? []).map((f) => ({ id: f.Id ?? '', code: f.Code ?? 'unknown', message: f.Message ?? '', senderFault: f.SenderFault === true }));
  }

  /** Messages waiting and being worked on (`ApproximateNumberOfMessages[NotVisible]`). */
  async backlog(): Promise<{ visible: number; inFlight: number }> {
    let out;
    try {
      out = await this.client.send(new GetQueueAttributesCommand({ QueueUrl: this.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    } catch (e) {
      throw toPipelineError(e, `reading the attributes of ${this.url}`);
    }
    return { visible: Number(out.Attributes?.ApproximateNumberOfMessages ?? 0), inFlight: Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) };
  }
}

/** The region of an SQS queue URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`), or null. */
export function queueRegion(url: string): string | null {
  return /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\//.exec(url)?.[1] ?? null;
}
