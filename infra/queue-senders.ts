/**
 * Service senders of the ingest queue (S3 notifications, SNS subscriptions), each let in by the
 * queue policy only for its own resource *and* its own account: `aws:SourceArn` alone does not
 * name an account for a bucket (bucket ARNs have none), so a bucket deleted and re-created under
 * the same name elsewhere could send, and `aws:SourceAccount` closes that.
 *
 * Not `s3n.SqsDestination` / `SqsSubscription`, which condition on the ARN alone, and whose key
 * statement for S3 names the bucket, a cycle when the lake key encrypts both bucket and queue.
 */
import { Names, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';

/**
 * S3 event notifications of a bucket of `account` to `queue`, statement `sid` (unique in the
 * queue policy). The key statement is scoped to S3 acting for that account.
 */
export function s3ToQueue(queue: sqs.IQueue, account: string, sid: string): s3.IBucketNotificationDestination {
  return {
    bind(_scope, bucket) {
      const s3Service = new iam.ServicePrincipal('s3.amazonaws.com');
      const sent = queue.addToResourcePolicy(
        new iam.PolicyStatement({
          sid,
          principals: [s3Service],
          actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
          resources: [queue.queueArn],
          conditions: { ArnLike: { 'aws:SourceArn': bucket.bucketRef.bucketArn }, StringEquals: { 'aws:SourceAccount': account } },
        }),
      );
      queue.encryptionMasterKey?.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `${sid}Encrypt`,
          principals: [s3Service],
          actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': account } },
        }),
      );
      return { arn: queue.queueArn, type: s3.BucketNotificationDestinationType.QUEUE, dependencies: sent.policyDependable !== undefined ? [sent.policyDependable] : [] };
    },
  };
}

/** The account of an ARN (`arn:partition:service:region:account:…`). */
const accountOf = (arn: string): string => arn.split(':')[4] ?? '';
/** The region of an ARN. */
const regionOf = (arn: string): string => arn.split(':')[3] ?? '';

/**
 * The ingest queue's subscription to a topic given by ARN: SNS may send for that topic from the
 * topic's account only, and use the queue's key for it alone.
 */
export function snsToQueue(queue: sqs.IQueue, topicArn: string): sns.ITopicSubscription {
  return {
    bind(topic) {
      const snsService = new iam.ServicePrincipal('sns.amazonaws.com');
      const conditions = { ArnEquals: { 'aws:SourceArn': topicArn }, StringEquals: { 'aws:SourceAccount': accountOf(topicArn) } };
      const sent = queue.addToResourcePolicy(
        new iam.PolicyStatement({ principals: [snsService], actions: ['sqs:SendMessage'], resources: [queue.queueArn], conditions }),
      );
      queue.encryptionMasterKey?.addToResourcePolicy(
        new iam.PolicyStatement({ principals: [snsService], actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: ['*'], conditions }),
      );
      const region = regionOf(topicArn);
      const own = Stack.of(queue).region;
      return {
        subscriberScope: queue,
        subscriberId: Names.nodeUniqueId(topic.node),
        endpoint: queue.queueArn,
        protocol: sns.SubscriptionProtocol.SQS,
        // A topic of another region is subscribed to in its own region.
        ...(!Token.isUnresolved(own) && region !== own ? { region } : {}),
        ...(sent.policyDependable !== undefined ? { subscriptionDependency: sent.policyDependable } : {}),
      };
    },
  };
}
