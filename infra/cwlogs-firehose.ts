/**
 * The Firehose path of the CloudWatch Logs intake (docs/cwlogs.md), created when the
 * configuration has `cloudwatchLogs.firehose`: a Direct PUT Firehose stream that writes
 * subscription payloads into the central bucket's `raw/cwlogs/`, an S3 notification that hands
 * each object to the ingest queue (the worker splits it by the log-group map), and a CloudWatch
 * Logs destination in front of the stream for the log groups of other accounts.
 *
 * Why a destination and a stream: a subscription filter delivers to another account only through
 * a destination, and a destination fronts a Kinesis data stream or a Firehose stream, never a
 * Lambda function. Firehose also batches: one object per buffer instead of one invocation (and
 * one small Parquet file) per payload, which suits high-volume groups of the deployment account
 * too (`subscribeOwnGroups`).
 *
 * Least privilege: Firehose's role may write only under `raw/cwlogs/` (and read back the bucket
 * facts S3 delivery checks); CloudWatch Logs' role may only put records into this stream, and only
 * for log groups of the deployment account and the configured accounts; the destination policy
 * lets exactly those accounts subscribe.
 */
import { createHash } from 'node:crypto';
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CWLOGS_FIREHOSE_PREFIX } from '../schema/lake-layout.js';
import type { CloudWatchLogsConfig, CwlogsFirehoseConfig } from './config.js';
import { acknowledgeWildcardResources } from './nag.js';
import { s3ToQueue } from './queue-senders.js';

/** Properties of {@link CwlogsFirehose}. */
export interface CwlogsFirehoseProps {
  /** Deployment name: the destination is `loglake-<name>`. */
  readonly name: string;
  readonly config: CloudWatchLogsConfig & { readonly firehose: CwlogsFirehoseConfig };
  /** The central bucket, owned by the stack (its notification is added here). */
  readonly lakeBucket: s3.IBucket;
  /** Customer key of the central bucket, when there is one: Firehose encrypts what it writes with it. */
  readonly lakeKey?: kms.IKey;
  readonly ingestQueue: sqs.IQueue;
  /** The worker's role, which must read what the stream writes. */
  readonly workerRole: iam.IRole;
  /** Log retention of the stream's delivery error log, as for the functions. */
  readonly logRetentionDays: number;
}

const shortHash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 8);
const idOf = (text: string): string => text.replace(/[^A-Za-z0-9]/g, '-').replace(/^-+/, '').slice(0, 60);

/** The accounts whose log groups deliver through the destination, in configuration order, once each. */
export function destinationAccounts(config: CloudWatchLogsConfig): string[] {
  return [...new Set(config.logGroups.flatMap((g) => (g.account !== null ? [g.account] : [])))];
}

/** The Firehose stream, its roles, the destination of other accounts and the subscriptions of own groups. */
export class CwlogsFirehose extends Construct {
  readonly stream: firehose.CfnDeliveryStream;
  /** The role CloudWatch Logs assumes to put records into the stream. */
  readonly logsRole: iam.Role;
  /** The destination other accounts subscribe their log groups to; null when no setting names another account. */
  readonly destination: logs.CfnDestination | null;
  /** The destination's ARN, for `aws logs put-subscription-filter --destination-arn`; null without a destination. */
  readonly destinationArn: string | null;
  /** Subscription filters of the deployment account's named log groups to the stream (`subscribeOwnGroups`). */
  readonly subscriptions: readonly logs.CfnSubscriptionFilter[];
  /** Alarm metric: age of the oldest record not yet written to S3. */
  readonly freshness: cloudwatch.Metric;

  constructor(scope: Construct, id: string, props: CwlogsFirehoseProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { config, lakeBucket: bucket } = props;
    const { firehose: options } = config;
    const streamName = `loglake-${props.name}-cwlogs`;

    const errorLog = new logs.LogGroup(this, 'DeliveryErrors', { retention: props.logRetentionDays as logs.RetentionDays });
    const errorStream = new logs.LogStream(this, 'DeliveryErrorStream', { logGroup: errorLog, logStreamName: 'S3Delivery' });

    const role = new iam.Role(this, 'DeliveryRole', {
      description: 'loglake Firehose stream of CloudWatch Logs payloads: write them under raw/cwlogs/ of the central bucket',
      // The confused-deputy guard Firehose documents: only this account's streams assume it.
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', { conditions: { StringEquals: { 'sts:ExternalId': stack.account } } }),
    });
    const objects = bucket.arnForObjects(`${CWLOGS_FIREHOSE_PREFIX}*`);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'WritePayloadObjects', actions: ['s3:PutObject', 's3:AbortMultipartUpload'], resources: [objects] }));
    // What S3 delivery checks of the bucket before it writes (Firehose's documented policy), on the bucket only.
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'DeliveryBucketFacts', actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'], resources: [bucket.bucketArn] }));
    const errorStreamArn = `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:${errorLog.logGroupName}:log-stream:${errorStream.logStreamName}`;
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'DeliveryErrorLog', actions: ['logs:PutLogEvents'], resources: [errorStreamArn] }));
    props.lakeKey?.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
    acknowledgeWildcardResources(role, [objects], 'Firehose writes its objects under raw/cwlogs/ of the central bucket only; the * is the object keys it generates there');

    this.stream = new firehose.CfnDeliveryStream(this, 'Stream', {
      deliveryStreamName: streamName,
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      extendedS3DestinationConfiguration: {
        bucketArn: bucket.bucketArn,
        roleArn: role.roleArn,
        // Firehose appends YYYY/MM/DD/HH/ (UTC) to a prefix without expressions.
        prefix: CWLOGS_FIREHOSE_PREFIX,
        // Each record is already a gzip member of one payload; the worker reads them as they come.
        compressionFormat: 'UNCOMPRESSED',
        bufferingHints: { intervalInSeconds: options.bufferSeconds, sizeInMBs: options.bufferMiB },
        ...(props.lakeKey ? { encryptionConfiguration: { kmsEncryptionConfig: { awskmsKeyArn: props.lakeKey.keyArn } } } : {}),
        cloudWatchLoggingOptions: { enabled: true, logGroupName: errorLog.logGroupName, logStreamName: errorStream.logStreamName },
      },
    });
    this.stream.node.addDependency(role);
    const streamArn = this.stream.attrArn;

    // Each object is a new source object for the worker, as if a source bucket had notified it.
    const owned = bucket as s3.Bucket;
    if (typeof owned.addEventNotification !== 'function') throw new Error('the CloudWatch Logs Firehose stream needs the central bucket owned by the stack');
    owned.addEventNotification(s3.EventType.OBJECT_CREATED, s3ToQueue(props.ingestQueue, stack.account, 'CentralBucketNotifications'), { prefix: CWLOGS_FIREHOSE_PREFIX });
    props.workerRole.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadCwlogsFirehoseObjects', actions: ['s3:GetObject'], resources: [objects] }));
    acknowledgeWildcardResources(props.workerRole, [objects], 'the worker reads the objects of the CloudWatch Logs Firehose stream, under raw/cwlogs/ of the central bucket only; the * is the object keys under it');

    const accounts = destinationAccounts(config);
    const sourceArns = [stack.account, ...accounts].map((a) => `arn:${stack.partition}:logs:${stack.region}:${a}:*`);
    this.logsRole = new iam.Role(this, 'LogsRole', {
      description: 'loglake: CloudWatch Logs puts subscription payloads into the Firehose stream of the CloudWatch Logs intake',
      assumedBy: new iam.ServicePrincipal('logs.amazonaws.com', { conditions: { StringLike: { 'aws:SourceArn': sourceArns } } }),
    });
    this.logsRole.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'PutPayloads', actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'], resources: [streamArn] }));

    if (accounts.length > 0) {
      const destinationName = `loglake-${props.name}`;
      const arn = `arn:${stack.partition}:logs:${stack.region}:${stack.account}:destination:${destinationName}`;
      const policy = {
        Version: '2012-10-17',
        Statement: [{ Sid: 'SubscribeFromConfiguredAccounts', Effect: 'Allow', Principal: { AWS: accounts }, Action: 'logs:PutSubscriptionFilter', Resource: arn }],
      };
      this.destination = new logs.CfnDestination(this, 'Destination', {
        destinationName,
        targetArn: streamArn,
        roleArn: this.logsRole.roleArn,
        destinationPolicy: stack.toJsonString(policy),
      });
      // CloudWatch Logs checks at creation that the role can put into the stream.
      this.destination.node.addDependency(this.logsRole);
      this.destinationArn = this.destination.attrArn;
    } else {
      this.destination = null;
      this.destinationArn = null;
    }

    const subscriptions: logs.CfnSubscriptionFilter[] = [];
    if (options.subscribeOwnGroups) {
      for (const g of config.logGroups.filter((x) => x.account === null && x.match === 'name')) {
        const sub = new logs.CfnSubscriptionFilter(this, `Subscription-${idOf(g.text)}-${shortHash(g.text)}`, {
          logGroupName: g.text,
          destinationArn: streamArn,
          roleArn: this.logsRole.roleArn,
          filterPattern: config.filterPattern,
          filterName: `loglake-${props.name}`,
        });
        sub.node.addDependency(this.logsRole);
        subscriptions.push(sub);
      }
    }
    this.subscriptions = subscriptions;

    this.freshness = new cloudwatch.Metric({
      namespace: 'AWS/Firehose',
      metricName: 'DeliveryToS3.DataFreshness',
      dimensionsMap: { DeliveryStreamName: streamName },
      statistic: 'Maximum',
      period: Duration.minutes(5),
    });
  }
}
