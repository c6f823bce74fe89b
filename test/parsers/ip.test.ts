import { describe, expect, it } from 'vitest';
import { isIP, isIPv4, isIPv6 } from '../../parsers/shared/ip.js';

describe('ip recognition', () => {
  it('accepts IPv4 and IPv6 addresses', () => {
    for (const s of ['192.0.2.1', '0.0.0.0', '255.255.255.255']) expect(isIPv4(s), s).toBe(true);
    for (const s of ['2001:db8::7', '::1', '::', 'fe80::1:2:3:4', '2001:db8:85a3:0:0:8a2e:370:7334', '::ffff:192.0.2.1']) expect(isIPv6(s), s).toBe(true);
  });
  it('rejects host names, partial and malformed addresses', () => {
    for (const s of ['ec2.amazonaws.com', 'AWS Internal', '256.1.1.1', '1.2.3', '1.2.3.4.5', '1..2.3', '2001:db8:::1', '12345::', 'g::1', '1:2:3:4:5:6:7:8:9', '']) {
      expect(isIP(s), s).toBe(false);
    }
  });
});
