/** `ReplayQueue` over SQS: one `SendMessageBatch` call per batch; refused entries come back by id. */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
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
}
