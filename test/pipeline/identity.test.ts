import { describe, expect, it } from 'vitest';
import { accountRegionFromKey, accountRegionSegment, dayFromKey, DayFormatter, errorsKey, keySegment, lakeKey, manifestKey, MAX_KEY_SEGMENT, objectId, recordId } from '../../pipeline/run/identity.js';

describe('identity', () => {
  it('derives a stable object id from bucket and key, not from the version', () => {
    const a = objectId({ bucket: 'b', key: 'k' });
    expect(a).toMatch(/^[0-9a-f]{20}$/);
    expect(objectId({ bucket: 'b', key: 'k', versionId: 'v2' })).toBe(a);
    expect(objectId({ bucket: 'b2', key: 'k' })).not.toBe(a);
    expect(objectId({ bucket: 'b', key: 'k2' })).not.toBe(a);
    expect(objectId({ bucket: 'bk', key: '' })).not.toBe(objectId({ bucket: 'b', key: 'k' }));
  });

  it('names outputs as DESIGN.md lays them out', () => {
    expect(lakeKey('alb', '2024-05-01', '111122223333', 'eu-west-1', 'abc', 3)).toBe('lake/source=alb/dt=2024-05-01/111122223333_eu-west-1_abc_0003.parquet');
    expect(errorsKey('alb', '2024-05-01', 'abc')).toBe('errors/source=alb/dt=2024-05-01/abc.jsonl.gz');
    expect(manifestKey('alb', 'abc')).toBe('manifests/alb/abc.json');
    expect(recordId('abc', 7)).toBe('abc-7');
  });

  it('makes key segments safe and falls back for missing values', () => {
    expect(keySegment('us-east-1', 'x')).toBe('us-east-1');
    expect(keySegment('a/b c', 'x')).toBe('a-b-c');
    expect(keySegment(null, 'unknown')).toBe('unknown');
  });

  it('falls back for a value too long to be an account or a region, so a damaged one cannot make an impossible file name', () => {
    expect(accountRegionSegment('1'.repeat(MAX_KEY_SEGMENT), 'unknown')).toBe('1'.repeat(MAX_KEY_SEGMENT));
    expect(accountRegionSegment('1'.repeat(MAX_KEY_SEGMENT + 1), 'unknown')).toBe('unknown');
  });

  it('reads account and region from AWSLogs keys, organization trails included', () => {
    expect(accountRegionFromKey('p/AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/f.json.gz')).toEqual({ account: '111122223333', region: 'eu-west-1' });
    expect(accountRegionFromKey('AWSLogs/o-abc123/111122223333/CloudTrail/us-gov-west-1/2024/05/01/f')).toEqual({ account: '111122223333', region: 'us-gov-west-1' });
    expect(accountRegionFromKey('logs/2024/05/01/f.gz')).toEqual({ account: null, region: null });
    expect(dayFromKey('AWSLogs/1/CloudTrail/r/2024/05/01/f')).toBe('2024-05-01');
    expect(dayFromKey('flat-key')).toBeNull();
  });

  it('formats UTC days, across day boundaries and before 1970', () => {
    const f = new DayFormatter();
    expect(f.format(Date.UTC(2024, 4, 1, 23, 59, 59, 999))).toBe('2024-05-01');
    expect(f.format(Date.UTC(2024, 4, 2))).toBe('2024-05-02');
    expect(f.format(Date.UTC(2024, 4, 1, 12))).toBe('2024-05-01');
    expect(f.format(Date.UTC(1969, 11, 31, 12))).toBe('1969-12-31');
  });
});
