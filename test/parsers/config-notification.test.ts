import { describe, expect, it } from 'vitest';
import { configNotificationWork } from '../../parsers/config-notification.js';

const item = {
  configurationItemVersion: '1.3',
  configurationItemCaptureTime: '2016-10-06T16:46:16.261Z',
  configurationStateId: 0,
  awsAccountId: '123456789012',
  configurationItemStatus: 'OK',
  resourceType: 'AWS::EC2::Instance',
  resourceId: 'i-1',
  ARN: 'arn:aws:ec2:us-west-2:123456789012:instance/i-1',
  awsRegion: 'us-west-2',
  tags: { Name: 'web' },
  configuration: { instanceType: 't3.micro' },
};
const change = {
  configurationItemDiff: { changedProperties: {}, changeType: 'CREATE' },
  configurationItem: item,
  notificationCreationTime: '2016-10-06T16:46:17.000Z',
  messageType: 'ConfigurationItemChangeNotification',
  recordVersion: '1.3',
};
const envelope = (message: unknown, asString = true): Record<string, unknown> => ({
  Type: 'Notification',
  MessageId: '8b945cb0-db34-5b72-b032-1724878af488',
  TopicArn: 'arn:aws:sns:us-west-2:123456789012:config',
  Message: asString ? JSON.stringify(message) : message,
});

describe('configNotificationWork', () => {
  it('normalizes the item of a change notification inline, with the change type as action', () => {
    const work = configNotificationWork(change);
    expect(work.kind).toBe('records');
    if (work.kind !== 'records') return;
    expect(work.records).toHaveLength(1);
    expect(work.records[0]?.record).toMatchObject({ category: 'config_state', action: 'CREATE', status: 'OK', resource: item.ARN, account_id: '123456789012', time: Date.UTC(2016, 9, 6, 16, 46, 16, 261) });
  });

  it('unwraps the SNS envelope, with Message as a JSON string or (as AWS docs print it) an object', () => {
    expect(configNotificationWork(envelope(change))).toMatchObject({ kind: 'records' });
    expect(configNotificationWork(envelope(change, false))).toMatchObject({ kind: 'records' });
  });

  it('gives one record per item when the message carries an item list', () => {
    const work = configNotificationWork({ ...change, configurationItem: [item, { ...item, resourceId: 'i-2', ARN: 'arn:aws:ec2:us-west-2:123456789012:instance/i-2' }] });
    expect(work.kind === 'records' ? work.records.map((r) => r.record.resource) : work).toEqual([item.ARN, 'arn:aws:ec2:us-west-2:123456789012:instance/i-2']);
  });

  it('points at the S3 object of an oversized change', () => {
    const work = configNotificationWork({
      configurationItemSummary: { changeType: 'UPDATE', resourceId: 'i-1' },
      s3DeliverySummary: { s3BucketLocation: 'my-bucket/AWSLogs/123456789012/Config/us-west-2/2016/10/6/OversizedChangeNotification/AWS::EC2::Instance/i-1/x.json.gz', errorCode: null, errorMessage: null },
      notificationCreationTime: '2016-10-06T16:46:16.261Z',
      messageType: 'OversizedConfigurationItemChangeNotification',
      recordVersion: '1.0',
    });
    expect(work).toEqual({ kind: 'objects', refs: [{ bucket: 'my-bucket', key: 'AWSLogs/123456789012/Config/us-west-2/2016/10/6/OversizedChangeNotification/AWS::EC2::Instance/i-1/x.json.gz' }] });
  });

  it('reports an oversized change whose delivery failed as unknown, with the error code', () => {
    const work = configNotificationWork({ messageType: 'OversizedConfigurationItemChangeNotification', s3DeliverySummary: { s3BucketLocation: null, errorCode: 'AccessDenied' } });
    expect(work).toMatchObject({ kind: 'unknown' });
    expect(work.kind === 'unknown' ? work.reason : '').toMatch(/AccessDenied/);
  });

  it('points at the delivered snapshot and history files', () => {
    for (const messageType of ['ConfigurationSnapshotDeliveryCompleted', 'ConfigurationHistoryDeliveryCompleted']) {
      expect(configNotificationWork(envelope({ s3ObjectKey: 'AWSLogs/1/Config/x.json.gz', s3Bucket: 'config-bucket', messageType, recordVersion: '1.1' }))).toEqual({
        kind: 'objects',
        refs: [{ bucket: 'config-bucket', key: 'AWSLogs/1/Config/x.json.gz' }],
      });
    }
  });

  it('ignores notifications that carry neither items nor objects, naming the type', () => {
    for (const messageType of ['ConfigurationSnapshotDeliveryStarted', 'ComplianceChangeNotification', 'ConfigRulesEvaluationStarted', 'ConfigurationHistoryDeliveryFailed']) {
      expect(configNotificationWork({ messageType })).toEqual({ kind: 'ignore', reason: messageType });
    }
  });

  it('answers unknown, never throws, for shapes it does not know', () => {
    const cases: unknown[] = [
      null,
      'text',
      [change],
      { messageType: 'SomethingNew' },
      { hello: 'world' },
      envelope('{not json'),
      { messageType: 'ConfigurationSnapshotDeliveryCompleted', s3Bucket: 'b' },
      { ...change, configurationItem: 'oops' },
      { ...change, configurationItem: { ...item, configurationItemCaptureTime: 'yesterday' } },
    ];
    for (const c of cases) expect(configNotificationWork(c).kind, JSON.stringify(c)).toBe('unknown');
  });
});
