/**
 * Schema drift: a frame carrying fields its parser version does not know is still a record, and
 * is counted once in `ctx.drift` so a format change shows up as a metric, not as an outage.
 */
import { describe, expect, it } from 'vitest';
import { parser as alb } from '../../parsers/alb.js';
import { parser as cloudfront, type CloudFrontState } from '../../parsers/cloudfront.js';
import { parser as elb } from '../../parsers/elb.js';
import { parser as nlb } from '../../parsers/nlb.js';
import { parser as s3access } from '../../parsers/s3access.js';
import type { LineParser, ParseContext } from '../../parsers/types.js';

const LINES = {
  alb: 'https 2024-05-01T10:00:00.000000Z app/web/50dc6c495c0c9188 192.0.2.10:2817 10.0.0.1:80 0.001 0.002 0.000 200 200 34 366 "GET https://shop.example.com:443/ HTTP/1.1" "curl/8.5.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/web/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "shop.example.com" "arn:aws:acm:us-east-1:111122223333:certificate/12345678-1234-1234-1234-123456789012" 0 2024-05-01T10:00:00.000000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234 "-" "-" "-"',
  elb: '2024-05-01T10:00:00.000000Z web 192.0.2.10:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/8.5.0" - -',
  nlb: 'tls 2.0 2024-05-01T10:00:00 net/my-network-loadbalancer/c6e77e28c25b2234 g3d4b5e8bb8464cd 72.21.218.154:51341 172.100.100.185:443 5 2 98 246 - arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99 - ECDHE-RSA-AES128-SHA tlsv12 - my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com - - - 2024-05-01T09:59:58',
  s3access: '79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [01/May/2024:10:00:00 +0000] 192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.VERSIONING - "GET /awsexamplebucket1?versioning HTTP/1.1" 200 - 113 - 7 - "-" "S3Console/0.4" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSV1.2 arn:aws:s3:us-west-1:123456789012:accesspoint/example-AP Yes',
} as const;

function ctx(): ParseContext {
  return { object: 'test', ordinal: 1, state: undefined, drift: 0 };
}

describe('schema drift in access logs', () => {
  const cases: Array<[string, LineParser, string]> = [
    ['alb', alb, LINES.alb],
    ['elb', elb, LINES.elb],
    ['nlb', nlb, LINES.nlb],
    ['s3access', s3access, LINES.s3access],
  ];
  for (const [name, p, line] of cases) {
    it(`${name}: a known layout is no drift; a trailing unknown field is a record and one drift`, () => {
      const c = ctx();
      expect(p.parse(line, c)).toMatchObject({ ok: true });
      expect(c.drift).toBe(0);
      const r = p.parse(`${line} "brand-new-value"`, c);
      expect(r.ok).toBe(true);
      expect(c.drift).toBe(1);
      const fields = r.ok === true ? (r.record.fields ?? {}) : {};
      expect(Object.entries(fields).some(([k, v]) => k.startsWith('field_') && v.includes('brand-new-value'))).toBe(true);
    });
  }

  it('cloudfront: a #Fields list naming an unknown field makes every line drift', () => {
    const state = cloudfront.createState?.() as CloudFrontState;
    const c: ParseContext<CloudFrontState> = { object: 'test', ordinal: 1, state, drift: 0 };
    const known = '#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken';
    const line = '2024-05-01\t10:00:00\tLAX1\t2390\t192.0.2.1\tGET\td111111abcdef8.cloudfront.net\t/index.html\t200\t-\tcurl/8.5.0\t-\t-\tHit\tSOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==\td111111abcdef8.cloudfront.net\thttps\t23\t0.001';
    expect(cloudfront.header?.(known, c.state)).toBe(true);
    expect(cloudfront.parse(line, c)).toMatchObject({ ok: true });
    expect(c.drift).toBe(0);
    expect(cloudfront.header?.(`${known} x-brand-new`, c.state)).toBe(true);
    expect(cloudfront.parse(`${line}\tnew-value`, c)).toMatchObject({ ok: true, record: { fields: { 'x-brand-new': 'new-value' } } });
    expect(c.drift).toBe(1);
  });
});
