import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MessageError } from '../../pipeline/run/errors.js';
import { decodeNotification, encodeWorkerMessage, type Notification } from '../../pipeline/messages/notifications.js';
import { CORPUS, corpusMissingReason, corpusPresent, requireCorpusInCi } from '../helpers/corpus.js';
import { cloudTrailNotification, configDeliveryCompleted, configItemChange, eventBridgeObjectCreated, s3Event, s3Record, s3TestEvent, snsEnvelope } from '../helpers/notifications.js';

function objectsOf(n: Notification): Array<Record<string, unknown>> {
  if (n.kind !== 'objects') throw new Error(`expected objects, got ${n.kind}`);
  return n.objects.map((o) => ({ ...o }));
}

function decodeError(body: string, id = 'msg-1'): MessageError {
  try {
    decodeNotification(body, id);
  } catch (e) {
    if (e instanceof MessageError) return e;
    throw e;
  }
  throw new Error('expected a MessageError');
}

describe('decodeNotification: S3 event notifications', () => {
  it('decodes URL-encoded keys with + as space, and every record of the message', () => {
    const n = decodeNotification(s3Event('logs', ['a b/c+d/é.json.gz', 'AWSLogs/x.log'], { versionId: 'v1', eventTime: '2024-05-01T10:00:00.000Z' }), 'm');
    expect(n).toMatchObject({ kind: 'objects', shape: 's3-event', sns: false, skippedRecords: 0 });
    expect(objectsOf(n)).toEqual([
      { bucket: 'logs', key: 'a b/c+d/é.json.gz', versionId: 'v1', eventTimeMs: Date.parse('2024-05-01T10:00:00.000Z') },
      { bucket: 'logs', key: 'AWSLogs/x.log', versionId: 'v1', eventTimeMs: Date.parse('2024-05-01T10:00:00.000Z') },
    ]);
  });

  it('skips records that announce no new object and ignores a message of only those', () => {
    const mixed = JSON.stringify({ Records: [s3Record('b', 'gone', { eventName: 'ObjectRemoved:Delete' }), s3Record('b', 'new')] });
    expect(decodeNotification(mixed, 'm')).toMatchObject({ kind: 'objects', skippedRecords: 1, objects: [{ key: 'new' }] });
    const removed = JSON.stringify({ Records: [s3Record('b', 'gone', { eventName: 'ObjectRemoved:Delete' })] });
    expect(decodeNotification(removed, 'm')).toEqual({ kind: 'ignore', shape: 's3-event', sns: false, reason: 's3-event-without-new-objects' });
  });

  it('acknowledges S3 test events, raw or inside SNS', () => {
    expect(decodeNotification(s3TestEvent('b'), 'm')).toEqual({ kind: 'ignore', shape: 's3-test-event', sns: false, reason: 's3-test-event' });
    expect(decodeNotification(snsEnvelope(s3TestEvent('b')), 'm')).toMatchObject({ kind: 'ignore', shape: 's3-test-event', sns: true });
  });

  it('rejects a key that is not valid URL encoding as invalid_message', () => {
    const body = JSON.stringify({ Records: [{ ...s3Record('b', 'x'), s3: { bucket: { name: 'b' }, object: { key: 'bad%E2%28' } } }] });
    const e = decodeError(body);
    expect(e.code).toBe('invalid_message');
    expect(e.message).toBe('message msg-1: Records[0]: object key is not valid URL encoding: "bad%E2%28"');
  });

  it('rejects Records that are not S3 event records as unknown_shape', () => {
    expect(decodeError(JSON.stringify({ Records: [{ eventVersion: '1.09', eventName: 'ConsoleLogin' }] })).code).toBe('unknown_shape');
  });
});

describe('decodeNotification: SNS envelopes', () => {
  it('unwraps a Message given as a JSON string or as an object, as the documentation prints it', () => {
    const inner = s3Event('b', ['k']);
    expect(decodeNotification(snsEnvelope(inner), 'm')).toMatchObject({ kind: 'objects', sns: true, objects: [{ bucket: 'b', key: 'k' }] });
    const asObject = JSON.stringify({ ...JSON.parse(snsEnvelope('x')), Message: JSON.parse(inner) });
    expect(decodeNotification(asObject, 'm')).toMatchObject({ kind: 'objects', sns: true });
  });

  it('acknowledges subscription confirmations and rejects a Message that is not JSON', () => {
    const confirmation = JSON.stringify({ Type: 'SubscriptionConfirmation', MessageId: 'x', TopicArn: 'arn:aws:sns:us-east-1:1:t', Message: 'You have chosen to subscribe', SubscribeURL: 'https://example' });
    expect(decodeNotification(confirmation, 'm')).toMatchObject({ kind: 'ignore', shape: 'sns-subscription' });
    expect(decodeError(snsEnvelope('not json')).code).toBe('invalid_json');
  });

  it('never takes a loglake message from inside an SNS envelope', () => {
    const own = encodeWorkerMessage({ loglake: 'replay', v: 1, objects: [{ bucket: 'b', key: 'k' }] });
    expect(decodeError(snsEnvelope(own)).code).toBe('unknown_shape');
  });
});

describe('decodeNotification: CloudTrail, EventBridge, Config', () => {
  it("reads CloudTrail's s3ObjectKey array as plain keys", () => {
    const n = decodeNotification(snsEnvelope(cloudTrailNotification('trail', ['AWSLogs/1/CloudTrail/a b.json.gz', 'k2'])), 'm');
    expect(n).toMatchObject({ kind: 'objects', shape: 'cloudtrail', sns: true });
    expect(objectsOf(n)).toEqual([
      { bucket: 'trail', key: 'AWSLogs/1/CloudTrail/a b.json.gz' },
      { bucket: 'trail', key: 'k2' },
    ]);
    expect(decodeError(cloudTrailNotification('trail', [])).code).toBe('invalid_message');
  });

  it('reads an EventBridge Object Created key as it is, and acknowledges other detail types', () => {
    const n = decodeNotification(eventBridgeObjectCreated('b', 'a+b%20c d'), 'm');
    expect(n).toMatchObject({ kind: 'objects', shape: 'eventbridge', objects: [{ bucket: 'b', key: 'a+b%20c d' }] });
    expect(decodeNotification(eventBridgeObjectCreated('b', 'k', 'Object Deleted'), 'm')).toEqual({ kind: 'ignore', shape: 'eventbridge', sns: false, reason: 'eventbridge-object-deleted' });
  });

  it('reads object references from Config deliveries and oversized changes, and hands item changes on whole', () => {
    const key = 'AWSLogs/1/Config/us-east-2/2024/5/1/ConfigHistory/1_Config_us-east-2_ConfigHistory_AWS::EC2::Instance_20240501T1Z_20240501T2Z_1.json.gz';
    expect(objectsOf(decodeNotification(snsEnvelope(configDeliveryCompleted('cfg', key, 'ConfigurationHistoryDeliveryCompleted')), 'm'))).toEqual([
      { bucket: 'cfg', key, eventTimeMs: Date.parse('2024-05-01T18:39:39.853Z') },
    ]);
    const oversized = JSON.stringify({
      configurationItemSummary: { changeType: 'UPDATE', resourceType: 'AWS::EC2::Instance' },
      s3DeliverySummary: { s3BucketLocation: 'my-bucket/AWSLogs/1/Config/us-west-2/2016/10/6/OversizedChangeNotification/x.json.gz', errorCode: null, errorMessage: null },
      notificationCreationTime: '2016-10-06T16:46:16.261Z',
      messageType: 'OversizedConfigurationItemChangeNotification',
      recordVersion: '1.0',
    });
    expect(objectsOf(decodeNotification(snsEnvelope(oversized), 'm'))).toMatchObject([{ bucket: 'my-bucket', key: 'AWSLogs/1/Config/us-west-2/2016/10/6/OversizedChangeNotification/x.json.gz' }]);
    const envelope = snsEnvelope(configItemChange());
    const change = decodeNotification(envelope, 'sqs-id');
    expect(change).toMatchObject({ kind: 'config-item', shape: 'config', sns: true, notificationId: (JSON.parse(envelope) as { MessageId: string }).MessageId });
  });

  it('rejects an unknown Config messageType as unknown_shape', () => {
    const e = decodeError(snsEnvelope(JSON.stringify({ messageType: 'SomethingNew', notificationCreationTime: '2024-05-01T00:00:00Z' })));
    expect(e.code).toBe('unknown_shape');
    expect(e.message).toContain('"SomethingNew"');
  });

  describe.skipIf(!corpusPresent)(`AWS documentation examples in the shared corpus${corpusPresent ? '' : ` (skipped: ${corpusMissingReason})`}`, () => {
    requireCorpusInCi();
    const read = (name: string): string => readFileSync(join(CORPUS, 'config', name), 'utf8');
    it('decodes each Config SNS example to objects, an inline item, or an acknowledgement', () => {
      const kinds = Object.fromEntries(
        [
          'awsdocs-archive_sns-ConfigurationHistoryDeliveryCompleted.json',
          'awsdocs-archive_sns-ConfigurationSnapshotDeliveryCompleted.json',
          'awsdocs-archive_sns-ConfigurationSnapshotDeliveryStarted.json',
          'awsdocs-archive_sns-ComplianceChangeNotification.json',
          'awsdocs-archive_sns-ConfigurationItemChangeNotification-volume.json',
          'awsdocs-archive_sns-ConfigurationItemChangeNotification-instance-relationship.json',
          'awsdocs-archive_sns-ConfigurationItemChangeNotification-securitygroup-relationship.json',
        ].map((f) => [f.replace('awsdocs-archive_sns-', ''), decodeNotification(read(f), 'm').kind]),
      );
      expect(kinds).toEqual({
        'ConfigurationHistoryDeliveryCompleted.json': 'objects',
        'ConfigurationSnapshotDeliveryCompleted.json': 'objects',
        'ConfigurationSnapshotDeliveryStarted.json': 'ignore',
        'ComplianceChangeNotification.json': 'ignore',
        'ConfigurationItemChangeNotification-volume.json': 'config-item',
        'ConfigurationItemChangeNotification-instance-relationship.json': 'config-item',
        'ConfigurationItemChangeNotification-securitygroup-relationship.json': 'config-item',
      });
      const history = decodeNotification(read('awsdocs-archive_sns-ConfigurationHistoryDeliveryCompleted.json'), 'm');
      expect(objectsOf(history)[0]).toMatchObject({
        bucket: 'config-bucket-123456789012-ohio',
        key: 'AWSLogs/123456789012/Config/us-east-2/2016/9/27/ConfigHistory/123456789012_Config_us-east-2_ConfigHistory_AWS::CloudTrail::Trail_20160927T195818Z_20160927T195818Z_1.json.gz',
      });
    });
  });
});

describe("decodeNotification: the project's own messages", () => {
  it('reads replay messages with optional versions and pinned formats', () => {
    const body = encodeWorkerMessage({ loglake: 'replay', v: 1, objects: [{ bucket: 'b', key: 'k', versionId: 'v', format: 'alb' }, { bucket: 'b', key: 'k2' }] });
    expect(decodeNotification(body, 'm')).toEqual({
      kind: 'objects',
      shape: 'replay',
      sns: false,
      skippedRecords: 0,
      objects: [{ bucket: 'b', key: 'k', versionId: 'v', format: 'alb' }, { bucket: 'b', key: 'k2' }],
    });
  });

  it('reads a continuation with its resume point, ETag and format', () => {
    const body = encodeWorkerMessage({ loglake: 'continuation', v: 1, bucket: 'b', key: 'k', etag: '"e"', format: 'cloudtrail', resume: { ordinal: 120, part: 2 } });
    expect(objectsOf(decodeNotification(body, 'm'))).toEqual([{ bucket: 'b', key: 'k', etag: '"e"', format: 'cloudtrail', resume: { ordinal: 120, part: 2, first_dt: null } }]);
    // The day of the object's first record travels along, so rejects of every run share one partition.
    const withDay = encodeWorkerMessage({ loglake: 'continuation', v: 1, bucket: 'b', key: 'k', format: 'cloudtrail', resume: { ordinal: 120, part: 2, first_dt: '2024-05-01' } });
    expect(objectsOf(decodeNotification(withDay, 'm'))[0]?.resume).toEqual({ ordinal: 120, part: 2, first_dt: '2024-05-01' });
  });

  it('rejects malformed own messages as invalid_message', () => {
    expect(decodeError('{"loglake":"replay","v":1,"objects":[]}').code).toBe('invalid_message');
    expect(decodeError('{"loglake":"replay","v":2,"objects":[{"bucket":"b","key":"k"}]}').message).toBe('message msg-1: loglake message version 2 is not supported (expected 1)');
    expect(decodeError('{"loglake":"continuation","v":1,"bucket":"b","key":"k","format":"alb","resume":{"ordinal":5,"part":0}}').code).toBe('invalid_message');
    expect(decodeError('{"loglake":"continuation","v":1,"bucket":"b","key":"k","resume":{"ordinal":5,"part":1}}').message).toContain('needs the format');
  });
});

describe('decodeNotification: unknown shapes', () => {
  it('names the message id and what came, for anything else', () => {
    const e = decodeError('{"hello":"world","n":1}', 'abc-123');
    expect(e.code).toBe('unknown_shape');
    expect(e.message).toBe('message abc-123: unknown notification shape; top-level keys: "hello, n"');
    expect(decodeError('[1,2]').code).toBe('unknown_shape');
    expect(decodeError('not json at all').code).toBe('invalid_json');
  });
});
