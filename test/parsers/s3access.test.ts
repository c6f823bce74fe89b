import { describe, expect, it } from 'vitest';
import { decodeS3Key, parseS3AccessLine, parser, requesterType, S3_ACCESS_FIELDS } from '../../parsers/s3access.js';
import type { ParseContext } from '../../parsers/types.js';
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

  it('accepts an 18-field line (through Version Id): later fields are absent', () => {
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

/**
 * Every documented field of one line, in order, as written (quoted fields with their quotes), so a
 * line of any historical length is `LAYOUT.slice(0, n).join(' ')`.
 */
const LAYOUT = [
  OWNER,
  'amzn-s3-demo-bucket1',
  '[06/Feb/2009:00:01:57 +0000]',
  '192.0.2.3',
  OWNER,
  '3E57427F3EXAMPLE',
  'REST.GET.OBJECT',
  'photos/puppy.jpg',
  '"GET /amzn-s3-demo-bucket1/photos/puppy.jpg HTTP/1.1"',
  '200',
  '-',
  '2662992',
  '3462992',
  '70',
  '10',
  '"https://example.com/"',
  '"curl/7.15.1"',
  '3HL4kqtJvjVBH40Nrjfkd',
  's9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234=',
  'SigV4',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'AuthHeader',
  'amzn-s3-demo-bucket1.s3.us-west-1.amazonaws.com',
  'TLSv1.2',
  'arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP',
  'Yes',
] as const;
const layout = (n: number): string => LAYOUT.slice(0, n).join(' ');
/** What each appended field's value is in `fields`, by its documented name. */
const APPENDED = S3_ACCESS_FIELDS.slice(17);

describe('S3 server access log lines of every historical length', () => {
  it('lays out the 26 documented fields', () => {
    expect(LAYOUT).toHaveLength(S3_ACCESS_FIELDS.length);
    expect(S3_ACCESS_FIELDS[16]).toBe('user_agent');
  });

  it('accepts the original lines that end at User-Agent (17 fields, before Version Id existed)', () => {
    const r = record(layout(17));
    expect(r).toMatchObject({ user_agent: 'curl/7.15.1', resource: 'amzn-s3-demo-bucket1/photos/puppy.jpg', status: '200', duration_ms: 70 });
    expect(r.fields).toEqual({
      bucket_owner: OWNER,
      bucket: 'amzn-s3-demo-bucket1',
      request_uri: 'GET /amzn-s3-demo-bucket1/photos/puppy.jpg HTTP/1.1',
      object_size: '3462992',
      turn_around_time: '10',
      referer: 'https://example.com/',
    });
  });

  it('accepts a 17-field line ending with a space or a bare - user agent', () => {
    expect(record(`${layout(17)} `).user_agent).toBe('curl/7.15.1');
    expect(record(layout(17).replace('"curl/7.15.1"', '-')).user_agent).toBeNull();
  });

  for (let n = 18; n <= LAYOUT.length; n++) {
    it(`accepts a ${n}-field line: fields up to ${S3_ACCESS_FIELDS[n - 1]} are read, later ones absent`, () => {
      const fields = record(layout(n)).fields;
      for (const [i, name] of APPENDED.entries()) {
        const at = 17 + i;
        if (at < n) expect(fields[name], name).toBe(LAYOUT[at]);
        else expect(fields[name], name).toBeUndefined();
      }
    });
  }

  it('reads no field of a longer line parsed before a shorter one (the token buffer is reused)', () => {
    const ctx: ParseContext = { object: 'test', ordinal: 1, state: undefined };
    expect(parser.parse(layout(26), ctx).ok).toBe(true);
    const r = parser.parse(layout(17), ctx);
    expect(r.ok === true && r.record.fields).toEqual(record(layout(17)).fields);
    expect(ctx.drift ?? 0).toBe(0);
  });

  it('rejects a line that stops before User-Agent, saying how many fields it had and what the minimum is', () => {
    for (let n = 4; n <= 16; n++) {
      const r = parseS3AccessLine(layout(n));
      expect(r, `${n} fields`).toMatchObject({ ok: false, reason: 'field_count_mismatch' });
      expect(r.ok === false && r.detail).toBe(`${n} fields, an S3 access-log line has at least the 17 fields through User-Agent`);
    }
  });
});

/** A REST line whose Key field is `key` as logged, with the Request-URI left as it was. */
const withKey = (key: string, operation = 'REST.GET.OBJECT'): string => {
  const fields: string[] = [...LAYOUT];
  fields[6] = operation;
  fields[7] = key;
  return fields.join(' ');
};
const resourceOf = (key: string, operation?: string): string | null | undefined => record(withKey(key, operation)).resource;

describe('S3 access-log object keys', () => {
  it('decodes the space S3 logs as %2B in a REST key (real SignalFx line: the Request-URI has %20 where the Key has %2B)', () => {
    const r = record(withKey('WhatsApp%2BImage%2B2020-07-05%2Bat%2B18.34.43.jpeg', 'REST.PUT.OBJECT'));
    expect(r.resource).toBe('amzn-s3-demo-bucket1/WhatsApp Image 2020-07-05 at 18.34.43.jpeg');
    expect(r.fields.key).toBe('WhatsApp%2BImage%2B2020-07-05%2Bat%2B18.34.43.jpeg');
  });

  it('decodes a plus, a percent sign and UTF-8 characters logged in two layers', () => {
    expect(resourceOf('notes/C%252B%252B%2Bprimer.txt')).toBe('amzn-s3-demo-bucket1/notes/C++ primer.txt');
    expect(resourceOf('sale/50%2525%2Boff.html')).toBe('amzn-s3-demo-bucket1/sale/50% off.html');
    expect(resourceOf('caf%25C3%25A9/na%25C3%25AFve%2B%25E8%25B3%2587%25E6%2596%2599.pdf')).toBe('amzn-s3-demo-bucket1/café/naïve 資料.pdf');
  });

  it('decodes keys logged in one layer: %20 or a bare + for a space, %XX UTF-8', () => {
    expect(resourceOf('reports/2019%20Q1.pdf')).toBe('amzn-s3-demo-bucket1/reports/2019 Q1.pdf');
    expect(resourceOf('Screen+Shot+2024-05-01.png')).toBe('amzn-s3-demo-bucket1/Screen Shot 2024-05-01.png');
    expect(resourceOf('caf%C3%A9.txt')).toBe('amzn-s3-demo-bucket1/café.txt');
  });

  it('decodes the %2520 spaces of batch deletes and lifecycle records', () => {
    const batch = record(withKey('old%2520reports/2019%2520Q1%252B.pdf', 'BATCH.DELETE.OBJECT'));
    expect(batch.resource).toBe('amzn-s3-demo-bucket1/old reports/2019 Q1+.pdf');
    expect(batch.fields.key).toBe('old%2520reports/2019%2520Q1%252B.pdf');
    expect(resourceOf('logs/caf%25C3%25A9%2520menu.txt', 'S3.EXPIRE.OBJECT')).toBe('amzn-s3-demo-bucket1/logs/café menu.txt');
    expect(resourceOf('tmp/a%2520b', 'S3.TRANSITION_SIA.OBJECT')).toBe('amzn-s3-demo-bucket1/tmp/a b');
  });

  it('keeps a key with a malformed escape as logged, still a record', () => {
    for (const key of ['bad%zz.txt', 'fifty%', 'half%2', 'latin1-caf%E9.txt', 'broken%C3%28.txt', 'second-layer%25zz', 'second-layer%25FF', 'lone%2525%25']) {
      const r = parseS3AccessLine(withKey(key));
      expect(r.ok, key).toBe(true);
      if (r.ok !== true) continue;
      expect(r.record.resource, key).toBe(`amzn-s3-demo-bucket1/${key}`);
      expect(r.record.fields?.key, key).toBeUndefined();
    }
  });

  it('leaves a key without % or + alone and stores no copy of it', () => {
    const r = record(withKey('images/products/1042/hero.jpg'));
    expect(r.resource).toBe('amzn-s3-demo-bucket1/images/products/1042/hero.jpg');
    expect(r.fields.key).toBeUndefined();
  });

  it('keeps the Request-URI exactly as logged', () => {
    const uri = 'GET /amzn-s3-demo-bucket1/caf%C3%A9%20menu+1.txt?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20190902%2Fus-east-1 HTTP/1.1';
    const r = record(withKey('caf%25C3%25A9%2Bmenu%252B1.txt').replace('"GET /amzn-s3-demo-bucket1/photos/puppy.jpg HTTP/1.1"', `"${uri}"`));
    expect(r.resource).toBe('amzn-s3-demo-bucket1/café menu+1.txt');
    expect(r.fields.request_uri).toBe(uri);
  });

  it('decodes keys with the function the parser uses, which never throws', () => {
    expect(decodeS3Key('a%2Bb')).toBe('a b');
    expect(decodeS3Key('a%252Bb')).toBe('a+b');
    expect(decodeS3Key('%')).toBe('%');
    expect(decodeS3Key('plain')).toBe('plain');
  });
});
