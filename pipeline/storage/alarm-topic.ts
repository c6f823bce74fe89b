/**
 * Where findings that need a person go: a port (`AlarmTopic`) and its SNS adapter. The worker
 * publishes CloudTrail integrity findings to the stack's ops topic through it; tests mock SNS.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { clientConfig, type AwsClientOptions } from './aws-clients.js';
import { toPipelineError } from './aws-errors.js';

export interface AlarmTopic {
  /** Publishes one message; a failure throws (a transient one as `TransientError`, so the message is retried). */
  publish(subject: string, message: string): Promise<void>;
}

/** SNS subjects are at most 100 ASCII characters. */
const MAX_SUBJECT = 100;

export class SnsAlarmTopic implements AlarmTopic {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(subject: string, message: string): Promise<void> {
    const ascii = subject.replace(/[^\x20-\x7e]/g, '?');
    try {
      await this.client.send(new PublishCommand({ TopicArn: this.topicArn, Subject: ascii.slice(0, MAX_SUBJECT), Message: message }));
    } catch (e) {
      throw toPipelineError(e, `SNS Publish to ${this.topicArn}`);
    }
  }
}

/** An SNS client with the project's user agent and retries. */
export function createSnsClient(opts: AwsClientOptions = {}): SNSClient {
  return new SNSClient(clientConfig(opts));
}
