import { describe, expect, it } from 'vitest';
import { parseS3AccessLine, parser, requesterType } from '../../parsers/s3access.js';
import type { EventFields } from '../../schema/index.js';

type Rec = EventFields & { fields: Record<string, string> };

const OWNER = '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be';
const PUT = `${OWNER} amzn-s3-demo-bucket1 [06/Feb/2019:00:01:57 +0000] 192.0.2.3 arn:aws:iam::123456789012:user/alice DD6CC733AEXAMPLE REST.PUT.OBJECT reports/2019%20Q1.pdf "PUT /amzn-s3-demo-bucket1/reports/2019%20Q1.pdf HTTP/1.1" 200 - - 4406583 41754 28 "-" "aws-cli/2.15.0 Python/3.11.6 Linux/6.1" - 10S62Zv81kBW7BB6SX4XJ48o6kpcl6LPwEoizZQQxJd5qDSCTLX0TgS37kYUBKQW3+bPdrg1234= SigV4 ECDHE-RSA-AES128-SHA AuthHeader amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com TLSv1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes`;

function record(line: string): Rec {
  const r = parseS3AccessLine(line);
  if (r.ok !== true) throw new Error(`expected a record, got ${JSON.stringify(r)}`);
  return { ...r.record, fields: r.record.fields ?? {} };
}
const reason = (line: string): string | null => {
  const r = parseS3AccessLine(line);
  return r.ok === false ? r.reason : null;
};

describe('S3 server access log parser', () => {
  it('maps a PUT with every documented field', () => {
    const r = record(PUT);
    expect(r).toMatchObject({
      time: Date.UTC(2019, 1, 6, 0, 1, 57),
      category: 'http_activity',
      actor: 'arn:aws:iam::123456789012:user/alice',
      actor_type: 'IAMUser',
      action: 'REST.PUT.OBJECT',
      resource: 'amzn-s3-demo-bucket1/reports/2019 Q1.pdf',
      resource_type: 'AWS::S3::Object',
      src_ip: '192.0.2.3',
      user_agent: 'aws-cli/2.15.0 Python/3.11.6 Linux/6.1',
      status: '200',
      outcome: 'success',
      error: null,
      bytes_out: null,
      duration_ms: 41754,
      request_id: 'DD6CC733AEXAMPLE',
    });
    expect(r.fields).toEqual({
      bucket_owner: OWNER,
      bucket: 'amzn-s3-demo-bucket1',
      key: 'reports/2019%20Q1.pdf',
      request_uri: 'PUT /amzn-s3-demo-bucket1/reports/2019%20Q1.pdf HTTP/1.1',
      object_size: '4406583',
      turn_around_time: '28',
      host_id: '10S62Zv81kBW7BB6SX4XJ48o6kpcl6LPwEoizZQQxJd5qDSCTLX0TgS37kYUBKQW3+bPdrg1234=',
      signature_version: 'SigV4',
      cipher_suite: 'ECDHE-RSA-AES128-SHA',
      authentication_type: 'AuthHeader',
      host_header: 'amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com',
      tls_version: 'TLSv1.2',
      access_point_arn: 'arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP',
      acl_required: 'Yes',
    });
  });

  it('uses the bucket alone as the resource when the operation has no key', () => {
    const line = `${OWNER} awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] 192.0.2.3 ${OWNER} 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /awsexamplebucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" -`;
    expect(record(line)).toMatchObject({ resource: 'awsexamplebucket1', resource_type: 'AWS::S3::Bucket', actor_type: 'CanonicalUser', bytes_out: 113, duration_ms: 7 });
  });

  it('accepts an original 18-field line: later fields are null', () => {
    const line = PUT.split(' ').slice(0, 23).join(' ');
    const r = record(line);
    expect(r.fields.host_id).toBeUndefined();
    expect(r.fields.acl_required).toBeUndefined();
  });

  it('keeps fields added after aclRequired under positional names', () => {
    expect(record(`${PUT} us-east-1 ExtraUnknownField`).fields).toMatchObject({ field_27: 'us-east-1', field_28: 'ExtraUnknownField' });
  });

  it('ignores the trailing space some lines end with', () => {
    expect(record(`${PUT} `).fields.acl_required).toBe('Yes');
  });

  it('treats a bare or quoted dash Request-URI, referrer and user agent as null', () => {
    const r = record(PUT.replace('"PUT /amzn-s3-demo-bucket1/reports/2019%20Q1.pdf HTTP/1.1"', '-').replace('"aws-cli/2.15.0 Python/3.11.6 Linux/6.1"', '"-"'));
    expect(r.fields.request_uri).toBeUndefined();
    expect(r.user_agent).toBeNull();
  });

  it('marks S3 errors as failures with their error code', () => {
    const r = record(PUT.replace(' 200 - - ', ' 404 NoSuchKey 243 '));
    expect(r).toMatchObject({ status: '404', error: 'NoSuchKey', outcome: 'failure', bytes_out: 243 });
  });

  it('reads an IPv6 remote address and leaves a non-IP one in fields', () => {
    expect(record(PUT.replace('192.0.2.3', '2001:db8::4')).src_ip).toBe('2001:db8::4');
    const r = record(PUT.replace(' 192.0.2.3 ', ' - '));
    expect(r.src_ip).toBeNull();
    expect(r.fields.remote_ip).toBeUndefined();
  });

  it('applies the time zone offset of the time field', () => {
    expect(record(PUT.replace('+0000]', '+0130]')).time).toBe(Date.UTC(2019, 1, 5, 22, 31, 57));
  });

  it('names the kind of requester', () => {
    expect(requesterType('-')).toBe('Anonymous');
    expect(requesterType('arn:aws:sts::123456789012:assumed-role/Admin/session')).toBe('AssumedRole');
    expect(requesterType('arn:aws:iam::123456789012:root')).toBe('Root');
    expect(requesterType('svc:delivery.logs.amazonaws.com')).toBe('AWSService');
    expect(requesterType('AmazonS3')).toBe('AWSService');
    expect(requesterType(OWNER)).toBe('CanonicalUser');
    expect(requesterType('someone')).toBeNull();
  });

  it('rejects broken lines with their reasons', () => {
    expect(reason(`WRONG FORMAT ${PUT}`)).toBe('unknown_format');
    expect(reason(PUT.split(' ').slice(0, 12).join(' '))).toBe('field_count_mismatch');
    expect(reason(PUT.replace('[06/Feb/2019:00:01:57 +0000]', '[06/Foo/2019:00:01:57 +0000]'))).toBe('bad_timestamp');
    expect(reason(PUT.replace('[06/Feb/2019:00:01:57 +0000]', '[06/Feb/2019:00:01:57 +0000'))).toBe('unterminated_quote');
    expect(reason(PUT.replace('"aws-cli', '"aws-cli" x"'))).toBe('unterminated_quote');
    expect(reason(PUT.replace('"aws-cli/2.15.0 Python/3.11.6 Linux/6.1"', '"aws-cli/2.15.0'))).toBe('unterminated_quote');
    expect(reason(PUT.replace(' 4406583 ', ' 44O6583 '))).toBe('bad_number');
    expect(reason(PUT.replace(' 200 - - ', ' OK - - '))).toBe('bad_number');
    expect(reason(PUT.replace('aws-cli', 'aws\u0008cli'))).toBe('control_character');
  });

  it('routes both key layouts, whatever the prefix', () => {
    const matches = (k: string): boolean => parser.keyPatterns.some((p) => p.test(k));
    expect(matches('logs/2019-02-06-00-00-38-5B4A8C2F9E1D3A7B')).toBe(true);
    expect(matches('my-access-logs2019-02-06-00-00-38-5B4A8C2F9E1D3A7B')).toBe(true);
    expect(matches('logs/123456789012/us-west-1/amzn-s3-demo-bucket1/2019/02/06/2019-02-06-00-00-38-5B4A8C2F9E1D3A7B')).toBe(true);
    expect(matches('AWSLogs/123456789012/CloudTrail/us-east-1/2019/02/06/123456789012_CloudTrail_us-east-1_20190206T0000Z_abc.json.gz')).toBe(false);
  });

  it('recognizes S3 access log content and not the other access logs', () => {
    expect(parser.sniff(PUT)).toBe(true);
    expect(parser.sniff(`- amzn-s3-demo-bucket1 [06/Feb/2019:00:01:57 +0000] - AmazonS3 A1B2C3D4E5 S3.EXPIRE.OBJECT key - - - - - - - - - -`)).toBe(true);
    expect(parser.sniff('https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc 192.168.131.39:2817 10.0.0.1:80')).toBe(false);
    expect(parser.sniff('#Version: 1.0\n#Fields: date time x-edge-location')).toBe(false);
    expect(parser.sniff(`WRONG FORMAT ${PUT}`)).toBe(false);
  });
});
