/**
 * Realistic queue messages, shaped after the examples in AWS's documentation:
 * - S3 event message structure: https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
 * - S3 test event (same page), EventBridge "Object Created":
 *   https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
 * - SNS message body: https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html
 * - CloudTrail SNS notification: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/configure-sns-notifications-for-cloudtrail.html
 * - Config SNS notifications: https://docs.aws.amazon.com/config/latest/developerguide/notifications-for-AWS-Config.html
 * - Lambda SQS event: https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
 */
import { randomUUID } from 'node:crypto';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';

/** S3's key encoding in event notifications: URL-encoded, space as `+`. */
export function s3EventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

export interface S3RecordOptions {
  readonly eventName?: string;
  readonly versionId?: string;
  readonly size?: number;
  readonly eventTime?: string;
}

/** One `Records[]` entry of an S3 event notification. */
export function s3Record(bucket: string, key: string, opts: S3RecordOptions = {}): Record<string, unknown> {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'us-east-1',
    eventTime: opts.eventTime ?? new Date().toISOString(),
    eventName: opts.eventName ?? 'ObjectCreated:Put',
    userIdentity: { principalId: 'AWS:AIDAJDPLRKLG7UEXAMPLE' },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: { 'x-amz-request-id': 'C3D13FE58DE4C810', 'x-amz-id-2': 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD' },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: 'loglake-ingest',
      bucket: { name: bucket, ownerIdentity: { principalId: 'A3NL1KOZZKExample' }, arn: `arn:aws:s3:::${bucket}` },
      object: {
        key: s3EventKey(key),
        size: opts.size ?? 1024,
        eTag: 'd41d8cd98f00b204e9800998ecf8427e',
        ...(opts.versionId !== undefined ? { versionId: opts.versionId } : {}),
        sequencer: '0055AED6DCD90281E5',
      },
    },
  };
}

/** An S3 event notification body with one record per key. */
export function s3Event(bucket: string, keys: readonly string[], opts: S3RecordOptions = {}): string {
  return JSON.stringify({ Records: keys.map((k) => s3Record(bucket, k, opts)) });
}

export function s3TestEvent(bucket: string): string {
  return JSON.stringify({
    Service: 'Amazon S3',
    Event: 's3:TestEvent',
    Time: '2014-10-13T15:57:02.089Z',
    Bucket: bucket,
    RequestId: '5582815E1AEA5ADF',
    HostId: '8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE',
  });
}

/** An SNS envelope as SQS receives it without raw delivery: `Message` is a JSON string. */
export function snsEnvelope(message: string, topic = 'arn:aws:sns:us-east-1:111122223333:loglake-source'): string {
  return JSON.stringify({
    Type: 'Notification',
    MessageId: randomUUID(),
    TopicArn: topic,
    Subject: 'Amazon S3 Notification',
    Message: message,
    Timestamp: new Date().toISOString(),
    SignatureVersion: '1',
    Signature: 'EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q=',
    SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem',
    UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-1:111122223333:loglake-source:c9135db0-26c4-47ec-8998-413945fb5a96',
  });
}

export function cloudTrailNotification(bucket: string, keys: readonly string[]): string {
  return JSON.stringify({ s3Bucket: bucket, s3ObjectKey: keys });
}

export function eventBridgeObjectCreated(bucket: string, key: string, detailType = 'Object Created'): string {
  return JSON.stringify({
    version: '0',
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    'detail-type': detailType,
    source: 'aws.s3',
    account: '111122223333',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object: { key, size: 5, etag: 'b1946ac92492d2347c6235b4d2611184', sequencer: '617f08299329d189' },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: '111122223333',
      'source-ip-address': '1.2.3.4',
      reason: 'PutObject',
    },
  });
}

/** A Config delivery-completed message (snapshot or history), as the SNS `Message`. */
export function configDeliveryCompleted(bucket: string, key: string, type = 'ConfigurationSnapshotDeliveryCompleted'): string {
  return JSON.stringify({
    configSnapshotId: '16da64e4-cb65-4846-b061-e6c3ba43cb96',
    s3ObjectKey: key,
    s3Bucket: bucket,
    notificationCreationTime: '2024-05-01T18:39:39.853Z',
    messageType: type,
    recordVersion: '1.1',
  });
}

/** A Config item change notification carrying one security group item inline, as the SNS `Message`. */
export function configItemChange(resourceId = 'sg-3f1fef43'): string {
  return JSON.stringify({
    configurationItemDiff: { changedProperties: {}, changeType: 'CREATE' },
    configurationItem: {
      relatedEvents: [],
      relationships: [{ resourceId: 'vpc-14400670', resourceName: null, resourceType: 'AWS::EC2::VPC', name: 'Is contained in Vpc' }],
      configuration: { ownerId: '111122223333', groupName: 'example-security-group-2', groupId: resourceId, vpcId: 'vpc-14400670', tags: [] },
      supplementaryConfiguration: {},
      tags: { team: 'platform' },
      configurationItemVersion: '1.3',
      configurationItemCaptureTime: '2024-05-01T20:53:09.563Z',
      configurationStateId: 1484956989563,
      awsAccountId: '111122223333',
      configurationItemStatus: 'ResourceDiscovered',
      resourceType: 'AWS::EC2::SecurityGroup',
      resourceId,
      resourceName: null,
      ARN: `arn:aws:ec2:us-east-2:111122223333:security-group/${resourceId}`,
      awsRegion: 'us-east-2',
      availabilityZone: 'Not Applicable',
      configurationStateMd5Hash: '',
      resourceCreationTime: null,
    },
    notificationCreationTime: '2024-05-01T20:53:09.949Z',
    messageType: 'ConfigurationItemChangeNotification',
    recordVersion: '1.3',
  });
}

/** One SQS record around a body; `messageId` defaults to a fresh UUID. */
export function sqsRecord(body: string, messageId: string = randomUUID(), receiveCount = 1): SQSRecord {
  return {
    messageId,
    receiptHandle: 'MessageReceiptHandle',
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(Date.now()),
      SenderId: 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: 'e4e68fb7bd0e697a0ae8f1bb342846b3',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:loglake-ingest',
    awsRegion: 'us-east-1',
  };
}

/** A Lambda SQS event with one record per body. */
export function sqsEvent(...bodies: string[]): SQSEvent {
  return { Records: bodies.map((b) => sqsRecord(b)) };
}

/** A Lambda context whose remaining time is `remainingMs()`. */
export function lambdaContext(remainingMs: () => number = () => 900_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'loglake-ingest',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:111122223333:function:loglake-ingest',
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/loglake-ingest',
    logStreamName: '2024/05/01/[$LATEST]abcdef',
    getRemainingTimeInMillis: remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
