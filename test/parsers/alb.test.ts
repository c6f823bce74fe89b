import { describe, expect, it } from 'vitest';
import { parseAlbLine, parser } from '../../parsers/alb.js';
import type { EventFields } from '../../schema/index.js';

type Rec = EventFields & { fields: Record<string, string> };

const HTTPS =
  'https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337281-1d84f3d73c47ec4e58577259" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2018-07-02T22:22:48.364000Z "authenticate,forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90';

function record(line: string): Rec {
  const r = parseAlbLine(line);
  if (r.ok !== true) throw new Error(`expected a record, got ${JSON.stringify(r)}`);
  return { ...r.record, fields: r.record.fields ?? {} };
}

function reject(line: string): { reason: string; detail?: string } {
  const r = parseAlbLine(line);
  if (r.ok !== false) throw new Error(`expected a rejection, got ${JSON.stringify(r)}`);
  return r;
}

const replaceField = (line: string, index: number, value: string): string => {
  const parts = line.split(' ');
  parts[index] = value;
  return parts.join(' ');
};

describe('ALB parser', () => {
  it('maps an https line to the common schema', () => {
    const r = record(HTTPS);
    expect(r).toMatchObject({
      time: Date.UTC(2018, 6, 2, 22, 23, 0, 186),
      category: 'http_activity',
      account_id: '123456789012',
      region: 'us-east-2',
      action: 'GET',
      resource: 'https://www.example.com:443/',
      src_ip: '192.168.131.39',
      src_port: 2817,
      dst_ip: '10.0.0.1',
      dst_port: 80,
      user_agent: 'curl/7.46.0',
      status: '200',
      outcome: 'success',
      error: null,
      bytes_in: 0,
      bytes_out: 57,
      duration_ms: 171,
      request_id: 'Root=1-58337281-1d84f3d73c47ec4e58577259',
    });
    expect(r.fields).toEqual({
      type: 'https',
      elb: 'app/my-loadbalancer/50dc6c495c0c9188',
      request_processing_time: '0.086',
      target_processing_time: '0.048',
      response_processing_time: '0.037',
      target_status_code: '200',
      request_protocol: 'HTTP/1.1',
      ssl_cipher: 'ECDHE-RSA-AES128-GCM-SHA256',
      ssl_protocol: 'TLSv1.2',
      target_group_arn: 'arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067',
      domain_name: 'www.example.com',
      chosen_cert_arn: 'arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012',
      matched_rule_priority: '1',
      request_creation_time: '2018-07-02T22:22:48.364000Z',
      actions_executed: 'authenticate,forward',
      'target:port_list': '10.0.0.1:80',
      target_status_code_list: '200',
      conn_trace_id: 'TID_1234abcd5678ef90',
    });
  });

  it.each(['http', 'https', 'h2', 'grpcs', 'ws', 'wss'])('parses a %s line', (type) => {
    expect(record(replaceField(HTTPS, 0, type)).fields.type).toBe(type);
  });

  it('rejects an unknown request type as unknown_format', () => {
    expect(reject(replaceField(HTTPS, 0, 'invalid')).reason).toBe('unknown_format');
  });

  it('keeps a Lambda or never-dispatched request: target "-", processing times -1, duration null', () => {
    const line =
      'http 2021-03-17T18:54:14.216357Z app/awseb/7f0d 113.241.19.90:15070 - -1 -1 -1 400 - 0 272 "- http://lb.example.com:80- -" "-" - - - "-" "-" "-" - 2021-03-17T18:54:13.967000Z "-" "-" "-" "-" "-" "-" "-"';
    const r = record(line);
    expect(r).toMatchObject({ dst_ip: null, dst_port: null, duration_ms: null, status: '400', outcome: 'failure', action: null, resource: 'http://lb.example.com:80-', user_agent: null, request_id: null });
    expect(r.fields).toEqual({ type: 'http', elb: 'app/awseb/7f0d', request_processing_time: '-1', target_processing_time: '-1', response_processing_time: '-1', request_creation_time: '2021-03-17T18:54:13.967000Z' });
  });

  it('marks 5xx responses as failures and carries the Lambda error reason', () => {
    const line = HTTPS.replace(' 200 200 0 57 ', ' 502 - 0 57 ').replace('"authenticate,forward" "-" "-"', '"forward" "-" "LambdaInvalidResponse"');
    expect(record(line)).toMatchObject({ status: '502', outcome: 'failure', error: 'LambdaInvalidResponse' });
  });

  it('splits unbracketed IPv6 client and target addresses on the last colon', () => {
    const line = HTTPS.replace('192.168.131.39:2817 10.0.0.1:80', '2601:6bbc:c529:9dad:6bbc:c529:9dad:6bbc:50599 fd6d:6bbc:c529:6::face:ed83:f46:80');
    expect(record(line)).toMatchObject({ src_ip: '2601:6bbc:c529:9dad:6bbc:c529:9dad:6bbc', src_port: 50599, dst_ip: 'fd6d:6bbc:c529:6::face:ed83:f46', dst_port: 80 });
  });

  it('splits bracketed IPv6 addresses', () => {
    const line = HTTPS.replace('192.168.131.39:2817 10.0.0.1:80', '[fe80::202:b3ff:fe1e:8329]:443 [2001:db8::1]:80');
    expect(record(line)).toMatchObject({ src_ip: 'fe80::202:b3ff:fe1e:8329', src_port: 443, dst_ip: '2001:db8::1', dst_port: 80 });
  });

  it('keeps a client field that is not ip:port in fields instead of guessing', () => {
    const r = record(HTTPS.replace('192.168.131.39:2817', 'not-an-address'));
    expect(r.src_ip).toBeNull();
    expect(r.fields['client:port']).toBe('not-an-address');
  });

  it('keeps a URL with unencoded spaces whole', () => {
    const r = record(HTTPS.replace('"GET https://www.example.com:443/ HTTP/1.1"', '"GET https://www.example.com:443/a b/c HTTP/1.1"'));
    expect(r).toMatchObject({ action: 'GET', resource: 'https://www.example.com:443/a b/c' });
    expect(r.fields.request_protocol).toBe('HTTP/1.1');
  });

  it('keeps multiple targets and status codes of the list fields', () => {
    const r = record(HTTPS.replace('"10.0.0.1:80" "200"', '"10.0.0.1:80 10.0.0.2:80" "503 200"'));
    expect(r.fields['target:port_list']).toBe('10.0.0.1:80 10.0.0.2:80');
    expect(r.fields.target_status_code_list).toBe('503 200');
  });

  it('accepts a 2016 line that ends at trace_id: missing trailing fields are null', () => {
    const short = HTTPS.split(' ').slice(0, 20).join(' ');
    const r = record(short);
    expect(r.fields.domain_name).toBeUndefined();
    expect(r.error).toBeNull();
    expect(r.request_id).toBe('Root=1-58337281-1d84f3d73c47ec4e58577259');
  });

  it('maps the 2025 transform fields by name and keeps unknown trailing fields under positional names', () => {
    const r = record(`${HTTPS} "rewritten.example.com" "/new" "TransformSuccess" "future value" 42`);
    expect(r.fields).toMatchObject({ transformed_host: 'rewritten.example.com', transformed_uri: '/new', request_transform_status: 'TransformSuccess', field_34: 'future value', field_35: '42' });
  });

  it('treats a quoted or bare dash as null and leaves it out of fields', () => {
    const r = record(HTTPS);
    expect(r.fields.redirect_url).toBeUndefined();
    expect(r.fields.classification).toBeUndefined();
  });

  it('skips the "Enable AccessLog" control object with reason control', () => {
    expect(parseAlbLine('Enable AccessLog for ELB: app/elb-name/abc123456 at 2025-05-30T16:47:00.781Z')).toEqual({ ok: 'skip', reason: 'control' });
  });

  it('rejects a truncated line as field_count_mismatch', () => {
    expect(reject('http 2023-04-01T12:00:00Z alb').reason).toBe('field_count_mismatch');
  });

  it('rejects a line cut inside a quoted field as unterminated_quote', () => {
    expect(reject(HTTPS.slice(0, HTTPS.indexOf('HTTP/1.1'))).reason).toBe('unterminated_quote');
  });

  it('rejects non-numeric numbers as bad_number, naming the field', () => {
    expect(reject(replaceField(HTTPS, 10, 'lots'))).toMatchObject({ reason: 'bad_number', detail: expect.stringContaining('received_bytes') });
    expect(reject(replaceField(HTTPS, 5, '0.0.1')).reason).toBe('bad_number');
    expect(reject(replaceField(HTTPS, 8, '2OO')).reason).toBe('bad_number');
  });

  it('rejects a bad time as bad_timestamp', () => {
    expect(reject(replaceField(HTTPS, 1, '2018-13-02T22:23:00Z')).reason).toBe('bad_timestamp');
  });

  it('rejects a raw control character as control_character', () => {
    expect(reject(HTTPS.replace('curl/7.46.0', 'curl\u0000/7.46.0'))).toMatchObject({ reason: 'control_character', detail: expect.stringContaining('U+0000') });
  });

  it('routes ALB keys, not NLB or Classic ones', () => {
    const key = (lb: string): string => `AWSLogs/123456789012/elasticloadbalancing/us-east-2/2016/05/01/123456789012_elasticloadbalancing_us-east-2_${lb}_20140215T2340Z_172.160.001.192_20sg8hgm.log.gz`;
    const matches = (k: string): boolean => parser.keyPatterns.some((p) => p.test(k));
    expect(matches(key('app.my-loadbalancer.1234567890abcdef'))).toBe(true);
    expect(matches(`prefix/${key('app.my-loadbalancer.1234567890abcdef')}`)).toBe(true);
    expect(matches(key('net.my-loadbalancer.1234567890abcdef'))).toBe(false);
    expect(matches(key('my-loadbalancer'))).toBe(false);
  });

  it('recognizes ALB content and the ALB control object, and nothing else', () => {
    expect(parser.sniff(HTTPS)).toBe(true);
    expect(parser.sniff('Enable AccessLog for ELB: app/elb-name/abc at 2025-05-30T16:47:00.781Z')).toBe(true);
    expect(parser.sniff('{"Records":[{"eventVersion":"1.08","eventTime":"2018-07-02T22:23:00Z"}]}')).toBe(false);
    expect(parser.sniff('2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -')).toBe(false);
  });
});
