import { describe, expect, it } from 'vitest';
import { routeByContent, routeByKey } from '../../pipeline/route/route.js';

describe('routing', () => {
  it('routes by documented key names first', () => {
    expect(routeByKey('AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/x.json.gz')).toMatchObject({ kind: 'parse', by: 'key', parser: { id: 'cloudtrail' } });
    expect(routeByKey('AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/x.json.gz')).toEqual({ kind: 'ignore', name: 'cloudtrail-digest', by: 'key' });
    expect(routeByKey('some/custom/prefix/file.gz')).toBeNull();
  });

  it('falls back to content, and reports unknown instead of guessing', () => {
    expect(routeByContent('{"Records":[{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z"')).toMatchObject({ kind: 'parse', by: 'content', parser: { id: 'cloudtrail' } });
    expect(routeByContent('{"awsAccountId":"1","digestStartTime":"x","digestEndTime":"y"}')).toEqual({ kind: 'ignore', name: 'cloudtrail-digest', by: 'content' });
    expect(routeByContent('hello world\n')).toEqual({ kind: 'unknown' });
    expect(routeByContent('')).toEqual({ kind: 'unknown' });
  });
});
