import { describe, expect, it } from 'vitest';
import { parseElbLine, parser } from '../../parsers/elb.js';
import type { EventFields } from '../../schema/index.js';

type Rec = EventFields & { fields: Record<string, string> };

const HTTP = '2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -';
const TCP = '2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.001069 0.000028 0.000041 - - 82 305 "- - - " "-" - -';
const SSL = '2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817 10.0.0.1:80 0.001065 0.000015 0.000023 - - 57 502 "- - - " "-" ECDHE-ECDSA-AES128-GCM-SHA256 TLSv1.2';

function record(line: string): Rec {
  const r = parseElbLine(line);
  if (r.ok !== true) throw new Error(`expected a record, got ${JSON.stringify(r)}`);
  return { ...r.record, fields: r.record.fields ?? {} };
}
const reason = (line: string): string | null => {
  const r = parseElbLine(line);
  return r.ok === false ? r.reason : null;
};

describe('Classic ELB parser', () => {
  it('maps an HTTP listener line', () => {
    const r = record(HTTP);
    expect(r).toMatchObject({
      time: Date.UTC(2015, 4, 13, 23, 39, 43, 945),
      category: 'http_activity',
      action: 'GET',
      resource: 'http://www.example.com:80/',
      src_ip: '192.168.131.39',
      src_port: 2817,
      dst_ip: '10.0.0.1',
      dst_port: 80,
      user_agent: 'curl/7.38.0',
      status: '200',
      outcome: 'success',
      bytes_in: 0,
      bytes_out: 29,
      duration_ms: 1.178,
    });
    expect(r.fields).toEqual({
      elb: 'my-loadbalancer',
      request_processing_time: '0.000073',
      backend_processing_time: '0.001048',
      response_processing_time: '0.000057',
      backend_status_code: '200',
      request_protocol: 'HTTP/1.1',
    });
  });

  it('maps a TCP listener line: no request, no status, outcome unknown', () => {
    const r = record(TCP);
    expect(r).toMatchObject({ action: null, resource: null, user_agent: null, status: null, outcome: 'unknown', bytes_in: 82, bytes_out: 305 });
    expect(r.fields).toEqual({ elb: 'my-loadbalancer', request_processing_time: '0.001069', backend_processing_time: '0.000028', response_processing_time: '0.000041' });
  });

  it('keeps the TLS fields of an SSL listener line', () => {
    expect(record(SSL).fields).toMatchObject({ ssl_cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256', ssl_protocol: 'TLSv1.2' });
  });

  it('accepts a 2014 line ending at the request (12 fields)', () => {
    const r = record(HTTP.slice(0, HTTP.indexOf(' "curl')));
    expect(r.user_agent).toBeNull();
    expect(r.action).toBe('GET');
  });

  it('keeps a backend "-" as null and a -1 processing time as a null duration', () => {
    const r = record(HTTP.replace('10.0.0.1:80 0.000073', '- -1').replace(' 200 200 ', ' 504 - '));
    expect(r).toMatchObject({ dst_ip: null, dst_port: null, duration_ms: null, status: '504', outcome: 'failure' });
  });

  it('splits IPv6 clients', () => {
    expect(record(HTTP.replace('192.168.131.39:2817', '2001:db8::7:2817'))).toMatchObject({ src_ip: '2001:db8::7', src_port: 2817 });
  });

  it('keeps unknown trailing fields under positional names', () => {
    expect(record(`${HTTP} extra`).fields.field_16).toBe('extra');
  });

  it('skips the control object, rejects other formats and broken lines with their reasons', () => {
    expect(parseElbLine('Enable AccessLog for ELB: my-loadbalancer at 2025-05-30T16:47:00.781Z')).toEqual({ ok: 'skip', reason: 'control' });
    expect(reason('http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - -')).toBe('unknown_format');
    expect(reason('2015-05-13T23:39:43.945958Z my-loadbalancer 192.168.131.39:2817')).toBe('field_count_mismatch');
    expect(reason(HTTP.replace('0.000073', 'abc'))).toBe('bad_number');
    expect(reason(HTTP.replace('"curl/7.38.0" - -', '"curl/7.38.0 - -'))).toBe('unterminated_quote');
    expect(reason(HTTP.replace('2015-05-13T23', '2015-05-32T23'))).toBe('bad_timestamp');
    expect(reason(HTTP.replace('curl', 'cu\u001brl'))).toBe('control_character');
  });

  it('routes Classic keys only', () => {
    const key = (lb: string): string => `AWSLogs/123456789012/elasticloadbalancing/us-west-2/2014/02/15/123456789012_elasticloadbalancing_us-west-2_${lb}_20140215T2340Z_172.160.001.192_20sg8hgm.log`;
    const matches = (k: string): boolean => parser.keyPatterns.some((p) => p.test(k));
    expect(matches(key('my-loadbalancer'))).toBe(true);
    expect(matches(key('app.my-loadbalancer.50dc6c495c0c9188'))).toBe(false);
    expect(matches(key('net.my-loadbalancer.50dc6c495c0c9188'))).toBe(false);
  });

  it('recognizes Classic content, not ALB or NLB lines', () => {
    expect(parser.sniff(HTTP)).toBe(true);
    expect(parser.sniff(TCP)).toBe(true);
    expect(parser.sniff('Enable AccessLog for ELB: my-loadbalancer at 2025-05-30T16:47:00.781Z')).toBe(true);
    expect(parser.sniff('Enable AccessLog for ELB: app/elb-name/abc at 2025-05-30T16:47:00.781Z')).toBe(false);
    expect(parser.sniff('https 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.086 0.048 0.037 200 200 0 57 "GET https://www.example.com:443/ HTTP/1.1"')).toBe(false);
  });
});
