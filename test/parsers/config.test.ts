import { describe, expect, it } from 'vitest';
import { normalizeConfigurationItem, parser, writabilityCheck } from '../../parsers/config.js';
import type { ParseContext, ParseResult } from '../../parsers/types.js';
import type { EventFields } from '../../schema/index.js';
import { routeByContent, routeByKey } from '../../pipeline/route.js';

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
