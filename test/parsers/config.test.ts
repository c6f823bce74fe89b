import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeConfigurationItem, parser, writabilityCheck } from '../../parsers/config.js';
import { configNotificationWork } from '../../parsers/config-notification.js';
import type { ParseContext, ParseResult } from '../../parsers/types.js';
import type { EventFields } from '../../schema/index.js';
import { HEAD_BYTES, routeByContent, routeByKey } from '../../pipeline/route/route.js';

const ctx: ParseContext = { object: 'test', ordinal: 1, state: undefined };

const ci = {
  configurationItemVersion: '1.3',
  configurationItemCaptureTime: '2024-03-05T10:02:55.870Z',
  configurationStateId: 1709632975870,
  awsAccountId: '123456789012',
  configurationItemStatus: 'OK',
  resourceType: 'AWS::S3::Bucket',
  resourceId: 'invoices',
  resourceName: 'invoices',
  ARN: 'arn:aws:s3:::invoices',
  awsRegion: 'eu-west-1',
  availabilityZone: 'Regional',
  tags: { Team: 'payments' },
  relatedEvents: [],
  relationships: [{ resourceType: 'AWS::KMS::Key', resourceId: 'k-1', name: 'Is associated with KmsKey' }],
  configuration: { name: 'invoices' },
  supplementaryConfiguration: { AccessControlList: '{"grantList":[]}' },
};

function parse(value: unknown): ParseResult {
  return parser.parse(JSON.parse(JSON.stringify(value)), ctx);
}

function record(value: unknown): EventFields {
  const r = parse(value);
  if (r.ok !== true) throw new Error(`expected a record, got ${JSON.stringify(r)}`);
  return r.record;
}

describe('config parser: one configuration item, one record', () => {
  it('maps the item to the common columns', () => {
    const r = record(ci);
    expect(r).toMatchObject({
      time: Date.UTC(2024, 2, 5, 10, 2, 55, 870),
      category: 'config_state',
      account_id: '123456789012',
      region: 'eu-west-1',
      action: 'OK',
      status: 'OK',
      outcome: 'success',
      resource: 'arn:aws:s3:::invoices',
      resource_type: 'AWS::S3::Bucket',
      tags: { Team: 'payments' },
    });
  });

  it('keeps configuration, supplementaryConfiguration and relationships as JSON text in fields, with every unmapped key', () => {
    const f = record(ci).fields as Record<string, string>;
    expect(JSON.parse(f.configuration as string)).toEqual(ci.configuration);
    expect(JSON.parse(f.supplementaryConfiguration as string)).toEqual(ci.supplementaryConfiguration);
    expect(JSON.parse(f.relationships as string)).toEqual(ci.relationships);
    expect(f).toMatchObject({ resourceId: 'invoices', resourceName: 'invoices', configurationStateId: '1709632975870', availabilityZone: 'Regional', relatedEvents: '[]' });
    for (const mapped of ['configurationItemCaptureTime', 'awsAccountId', 'awsRegion', 'ARN', 'resourceType', 'tags', 'configurationItemStatus']) expect(f).not.toHaveProperty(mapped);
  });

  it('falls back to the resource id when an item has no ARN', () => {
    const { ARN: _arn, ...noArn } = ci;
    expect(record(noArn).resource).toBe('invoices');
  });

  it('reads the older key spellings of AWS examples: accountId, arn, configurationItemState, availibilityZone', () => {
    const old = {
      configurationItemVersion: '1.0',
      configurationItemCaptureTime: '2014-03-07T23:47:08.918Z',
      accountId: '123456789012',
      arn: 'arn:aws:ec2:us-west-2:123456789012:volume/vol-1',
      configurationItemState: 'Discovered',
      availibilityZone: 'us-west-2b',
      resourceType: 'AWS::EC2::Volume',
      resourceId: 'vol-1',
      tags: {},
    };
    expect(record(old)).toMatchObject({ account_id: '123456789012', resource: 'arn:aws:ec2:us-west-2:123456789012:volume/vol-1', status: 'Discovered', action: 'Discovered', region: 'us-west-2' });
  });

  it('reads an epoch-seconds capture time (API output) as milliseconds', () => {
    expect(record({ ...ci, configurationItemCaptureTime: 1709632975.87 }).time).toBe(1709632975870);
  });

  it('marks a failed recording as failure and a missing status as unknown', () => {
    expect(record({ ...ci, configurationItemStatus: 'Failed' }).outcome).toBe('failure');
    const { configurationItemStatus: _s, ...noStatus } = ci;
    expect(record(noStatus)).toMatchObject({ outcome: 'unknown', status: null, action: null });
  });

  it('accepts API-style tag lists', () => {
    expect(record({ ...ci, tags: [{ key: 'Team', value: 'search' }, { Key: 'Env', Value: 'prod' }] }).tags).toEqual({ Team: 'search', Env: 'prod' });
  });

  it('rejects an item without a capture time as no_event_time, and an unreadable one as bad_timestamp', () => {
    expect(parse({ ...ci, configurationItemCaptureTime: null })).toMatchObject({ ok: false, reason: 'no_event_time' });
    expect(parse({ ...ci, configurationItemCaptureTime: '05/03/2024' })).toMatchObject({ ok: false, reason: 'bad_timestamp' });
  });

  it('rejects non-objects', () => {
    expect(parse([ci])).toMatchObject({ ok: false, reason: 'not_an_object' });
    expect(parse('text')).toMatchObject({ ok: false, reason: 'not_an_object' });
  });
});

describe('config parser: change notifications stored in S3 (oversized changes)', () => {
  const diff = { changedProperties: { 'Configuration.Name': { previousValue: 'a', updatedValue: 'b', changeType: 'UPDATE' } }, changeType: 'UPDATE' };
  const message = { configurationItemDiff: diff, configurationItem: ci, notificationCreationTime: '2024-03-05T10:03:00.000Z', messageType: 'ConfigurationItemChangeNotification', recordVersion: '1.3' };

  it('takes the change type as the action and keeps the diff and message keys in fields', () => {
    const r = record(message);
    expect(r).toMatchObject({ action: 'UPDATE', status: 'OK', resource: 'arn:aws:s3:::invoices' });
    expect(JSON.parse((r.fields as Record<string, string>).configurationItemDiff as string)).toEqual(diff);
    expect(r.fields).toMatchObject({ messageType: 'ConfigurationItemChangeNotification', notificationCreationTime: '2024-03-05T10:03:00.000Z', recordVersion: '1.3' });
  });

  it('unwraps an SNS envelope whose Message is a JSON string', () => {
    expect(record({ Type: 'Notification', MessageId: 'm-1', Message: JSON.stringify(message) }).action).toBe('UPDATE');
  });

  it('rejects a message carrying several items in one record rather than keeping only one', () => {
    expect(parse({ ...message, configurationItem: [ci, ci] })).toMatchObject({ ok: false, reason: 'unknown_format' });
  });

  it('uses the notification time when an item has no capture time', () => {
    expect(normalizeConfigurationItem({ ...ci, configurationItemCaptureTime: null }, { diff: null, message })).toMatchObject({ ok: true, record: { time: Date.UTC(2024, 2, 5, 10, 3) } });
  });
});

describe('config routing', () => {
  it('routes snapshot, history and oversized-notification keys to config, the writability check to ignore', () => {
    const base = 'AWSLogs/123456789012/Config/eu-west-1/2024/3/5';
    for (const key of [
      `${base}/ConfigSnapshot/123456789012_Config_eu-west-1_ConfigSnapshot_20240305T101500Z_6f1d9c52.json.gz`,
      `${base}/ConfigHistory/123456789012_Config_eu-west-1_ConfigHistory_AWS::EC2::SecurityGroup_20240305T090000Z_20240305T100000Z_1.json.gz`,
      `${base}/OversizedChangeNotification/AWS::EC2::Instance/i-1/123456789012_Config_eu-west-1_ChangeNotification_AWS::EC2::Instance_i-1_20240305T101502Z_0.json.gz`,
    ]) {
      expect(routeByKey(key), key).toMatchObject({ kind: 'parse', parser: { id: 'config' } });
    }
    expect(routeByKey('AWSLogs/123456789012/Config/ConfigWritabilityCheckFile')).toEqual({ kind: 'ignore', name: writabilityCheck.name, by: 'key' });
  });

  it('recognizes config content without a key: snapshots, single items, change notifications', () => {
    expect(routeByContent('{"fileVersion":"1.0","configSnapshotId":"x","configurationItems":[')).toMatchObject({ kind: 'parse', parser: { id: 'config' } });
    expect(routeByContent(JSON.stringify(ci))).toMatchObject({ kind: 'parse', parser: { id: 'config' } });
    expect(routeByContent('{"configurationItemDiff":{},"configurationItem":{"x":1}')).toMatchObject({ kind: 'parse', parser: { id: 'config' } });
    expect(parser.sniff('{"eventVersion":"1.09","eventTime":"2024-01-01T00:00:00Z"}')).toBe(false);
  });
});

describe('config routing: change notifications saved as files', () => {
  const SAMPLES = new URL('../../samples/config/', import.meta.url).pathname;
  const head = (name: string): string => readFileSync(join(SAMPLES, name), 'utf8').slice(0, HEAD_BYTES);
  const diff = { changedProperties: {}, changeType: 'CREATE' };
  const change = { configurationItemDiff: diff, configurationItem: ci, notificationCreationTime: '2024-03-05T10:03:00.000Z', messageType: 'ConfigurationItemChangeNotification', recordVersion: '1.3' };
  const delivered = {
    configSnapshotId: '6f1d9c52-8a0e-4c5b-9a3e-2f7d1b0c4e11',
    s3ObjectKey: 'AWSLogs/123456789012/Config/eu-west-1/2024/3/5/ConfigSnapshot/123456789012_Config_eu-west-1_ConfigSnapshot_20240305T101500Z_6f1d9c52-8a0e-4c5b-9a3e-2f7d1b0c4e11.json.gz',
    s3Bucket: 'config-bucket-123456789012',
    notificationCreationTime: '2024-03-05T11:15:07.322Z',
    messageType: 'ConfigurationSnapshotDeliveryCompleted',
    recordVersion: '1.1',
  };
  const oversized = {
    configurationItemSummary: { changeType: 'UPDATE', resourceType: 'AWS::EC2::Instance', resourceId: 'i-0a1b2c3d4e5f60718', configurationItemCaptureTime: '2024-03-05T10:15:02.611Z' },
    s3DeliverySummary: { s3BucketLocation: 'config-bucket-123456789012/AWSLogs/123456789012/Config/eu-west-1/2024/3/5/OversizedChangeNotification/AWS::EC2::Instance/i-0a1b2c3d4e5f60718/x.json.gz', errorCode: null, errorMessage: null },
    notificationCreationTime: '2024-03-05T10:15:04.202Z',
    messageType: 'OversizedConfigurationItemChangeNotification',
    recordVersion: '1.0',
  };
  const sns = (message: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    Type: 'Notification',
    MessageId: '6a1b7c2d-8e3f-5a4b-9c0d-1e2f3a4b5c6d',
    TopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops-events',
    ...extra,
    Message: typeof message === 'string' ? message : JSON.stringify(message),
    Timestamp: '2024-03-05T11:15:07.401Z',
    SignatureVersion: '1',
  });
  const config = { kind: 'parse', parser: { id: 'config' }, by: 'content' };

  it('routes a plain notification whose configurationItemDiff pushes configurationItem past the first 4 KiB', () => {
    const text = head('change-notification-large-diff.json');
    expect(text).not.toContain('"configurationItem"');
    expect(routeByContent(text)).toMatchObject(config);
  });

  it('routes archived SNS envelopes whose escaped Message is a Config notification, the item past the first 4 KiB', () => {
    const text = head('sns-archive-config-topic.ndjson');
    expect(text).not.toContain('configurationItem\\"');
    expect(routeByContent(text)).toMatchObject(config);
  });

  it('routes an envelope of every Config message type, whatever the topic is called and with or without a Subject', () => {
    for (const message of [change, delivered, oversized, { ...delivered, messageType: 'ComplianceChangeNotification' }, { ...delivered, messageType: 'ConfigurationHistoryDeliveryCompleted', configSnapshotId: undefined }]) {
      expect(routeByContent(JSON.stringify(sns(message))), message.messageType).toMatchObject(config);
    }
  });

  it('routes an envelope by its Config Subject alone, and envelopes whose Message is an object (AWS docs) or comes before Type (sorted keys)', () => {
    const subject = '[AWS Config:eu-west-1] AWS::EC2::SecurityGroup sg-04e3f2a1b0c9d8e7f Updated in Account 123456789012';
    expect(routeByContent(JSON.stringify(sns('{"configurationItemDiff', { Subject: subject })).slice(0, 400))).toMatchObject(config);
    expect(routeByContent(JSON.stringify({ Type: 'Notification', MessageId: 'm', Message: { configurationItemDiff: { changedProperties: { big: 'x'.repeat(5000) } } } }).slice(0, HEAD_BYTES))).toMatchObject(config);
    const sorted = { Message: JSON.stringify({ ...change, configurationItemDiff: { changedProperties: { big: 'x'.repeat(5000) }, changeType: 'UPDATE' } }), MessageId: 'm', Type: 'Notification' };
    expect(routeByContent(JSON.stringify(sorted).slice(0, HEAD_BYTES))).toMatchObject(config);
  });

  it('routes a pretty-printed envelope and a JSON array of envelopes, and plain delivery notifications', () => {
    expect(routeByContent(JSON.stringify(sns(JSON.stringify(change, null, 2)), null, 2))).toMatchObject(config);
    expect(routeByContent(JSON.stringify([sns(delivered), sns(change)]))).toMatchObject(config);
    expect(routeByContent(JSON.stringify(delivered))).toMatchObject(config);
    expect(routeByContent(JSON.stringify(oversized))).toMatchObject(config);
  });

  it('reads heads cut anywhere, inside escapes too, and decides as soon as the Message shows its first key', () => {
    const text = JSON.stringify(sns({ ...change, configurationItemDiff: null }, { Subject: 'Config évènement \\ "quoted"' })).replace(/[éè]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
    expect(text).toContain('\\u00e9v\\u00e8nement');
    const decided = text.indexOf('{\\"configurationItemDiff\\":') + '{\\"configurationItemDiff\\":'.length + 1;
    for (let n = 0; n <= text.length; n++) {
      expect(parser.sniff(text.slice(0, n)), `cut at ${n}`).toBe(n >= decided);
    }
  });

  it('leaves CloudTrail files and other JSON alone', () => {
    const trailEvent = { eventVersion: '1.09', eventTime: '2024-03-05T10:00:00Z', eventSource: 'config.amazonaws.com', eventName: 'PutConfigurationRecorder', awsRegion: 'eu-west-1', requestParameters: { configurationRecorder: { name: 'default' } } };
    expect(routeByContent(JSON.stringify({ Records: [trailEvent] }))).toMatchObject({ kind: 'parse', parser: { id: 'cloudtrail' } });
    const others = [
      // CloudTrail's own SNS notification of a delivered log file
      sns({ s3Bucket: 'trail-bucket', s3ObjectKey: ['AWSLogs/123456789012/CloudTrail/eu-west-1/2024/03/05/x.json.gz'] }, { TopicArn: 'arn:aws:sns:eu-west-1:123456789012:config-and-trail' }),
      // an S3 event notification through SNS, on a topic named for Config
      sns({ Records: [{ eventSource: 'aws:s3', eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'config-bucket' }, object: { key: 'AWSLogs/123456789012/Config/x.json.gz' } } }] }, { TopicArn: 'arn:aws:sns:eu-west-1:123456789012:config-topic' }),
      // a subscription confirmation of a Config topic
      { Type: 'SubscriptionConfirmation', MessageId: 'm', TopicArn: 'arn:aws:sns:eu-west-1:123456789012:config-topic', Message: 'You have chosen to subscribe to the topic', SubscribeURL: 'https://sns.eu-west-1.amazonaws.com/' },
      // CloudWatch Logs subscription data: a messageType that is not Config's
      { messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/aws/lambda/config-poller', logStream: 's', subscriptionFilters: ['f'], logEvents: [{ id: '1', timestamp: 1709632975870, message: 'configurationItemDiff' }] },
      // a Config key nested inside some other document
      { report: { configurationItemDiff: { changeType: 'UPDATE' } }, messageType: 'Report' },
      { note: 'see \\"configurationItemDiff\\" and \\"messageType\\":\\"ConfigurationItemChangeNotification\\"' },
    ];
    for (const doc of others) {
      const text = JSON.stringify(doc);
      expect(parser.sniff(text), text.slice(0, 80)).toBe(false);
      expect(routeByContent(text).kind, text.slice(0, 80)).not.toBe('parse');
    }
  });
});

describe('config parser: notification frames of every message type', () => {
  const change = { configurationItemDiff: { changedProperties: {}, changeType: 'CREATE' }, configurationItem: ci, notificationCreationTime: '2024-03-05T10:03:00.000Z', messageType: 'ConfigurationItemChangeNotification', recordVersion: '1.3' };
  const envelope = (message: unknown): Record<string, unknown> => ({ Type: 'Notification', MessageId: 'm-1', TopicArn: 'arn:aws:sns:eu-west-1:123456789012:config-topic', Message: JSON.stringify(message) });

  it('gives the same record for a change notification as the worker path (configNotificationWork)', () => {
    const work = configNotificationWork(envelope(change));
    expect(work.kind).toBe('records');
    expect(parse(envelope(change))).toEqual({ ok: true, record: work.kind === 'records' ? work.records[0]?.record : null });
    expect(parse(change)).toEqual(parse(envelope(change)));
  });

  it('counts notifications that carry no item as control skips, enveloped or not', () => {
    for (const messageType of [
      'OversizedConfigurationItemChangeNotification',
      'ConfigurationSnapshotDeliveryCompleted',
      'ConfigurationHistoryDeliveryCompleted',
      'ConfigurationSnapshotDeliveryStarted',
      'ConfigurationSnapshotDeliveryFailed',
      'ComplianceChangeNotification',
      'ConfigRulesEvaluationStarted',
      'ScheduledNotification',
    ]) {
      const message = { s3Bucket: 'b', s3ObjectKey: 'k', notificationCreationTime: '2024-03-05T10:03:00.000Z', messageType, recordVersion: '1.1' };
      expect(parse(message), messageType).toEqual({ ok: 'skip', reason: 'control' });
      expect(parse(envelope(message)), messageType).toEqual({ ok: 'skip', reason: 'control' });
    }
  });

  it('rejects a messageType Config does not send, and a change notification without an item, as unknown_format', () => {
    expect(parse({ ...change, messageType: 'SomethingNew' })).toMatchObject({ ok: false, reason: 'unknown_format', detail: expect.stringContaining('SomethingNew') });
    const { configurationItem: _ci, ...noItem } = change;
    expect(parse(envelope(noItem))).toMatchObject({ ok: false, reason: 'unknown_format' });
  });
});
