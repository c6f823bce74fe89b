import { describe, expect, it } from 'vitest';
import { arnAccountRegion, controlCharAt, decimal, httpOutcome, percentDecode, splitRequest, unsigned } from '../../parsers/shared/access-log.js';
import { PARSERS } from '../../parsers/index.js';
import { splitHostPort } from '../../parsers/shared/ip.js';
import { parseClfTime, parseDateTimeUtc } from '../../parsers/shared/time.js';

describe('access-log helpers', () => {
  it('reads plain decimals only', () => {
    expect(decimal('0.000086')).toBe(0.000086);
    expect(decimal('-1')).toBe(-1);
    expect(decimal('4406583')).toBe(4406583);
    for (const bad of ['', '-', '1e3', '0x10', ' 1', '1.', '.5', '1.2.3', 'NaN']) expect(decimal(bad), bad).toBeNaN();
  });

  it('reads unsigned integers only', () => {
    expect(unsigned('000')).toBe(0);
    expect(unsigned('65535')).toBe(65535);
    for (const bad of ['', '-1', '2OO', '1.0', '1234567890123456']) expect(unsigned(bad), bad).toBeNaN();
  });

  it('finds raw control characters, optionally allowing tabs', () => {
    expect(controlCharAt('plain text')).toBe(-1);
    expect(controlCharAt('a\tb')).toBe(1);
    expect(controlCharAt('a\tb', true)).toBe(-1);
    expect(controlCharAt('ab\u007f')).toBe(2);
    expect(controlCharAt('ab\u0000', true)).toBe(2);
  });

  it('splits request lines at the first and last space', () => {
    expect(splitRequest('GET http://x/a b HTTP/1.1')).toEqual({ method: 'GET', url: 'http://x/a b', protocol: 'HTTP/1.1' });
    expect(splitRequest('- - -')).toEqual({ method: '-', url: '-', protocol: '-' });
    expect(splitRequest('GET /only')).toBeNull();
  });

  it('percent-decodes once and leaves invalid sequences as they are', () => {
    expect(percentDecode('Mozilla/5.0%20(X11)')).toBe('Mozilla/5.0 (X11)');
    expect(percentDecode('a%2520b')).toBe('a%20b');
    expect(percentDecode('bad%E2%28')).toBe('bad%E2%28');
    expect(percentDecode('a+b')).toBe('a+b');
  });

  it('derives the outcome from an HTTP status', () => {
    expect([httpOutcome(200), httpOutcome(101), httpOutcome(302), httpOutcome(404), httpOutcome(503), httpOutcome(0), httpOutcome(NaN)]).toEqual([
      'success',
      'success',
      'success',
      'failure',
      'failure',
      'unknown',
      'unknown',
    ]);
  });

  it('reads account and region from ARNs', () => {
    expect(arnAccountRegion('arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/t/73e2')).toEqual({ account: '123456789012', region: 'us-east-2' });
    expect(arnAccountRegion('arn:aws:s3:::bucket')).toEqual({ account: null, region: null });
    expect(arnAccountRegion('not-an-arn')).toEqual({ account: null, region: null });
  });
});

describe('splitHostPort (parsers/shared/ip.ts)', () => {
  it('splits IPv4, bracketed and unbracketed IPv6 addresses', () => {
    expect(splitHostPort('10.0.0.1:80')).toEqual({ ip: '10.0.0.1', port: 80 });
    expect(splitHostPort('[2001:db8::1]:443')).toEqual({ ip: '2001:db8::1', port: 443 });
    expect(splitHostPort('2601:6bbc:c529:9dad:6bbc:c529:9dad:6bbc:50599')).toEqual({ ip: '2601:6bbc:c529:9dad:6bbc:c529:9dad:6bbc', port: 50599 });
    expect(splitHostPort('fd6d:6bbc:c529:6::face:ed83:f46:80')).toEqual({ ip: 'fd6d:6bbc:c529:6::face:ed83:f46', port: 80 });
  });

  it('returns null for anything that is not an address with a port', () => {
    for (const bad of ['-', '10.0.0.1', '10.0.0.1:', '10.0.0.1:99999', 'host.example.com:80', '[2001:db8::1]', '10.0.0.1:8a']) expect(splitHostPort(bad), bad).toBeNull();
  });
});

describe('time helpers for access logs (parsers/shared/time.ts)', () => {
  it('parses the S3 Common Log Format time with its offset', () => {
    expect(parseClfTime('06/Feb/2019:00:00:38 +0000')).toBe(Date.UTC(2019, 1, 6, 0, 0, 38));
    expect(parseClfTime('06/Feb/2019:00:00:38 -0200')).toBe(Date.UTC(2019, 1, 6, 2, 0, 38));
    for (const bad of ['31/Feb/2019:00:00:38 +0000', '06/Fev/2019:00:00:38 +0000', '06/Feb/2019 00:00:38 +0000', '06/Feb/2019:00:00:38']) expect(parseClfTime(bad), bad).toBeNaN();
  });

  it('parses a W3C date and time pair', () => {
    expect(parseDateTimeUtc('2019-12-04', '21:02:31')).toBe(Date.UTC(2019, 11, 4, 21, 2, 31));
    expect(parseDateTimeUtc('2019-12-04', '24:00:00')).toBeNaN();
    expect(parseDateTimeUtc('2019-02-30', '00:00:00')).toBeNaN();
    expect(parseDateTimeUtc('-', '21:02:31')).toBeNaN();
  });
});

describe('screening of space-separated access-log lines', () => {
  it('rejects a line of spaces only the same way in every space-separated format', () => {
    for (const name of ['alb', 'elb', 'nlb', 's3access'] as const) {
      const parser = PARSERS.find((p) => p.id === name);
      const result = parser?.framing === 'lines' ? parser.parse('   ', { object: 'x', ordinal: 1, state: undefined }) : undefined;
      expect(result, name).toEqual({ ok: false, reason: 'field_count_mismatch', detail: 'a line of spaces only' });
    }
  });
});
