/**
 * The notification stage: how each configured source tells the ingest queue about new objects
 * (S3 event notifications, SNS subscriptions, EventBridge rules), and the queue policy that lets
 * exactly those senders in.
 *
 * Buckets and topics are imported, never created: they belong to whoever delivers the logs.
 * For a bucket in another account only its owner can configure notifications, so this stage
 * grants the permission on our side and the owner points the bucket at the queue (docs/deploy.md).
 */
import { Annotations, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { SourceConfig } from './config.js';
import { acknowledge } from './nag.js';
import { s3ToQueue, snsToQueue } from './queue-senders.js';
import { objectCreatedPattern, suffixOf } from './source-filters.js';

// The filters live apart, free of aws-cdk-lib, so `loglake onboard` can print them.
export { PARSER_SUFFIXES, SOURCE_SUFFIXES, suffixOf } from './source-filters.js';

/**
 * An EventBridge target that lets exactly its rule send to the queue and the dead-letter queue.
 *
 * `aws-events-targets.SqsQueue` conditions the queue policy on the source account under the
 * recommended feature flags, which would admit any rule of the account.
 */
function queueTarget(queue: sqs.IQueue, dlq: sqs.IQueue): events.IRuleTarget {
  return {
    bind(rule: events.IRule): events.RuleTargetConfig {
      const service = new iam.ServicePrincipal('events.amazonaws.com');
      for (const q of [queue, dlq]) {
        q.addToResourcePolicy(
          new iam.PolicyStatement({
            principals: [service],
            actions: ['sqs:SendMessage'],
            resources: [q.queueArn],
            conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn }, StringEquals: { 'aws:SourceAccount': Stack.of(rule).account } },
          }),
        );
        // Conditioned on the account, not the rule: a key policy naming the rule would make
        // key, queue and rule depend on each other.
        q.encryptionMasterKey?.grant(
          service.withConditions({ StringEquals: { 'aws:SourceAccount': Stack.of(rule).account } }),
          'kms:Decrypt',
          'kms:GenerateDataKey',
        );
      }
      return { arn: queue.queueArn, deadLetterConfig: { arn: dlq.queueArn }, targetResource: queue };
    },
  };
}

/** Properties of {@link SourceNotifications}. */
export interface SourceNotificationsProps {
  readonly sources: readonly SourceConfig[];
  readonly ingestQueue: sqs.IQueue;
  /** Where EventBridge parks events it could not deliver to the ingest queue. */
  readonly ingestDlq: sqs.IQueue;
  /** Deployment name, to keep event bus policy statements of several deployments apart. */
  readonly name: string;
}

/** Construct ids are derived from bucket names and topic ARNs, so reordering sources replaces nothing. */
const idOf = (text: string): string => text.replace(/[^A-Za-z0-9]/g, '-');

/**
 * A statement id for a bucket's notifications: letters and digits only, and one-to-one, since
 * bucket names are lowercase (`-` becomes `H`, `.` becomes `D`).
 */
const sidOf = (bucket: string): string => `Notifications${bucket.replace(/-/g, 'H').replace(/\./g, 'D')}`;

/** Notifications, subscriptions and rules for the configured sources. */
export class SourceNotifications extends Construct {
  constructor(scope: Construct, id: string, props: SourceNotificationsProps) {
    super(scope, id);
    const queue = props.ingestQueue;
    const partition = Stack.of(this).partition;
    const buckets = new Map<string, s3.IBucket>();
    const bucketOf = (name: string): s3.IBucket => {
      let b = buckets.get(name);
      if (!b) {
        b = s3.Bucket.fromBucketName(this, `Bucket-${idOf(name)}`, name);
        buckets.set(name, b);
      }
      return b;
    };
    const topics = new Set<string>();
    const busAccounts = new Set<string>();
    const rules = new Map<string, SourceConfig[]>();

    for (const src of props.sources) {
      const suffix = suffixOf(src.format) ?? undefined;
      switch (src.notification) {
        case 's3': {
          if (src.account !== null) {
            // The owner configures the notification; we only let that bucket's events in.
            queue.grantSendMessages(
              new iam.ServicePrincipal('s3.amazonaws.com').withConditions({
                ArnLike: { 'aws:SourceArn': `arn:${partition}:s3:::${src.bucket}` },
                StringEquals: { 'aws:SourceAccount': src.account },
              }),
            );
            Annotations.of(this).addInfo(
              `bucket ${src.bucket} is in account ${src.account}: its source stack sends s3:ObjectCreated:* events for ${src.prefixes.join(', ')} to the ingest queue once deployed there (\`loglake onboard --account ${src.account}\` prints what it creates and the commands), or its owner configures that notification (output IngestQueueArn; docs/deploy.md)`,
            );
            break;
          }
          const bucket = bucketOf(src.bucket);
          const destination = s3ToQueue(queue, Stack.of(this).account, sidOf(src.bucket));
          for (const prefix of src.prefixes) {
            const filter: s3.NotificationKeyFilter = { ...(prefix ? { prefix } : {}), ...(suffix ? { suffix } : {}) };
            const filters = filter.prefix || filter.suffix ? [filter] : [];
            bucket.addEventNotification(s3.EventType.OBJECT_CREATED, destination, ...filters);
          }
          break;
        }
        case 's3-sns':
        case 'cloudtrail-sns':
        case 'config-sns': {
          const arn = src.topicArn as string;
          if (topics.has(arn)) break;
          topics.add(arn);
          const topic = sns.Topic.fromTopicArn(this, `Topic-${idOf(arn)}`, arn);
          // The subscription also adds the queue policy statement for exactly this topic and its account.
          topic.addSubscription(snsToQueue(queue, arn));
          break;
        }
        case 'eventbridge': {
          const list = rules.get(src.bucket) ?? [];
          list.push(src);
          rules.set(src.bucket, list);
          if (src.account !== null) busAccounts.add(src.account);
          else bucketOf(src.bucket).enableEventBridgeNotification();
          break;
        }
        case 'poll':
          // Nothing to configure on the bucket: the replay job lists it on a schedule (infra/replay.ts).
          break;
      }
    }

    for (const [bucketName, sources] of rules) {
      // One rule per bucket, matching what the owner's forwarding rule (infra/source-stack.ts) sends.
      new events.Rule(this, `Rule-${idOf(bucketName)}`, {
        description: `loglake: new objects in ${bucketName}`,
        eventPattern: objectCreatedPattern(bucketName, sources),
        targets: [queueTarget(queue, props.ingestDlq)],
      });
    }

    const stack = Stack.of(this);
    for (const account of busAccounts) {
      // The owner's rule forwards its bucket's events to our default bus; this lets them in.
      // A plain statement rather than EventBusPolicy, whose PolicyStatement cdk-nag cannot resolve.
      new events.CfnEventBusPolicy(this, `BusPolicy-${account}`, {
        statementId: `${props.name}-${account}`,
        eventBusName: 'default',
        statement: {
          Sid: `${props.name}-${account}`,
          Effect: 'Allow',
          Principal: { AWS: `arn:${partition}:iam::${account}:root` },
          Action: 'events:PutEvents',
          Resource: `arn:${partition}:events:${stack.region}:${stack.account}:event-bus/default`,
          Condition: { StringEquals: { 'events:source': 'aws.s3' } },
        },
      });
    }

    const handler = Stack.of(this).node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');
    if (handler) {
      acknowledge(
        handler,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        "CDK's own handler that writes S3 bucket notification configurations; it runs only during deployments",
      );
    }
  }
}
