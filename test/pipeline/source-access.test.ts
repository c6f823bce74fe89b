/**
 * `LOGLAKE_SOURCE_ACCESS`: which account must own a bucket and which role reads a key, decided
 * from the bucket and key alone; a malformed document names what is wrong.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../pipeline/run/errors.js';
import { bucketOwner, parseSourceAccess, roleFor } from '../../pipeline/storage/source-access.js';

const ROLE = 'arn:aws:iam::444444444444:role/loglake-reader';
const DOC = {
  owner: '111111111111',
  buckets: { 'partner-logs': '333333333333', 'payer-reports': '444444444444' },
  roles: [
    { bucket: 'payer-reports', prefixes: ['cur/'], roleArn: ROLE, externalId: 'lake-111111111111' },
    { bucket: 'payer-reports', prefixes: ['cur/special/'], roleArn: 'arn:aws:iam::444444444444:role/special', externalId: null },
  ],
};
const access = parseSourceAccess(JSON.stringify(DOC), 'LOGLAKE_SOURCE_ACCESS');

describe('source access', () => {
  it('names the configured owner of another account bucket, else the deployment account', () => {
    expect(bucketOwner(access, 'partner-logs')).toBe('333333333333');
    expect(bucketOwner(access, 'payer-reports')).toBe('444444444444');
    expect(bucketOwner(access, 'same-account-logs')).toBe('111111111111');
    expect(bucketOwner(parseSourceAccess('{"buckets":{},"roles":[]}', 'V'), 'same-account-logs')).toBeNull();
  });

  it('picks the role of the longest configured prefix that starts the key, in that bucket only', () => {
    expect(roleFor(access, 'payer-reports', 'cur/2026/report.csv.gz')?.roleArn).toBe(ROLE);
    expect(roleFor(access, 'payer-reports', 'cur/special/x.csv')?.roleArn).toBe('arn:aws:iam::444444444444:role/special');
    expect(roleFor(access, 'payer-reports', 'other/x.csv')).toBeNull();
    expect(roleFor(access, 'partner-logs', 'cur/x.csv')).toBeNull();
    // A listing from a prefix inside the source is read by its role as well.
    expect(roleFor(access, 'payer-reports', 'cur/')?.externalId).toBe('lake-111111111111');
  });

  it('refuses a malformed document with the variable and the problem', () => {
    const bad = (doc: unknown): string => {
      try {
        parseSourceAccess(typeof doc === 'string' ? doc : JSON.stringify(doc), 'LOGLAKE_SOURCE_ACCESS');
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad('{')).toMatch(/^LOGLAKE_SOURCE_ACCESS: not valid JSON/);
    expect(bad({ owner: '12' })).toBe('LOGLAKE_SOURCE_ACCESS: owner must be a 12-digit account id, got "12"');
    expect(bad({ buckets: { b: 3 } })).toBe('LOGLAKE_SOURCE_ACCESS: buckets.b must be a 12-digit account id, got 3');
    expect(bad({ roles: [{ bucket: 'b', prefixes: [''], roleArn: 'arn:aws:iam::1:user/x' }] })).toBe(
      'LOGLAKE_SOURCE_ACCESS: roles[0].roleArn must be an IAM role ARN, got "arn:aws:iam::1:user/x"',
    );
    expect(bad({ roles: [{ bucket: 'b', prefixes: [], roleArn: ROLE }] })).toBe('LOGLAKE_SOURCE_ACCESS: roles[0].prefixes must be a non-empty array of key prefixes');
  });
});
