import { describe, expect, it } from 'vitest';
import { digest, parser } from '../../parsers/cloudtrail.js';
import type { ParseContext, ParseResult } from '../../parsers/types.js';
import type { EventFields } from '../../schema/index.js';

const ctx: ParseContext = { object: 'test', ordinal: 1, state: undefined };
const base = {
  eventVersion: '1.09',
  eventTime: '2024-05-01T10:00:00Z',
  eventSource: 'iam.amazonaws.com',
  eventName: 'CreateUser',
  awsRegion: 'us-east-1',
  sourceIPAddress: '198.51.100.1',
  userAgent: 'aws-cli/2.15',
  eventID: 'e-1',
  recipientAccountId: '111122223333',
};

function parse(event: Record<string, unknown>): ParseResult {
  return parser.parse(JSON.parse(JSON.stringify(event)), ctx);
}

function record(event: Record<string, unknown>): EventFields {
  const r = parse(event);
  if (r.ok !== true) throw new Error(`expected a record, got ${JSON.stringify(r)}`);
  return r.record;
}

describe('cloudtrail parser: identities', () => {
  const cases: Array<[string, Record<string, unknown>, string | null, string]> = [
    ['Root', { type: 'Root', principalId: '111122223333', arn: 'arn:aws:iam::111122223333:root', accountId: '111122223333' }, 'arn:aws:iam::111122223333:root', 'Root'],
    ['IAMUser', { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', userName: 'alice' }, 'arn:aws:iam::111122223333:user/alice', 'IAMUser'],
    ['IAMUser without arn (failed sign-in)', { type: 'IAMUser', accountId: '111122223333', userName: 'mallory' }, 'mallory', 'IAMUser'],
    ['AssumedRole', { type: 'AssumedRole', arn: 'arn:aws:sts::111122223333:assumed-role/deploy/s1', sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::111122223333:role/deploy' } } }, 'arn:aws:sts::111122223333:assumed-role/deploy/s1', 'AssumedRole'],
    ['FederatedUser', { type: 'FederatedUser', arn: 'arn:aws:sts::111122223333:federated-user/carol' }, 'arn:aws:sts::111122223333:federated-user/carol', 'FederatedUser'],
    ['AWSService', { type: 'AWSService', invokedBy: 'config.amazonaws.com' }, 'config.amazonaws.com', 'AWSService'],
    ['AWSAccount', { type: 'AWSAccount', principalId: 'AIDAX', accountId: '444455556666' }, '444455556666', 'AWSAccount'],
    ['IdentityCenterUser', { type: 'IdentityCenterUser', accountId: '111122223333', onBehalfOf: { userId: 'u-123', identityStoreArn: 'arn:aws:identitystore::1:identitystore/d-1' } }, 'u-123', 'IdentityCenterUser'],
  ];
  for (const [name, identity, actor, type] of cases) {
    it(`maps a ${name} identity to actor ${actor} / ${type}`, () => {
      const r = record({ ...base, userIdentity: identity });
      expect(r.actor).toBe(actor);
      expect(r.actor_type).toBe(type);
      expect(JSON.parse(r.fields?.userIdentity as string)).toEqual(identity);
    });
  }
  it('leaves actor null when there is no userIdentity', () => {
    expect(record(base)).toMatchObject({ actor: null, actor_type: null });
  });
});

describe('cloudtrail parser: mapping', () => {
  it('maps the core columns', () => {
    expect(record({ ...base, userIdentity: { type: 'IAMUser', arn: 'a' } })).toMatchObject({
      time: Date.UTC(2024, 4, 1, 10, 0, 0),
      category: 'api_activity',
      account_id: '111122223333',
      region: 'us-east-1',
      action: 'CreateUser',
      src_ip: '198.51.100.1',
      user_agent: 'aws-cli/2.15',
      request_id: 'e-1',
      outcome: 'success',
      status: null,
      error: null,
    });
  });

  it('puts an IPv6 source address in src_ip', () => {
    expect(record({ ...base, sourceIPAddress: '2001:db8::7' }).src_ip).toBe('2001:db8::7');
  });

  it('keeps a service name source in fields, not in src_ip', () => {
    const r = record({ ...base, sourceIPAddress: 'ec2.amazonaws.com' });
    expect(r.src_ip).toBeNull();
    expect(r.fields?.sourceIPAddress).toBe('ec2.amazonaws.com');
  });

  it('marks an errorCode as failure with code and message', () => {
    expect(record({ ...base, errorCode: 'AccessDenied', errorMessage: 'not authorized' })).toMatchObject({
      outcome: 'failure',
      status: 'AccessDenied',
      error: 'AccessDenied: not authorized',
    });
  });

  it('marks a failed ConsoleLogin as failure and a successful one as success', () => {
    const login = { ...base, eventName: 'ConsoleLogin', errorMessage: 'Failed authentication' };
    expect(record({ ...login, responseElements: { ConsoleLogin: 'Failure' } })).toMatchObject({ outcome: 'failure', status: 'Failure', error: 'Failed authentication' });
    expect(record({ ...base, eventName: 'ConsoleLogin', responseElements: { ConsoleLogin: 'Success' } })).toMatchObject({ outcome: 'success', status: 'Success' });
  });

  it('takes the resource from resources[] first', () => {
    const r = record({ ...base, resources: [{ type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::b/k' }, { ARN: 'arn:aws:s3:::b' }], requestParameters: { bucketName: 'other' } });
    expect(r).toMatchObject({ resource: 'arn:aws:s3:::b/k', resource_type: 'AWS::S3::Object' });
  });

  it('derives the resource from the request when resources[] is absent', () => {
    expect(record({ ...base, requestParameters: { bucketName: 'b', key: 'a/b.txt' } })).toMatchObject({ resource: 'b/a/b.txt', resource_type: 'AWS::S3::Object' });
    expect(record({ ...base, requestParameters: { bucketName: 'b' } })).toMatchObject({ resource: 'b', resource_type: 'AWS::S3::Bucket' });
    expect(record({ ...base, requestParameters: { userName: 'bob' } })).toMatchObject({ resource: 'bob', resource_type: 'AWS::IAM::User' });
    expect(record({ ...base, eventSource: 'example.amazonaws.com', requestParameters: { userName: 'bob' } })).toMatchObject({ resource: 'bob', resource_type: null });
    expect(record({ ...base, requestParameters: { instancesSet: { items: [{ instanceId: 'i-1' }] } } }).resource).toBe('i-1');
    expect(record({ ...base, requestParameters: { instancesSet: { items: [{ imageId: 'ami-1' }] } }, responseElements: { instancesSet: { items: [{ instanceId: 'i-2' }] } } }).resource).toBe('i-2');
  });

  it('keeps nested objects as JSON text and scalars as text in fields, nulls out', () => {
    const r = record({ ...base, requestParameters: { a: { b: [1, 2] } }, readOnly: false, responseElements: null, apiVersion: '2012' });
    expect(r.fields).toEqual({
      eventVersion: '1.09',
      eventSource: 'iam.amazonaws.com',
      requestParameters: '{"a":{"b":[1,2]}}',
      readOnly: 'false',
      apiVersion: '2012',
    });
  });

  it('takes bytes from additionalEventData of S3 data events', () => {
    expect(record({ ...base, additionalEventData: { bytesTransferredIn: 10, bytesTransferredOut: '2048' } })).toMatchObject({ bytes_in: 10, bytes_out: 2048 });
  });

  it('turns an Insights event into a record with outcome unknown', () => {
    const r = record({
      eventVersion: '1.08',
      eventTime: '2024-05-01T11:00:00Z',
      awsRegion: 'us-east-1',
      eventID: 'i-1',
      eventType: 'AwsCloudTrailInsight',
      recipientAccountId: '111122223333',
      insightDetails: { state: 'Start', eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', insightType: 'ApiCallRateInsight' },
      eventCategory: 'Insight',
    });
    expect(r).toMatchObject({ action: 'RunInstances', status: 'Start', outcome: 'unknown', account_id: '111122223333' });
    expect(JSON.parse(r.fields?.insightDetails as string)).toMatchObject({ insightType: 'ApiCallRateInsight' });
  });

  it('unwraps a CloudWatch Logs subscription message and a lookup-events item', () => {
    expect(record({ id: '1', timestamp: 1, message: JSON.stringify(base) }).action).toBe('CreateUser');
    expect(record({ EventId: 'x', CloudTrailEvent: JSON.stringify(base) }).action).toBe('CreateUser');
  });
});

describe('cloudtrail parser: rejections', () => {
  it('rejects a non-object as not_an_object', () => {
    expect(parser.parse([1, 2], ctx)).toMatchObject({ ok: false, reason: 'not_an_object' });
    expect(parser.parse('text', ctx)).toMatchObject({ ok: false, reason: 'not_an_object' });
  });
  it('rejects a missing or malformed eventTime as bad_timestamp', () => {
    expect(parse({ eventName: 'X' })).toMatchObject({ ok: false, reason: 'bad_timestamp', detail: 'eventTime is missing' });
    expect(parse({ eventName: 'X', eventTime: '2024-02-30T00:00:00Z' })).toMatchObject({ ok: false, reason: 'bad_timestamp' });
  });
  it('rejects an embedded event that is not JSON as invalid_json', () => {
    expect(parse({ id: '1', message: '{oops' })).toMatchObject({ ok: false, reason: 'invalid_json' });
  });
});

describe('cloudtrail routing', () => {
  it('matches documented log and Insights keys, including organization trails', () => {
    const keys = [
      'AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T1010Z_abc.json.gz',
      'prefix/AWSLogs/o-abc123def4/111122223333/CloudTrail/eu-west-1/2024/05/01/x.json.gz',
      'AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2024/05/01/x.json.gz',
    ];
    for (const k of keys) expect(parser.keyPatterns.some((p) => p.test(k)), k).toBe(true);
    expect(parser.keyPatterns.some((p) => p.test('AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/x.json.gz'))).toBe(false);
    expect(digest.keyPatterns.some((p) => p.test('AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/x.json.gz'))).toBe(true);
  });
  it('sniffs CloudTrail content and digest content apart', () => {
    expect(parser.sniff('{"Records":[{"eventVersion":"1.09","eventTime":"x"')).toBe(true);
    expect(parser.sniff('{"eventVersion":"1.09","userIdentity":{},"eventTime":"x"}')).toBe(true);
    expect(parser.sniff('192.0.2.1 - - [01/May/2024] "GET / HTTP/1.1" 200')).toBe(false);
    expect(digest.sniff('{"awsAccountId":"1","digestStartTime":"a","digestEndTime":"b"')).toBe(true);
    expect(parser.sniff('{"awsAccountId":"1","digestStartTime":"a","digestEndTime":"b"')).toBe(false);
  });
});

describe('cloudtrail schema drift', () => {
  it('counts an event with an undocumented top-level key as drift, once per event', () => {
    const c: ParseContext = { object: 'test', ordinal: 1, state: undefined, drift: 0 };
    expect(parser.parse(base, c)).toMatchObject({ ok: true });
    expect(c.drift).toBe(0);
    const r = parser.parse({ ...base, brandNewField: { a: 1 }, anotherNew: 'x' }, c);
    expect(r).toMatchObject({ ok: true, record: { fields: { brandNewField: '{"a":1}', anotherNew: 'x' } } });
    expect(c.drift).toBe(1);
  });
});
