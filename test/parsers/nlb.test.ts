import { describe, expect, it } from 'vitest';
import { parseNlbLine, parser } from '../../parsers/nlb.js';
import type { EventFields } from '../../schema/index.js';

type Rec = EventFields & { fields: Record<string, string> };

const V2 =
  'tls 2.0 2020-04-01T08:51:42 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99 - ECDHE-RSA-AES128-SHA tlsv12 - my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com h2 h2 "h2","http/1.1" 2020-04-01T08:51:20';

function record(line: string): Rec {
  const r = parseNlbLine(line);
  if (r.ok !== true) throw new Error(`expected a record, got ${JSON.stringify(r)}`);
  return { ...r.record, fields: r.record.fields ?? {} };
}
const reason = (line: string): string | null => {
  const r = parseNlbLine(line);
  return r.ok === false ? r.reason : null;
};

describe('NLB parser', () => {
  it('maps a TLS connection to network_activity', () => {
    const r = record(V2);
    expect(r).toMatchObject({
      time: Date.UTC(2020, 3, 1, 8, 51, 42),
      category: 'network_activity',
      action: 'tls',
      resource: 'listener/net/my-network-loadbalancer/c6e77e28c25b2234/g3d4b5e8bb8464cd',
      resource_type: 'AWS::ElasticLoadBalancingV2::Listener',
      src_ip: '72.21.218.154',
      src_port: 51341,
      dst_ip: '172.100.100.185',
      dst_port: 443,
      status: null,
      outcome: 'success',
      bytes_in: 98,
      bytes_out: 246,
      duration_ms: 5,
    });
    expect(r.fields).toEqual({
      type: 'tls',
      version: '2.0',
      elb: 'net/my-network-loadbalancer/c6e77e28c25b2234',
      listener: 'g3d4b5e8bb8464cd',
      tls_handshake_time: '2',
      chosen_cert_arn: 'arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99',
      tls_cipher: 'ECDHE-RSA-AES128-SHA',
      tls_protocol_version: 'tlsv12',
      domain_name: 'my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com',
      alpn_fe_protocol: 'h2',
      alpn_be_protocol: 'h2',
      alpn_client_preference_list: '"h2","http/1.1"',
      tls_connection_creation_time: '2020-04-01T08:51:20',
    });
  });

  it('accepts a version 1.0 line without ALPN fields', () => {
    const v1 = V2.replace('tls 2.0', 'tls 1.0').split(' ').slice(0, 18).join(' ');
    const r = record(v1);
    expect(r.fields.version).toBe('1.0');
    expect(r.fields.alpn_fe_protocol).toBeUndefined();
  });

  it('marks a connection whose handshake never completed as a failure with its TLS alert', () => {
    const r = record(V2.replace(' 5 2 98 246 - ', ' 3 - 0 0 40 '));
    expect(r).toMatchObject({ outcome: 'failure', status: '40' });
    expect(r.fields.tls_handshake_time).toBeUndefined();
  });

  it('splits IPv6 addresses', () => {
    expect(record(V2.replace('72.21.218.154:51341', '2001:db8::1:51341'))).toMatchObject({ src_ip: '2001:db8::1', src_port: 51341 });
  });

  it('keeps unknown trailing fields under positional names', () => {
    expect(record(`${V2} newfield`).fields.field_23).toBe('newfield');
  });

  it('rejects broken lines with their reasons', () => {
    expect(reason(V2.replace('tls 2.0', 'tcp 2.0'))).toBe('unknown_format');
    expect(reason('tls 2.0 2020-04-01T08:51:42 net/x/y')).toBe('field_count_mismatch');
    expect(reason(V2.replace(' 98 246 ', ' 98 x46 '))).toBe('bad_number');
    expect(reason(V2.replace('2020-04-01T08:51:42', '2020-04-01 08:51'))).toBe('bad_timestamp');
    expect(reason(V2.replace('"h2","http/1.1"', '"h2'))).toBe('unterminated_quote');
    expect(reason(V2.replace('tlsv12', 'tls\u0007v12'))).toBe('control_character');
    expect(parseNlbLine('Enable AccessLog for ELB: net/my-nlb/abc at 2025-05-30T16:47:00.781Z')).toEqual({ ok: 'skip', reason: 'control' });
  });

  it('routes net. keys and recognizes NLB content only', () => {
    const key = 'AWSLogs/123456789012/elasticloadbalancing/us-east-2/2020/04/01/123456789012_elasticloadbalancing_us-east-2_net.my-network-loadbalancer.c6e77e28c25b2234_20200401T0855Z_8f3a1b2c.log.gz';
    expect(parser.keyPatterns.some((p) => p.test(key))).toBe(true);
    expect(parser.keyPatterns.some((p) => p.test(key.replace('_net.', '_app.')))).toBe(false);
    expect(parser.sniff(V2)).toBe(true);
    expect(parser.sniff('http 2018-07-02T22:23:00.186641Z app/my-loadbalancer/50dc 192.168.131.39:2817 10.0.0.1:80')).toBe(false);
  });
});
