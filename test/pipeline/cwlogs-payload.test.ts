/**
 * Decoding subscription payloads, the log-group map and the virtual objects events become
 * (pipeline/formats/cwlogs-payload.ts): pure, no lake.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseCwlogsObjectName } from '../../parsers/index.js';
import {
  DEFAULT_LOG_GROUP_MAP,
  VirtualObjects,
  decodeSubscriptionEvent,
  looksLikePayload,
  parseLogGroupMap,
  readPayload,
  routeLogGroup,
  validateLogGroupMap,
  virtualObject,
  type DataPayload,
} from '../../pipeline/formats/cwlogs-payload.js';
import { ConfigError, MessageError } from '../../pipeline/run/errors.js';

const ID = (n: number): string => `3757412960000000000000000000000000000000000000000000${String(n).padStart(4, '0')}`;

/** A data payload as CloudWatch Logs writes it (field order included). */
function payload(over: Partial<Record<string, unknown>> = {}): Record<string, unknown> {
  return {
    messageType: 'DATA_MESSAGE',
    owner: '111122223333',
    logGroup: '/aws/lambda/orders',
    logStream: '2024/05/01/[$LATEST]0f1e2d3c',
    subscriptionFilters: ['loglake'],
    logEvents: [
      { id: ID(1), timestamp: 1714607998120, message: 'START RequestId: 8f6a\n' },
      { id: ID(2), timestamp: 1714607998530, message: 'Traceback:\n  File "app.py"\nKeyError' },
    ],
    ...over,
  };
}
const lambdaEvent = (value: unknown): unknown => ({ awslogs: { data: gzipSync(JSON.stringify(value)).toString('base64') } });
const data = (p: Record<string, unknown>): DataPayload => {
  const r = readPayload(p);
  if (!('kind' in r) || r.kind !== 'data') throw new Error(JSON.stringify(r));
  return r;
};

function messageError(fn: () => unknown): MessageError {
  try {
    fn();
  } catch (e) {
    if (e instanceof MessageError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('decodeSubscriptionEvent', () => {
  it('decodes the awslogs.data of a Lambda invocation: base64, gzip, JSON', () => {
    const p = decodeSubscriptionEvent(lambdaEvent(payload()));
    expect(p).toMatchObject({ kind: 'data', owner: '111122223333', logGroup: '/aws/lambda/orders', subscriptionFilters: ['loglake'] });
    expect(p.kind === 'data' ? p.logEvents.map((e) => e.id) : []).toEqual([ID(1), ID(2)]);
  });

  it('decodes the AWS documentation example (the CloudTrail payload of the Lambda event reference)', () => {
    const doc = {
      awslogs: {
        data: 'H4sIAAAAAAAAAHWPwQqCQBCGX0Xm7EFtK+smZBEUgXoLCdMhFtKV3akI8d0bLYmibvPPN3wz00CJxmQnTO41whwWQRIctmEcB6sQbFC3CjW3XW8kxpOpP+OC22d1Wml1qZkQGtoMsScxaczKN3plG8zlaHIta5KqWsozoTYw3/djzwhpLwivWFGHGpAFe7DL68JlBUk+l7KSN7tCOEJ4M3/qOI49vMHj+zCKdlFqLaU2ZHV2a4Ct/an0/ivdX8oYc1UVX860fQDQiMdxRQEAAA==',
      },
    };
    const p = decodeSubscriptionEvent(doc);
    expect(p).toMatchObject({ kind: 'data', owner: '123456789123', logGroup: 'testLogGroup', logStream: 'testLogStream', subscriptionFilters: ['testFilter'] });
    expect(p.kind === 'data' ? p.logEvents.length : 0).toBe(2);
  });

  it('knows a CONTROL_MESSAGE', () => {
    const control = { messageType: 'CONTROL_MESSAGE', owner: 'CloudwatchLogs', logGroup: '', logStream: '', subscriptionFilters: [], logEvents: [{ id: '', timestamp: 1, message: 'CWL CONTROL MESSAGE: Checking health of destination Lambda.' }] };
    expect(decodeSubscriptionEvent(lambdaEvent(control))).toEqual({ kind: 'control', logGroup: '' });
  });

  it('says which layer is wrong, as a MessageError', () => {
    expect(messageError(() => decodeSubscriptionEvent({ Records: [] }))).toMatchObject({ code: 'unknown_shape', message: expect.stringContaining('top-level keys: Records') });
    expect(messageError(() => decodeSubscriptionEvent({ awslogs: {} })).code).toBe('unknown_shape');
    expect(messageError(() => decodeSubscriptionEvent({ awslogs: { data: 'not base64!' } }))).toMatchObject({ code: 'invalid_message', message: expect.stringContaining('not base64') });
    expect(messageError(() => decodeSubscriptionEvent({ awslogs: { data: '' } })).message).toContain('not base64');
    expect(messageError(() => decodeSubscriptionEvent({ awslogs: { data: Buffer.from('{"plain":"json"}').toString('base64') } }))).toMatchObject({
      code: 'invalid_message',
      message: expect.stringContaining('base64 but not gzip'),
    });
    expect(messageError(() => decodeSubscriptionEvent({ awslogs: { data: gzipSync('{"cut":').toString('base64') } }))).toMatchObject({
      code: 'invalid_json',
      message: expect.stringContaining('gunzipped awslogs.data is not JSON'),
    });
    expect(messageError(() => decodeSubscriptionEvent(lambdaEvent({ messageType: 'DATA_MESSAGE', owner: '1' })))).toMatchObject({
      code: 'invalid_message',
      message: expect.stringMatching(/logGroup: is required.*logStream: is required.*logEvents: is required/),
    });
    expect(messageError(() => decodeSubscriptionEvent(lambdaEvent(payload({ messageType: 'OTHER' })))).message).toContain('messageType must be DATA_MESSAGE or CONTROL_MESSAGE');
    expect(messageError(() => decodeSubscriptionEvent(lambdaEvent([payload()]))).message).toContain('a payload is a JSON object');
  });

  it('accepts base64 wrapped over lines', () => {
    const b64 = gzipSync(JSON.stringify(payload())).toString('base64');
    const wrapped = b64.replace(/(.{76})/g, '$1\n');
    expect(decodeSubscriptionEvent({ awslogs: { data: wrapped } }).kind).toBe('data');
  });
});

describe('readPayload', () => {
  it('checks only the envelope: odd events reach their parser, which rejects them with a reason', () => {
    const p = readPayload(payload({ logEvents: [{ id: 7, timestamp: 'x', message: 1 }, { id: 'a', timestamp: 1, message: 'ok' }] }));
    expect(p).toMatchObject({ kind: 'data', logEvents: [{ id: '7', timestamp: 'x', message: 1 }, { id: 'a' }] });
  });

  it('refuses names with ":" (CloudWatch Logs never writes them, and names of virtual objects rely on it)', () => {
    expect(readPayload(payload({ logGroup: 'a:b' }))).toMatchObject({ reason: 'missing_field', detail: expect.stringContaining('logGroup: must not contain ":"') });
    expect(readPayload(payload({ logEvents: [{ id: '1:2', timestamp: 1, message: 'x' }] }))).toMatchObject({ detail: expect.stringContaining('logEvents[0].id') });
  });

  it('says what is wrong with an event list or entry', () => {
    expect(readPayload(payload({ logEvents: 'x' }))).toMatchObject({ reason: 'missing_field', detail: expect.stringContaining('logEvents: must be an array of events') });
    expect(readPayload(payload({ logEvents: [null] }))).toMatchObject({ detail: expect.stringContaining('logEvents[0]: must be an object') });
    expect(readPayload('text')).toMatchObject({ reason: 'not_an_object' });
  });
});

describe('looksLikePayload', () => {
  it('is true for the head of a data or control payload only', () => {
    expect(looksLikePayload(JSON.stringify(payload()).slice(0, 200))).toBe(true);
    expect(looksLikePayload('  {"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":""')).toBe(true);
    expect(looksLikePayload('{"Records":[{"eventVersion":"1.08"}]}')).toBe(false);
    expect(looksLikePayload('{"messageType":"ConfigurationItemChangeNotification","logGroup":"x"}')).toBe(false);
    expect(looksLikePayload('2024-05-01T10:00:00Z {"messageType":"DATA_MESSAGE","logGroup":"x"}')).toBe(false);
  });
});

describe('the log-group map', () => {
  const map = parseLogGroupMap(
    JSON.stringify({
      logGroups: [
        { name: '/aws/lambda/orders', format: 'cwlogs' },
        { pattern: '/aws/rds/instance/*/error', format: 'cloudtrail' },
        { pattern: '/aws/vpc/**', format: 'cloudtrail', header: '${version} ${interface-id} ${srcaddr} ${dstaddr}' },
        { prefix: 'aws-cloudtrail-logs-1111', format: 'cwlogs' },
      ],
      region: 'eu-west-1',
    }),
    'test',
  );
  const formatOf = (group: string): string | null => routeLogGroup(map, group)?.format ?? null;

  it('matches exact names, globs (* within a segment, ** across) and prefixes; first match wins', () => {
    expect(formatOf('/aws/lambda/orders')).toBe('cwlogs');
    expect(formatOf('/aws/lambda/orders2')).toBeNull();
    expect(formatOf('/aws/rds/instance/db-1/error')).toBe('cloudtrail');
    expect(formatOf('/aws/rds/instance/db/1/error')).toBeNull();
    expect(formatOf('/aws/vpc/flowlogs/prod/eu')).toBe('cloudtrail');
    expect(formatOf('aws-cloudtrail-logs-111122223333-abc')).toBe('cwlogs');
    expect(map.region).toBe('eu-west-1');
  });

  it('ends with the built-in entries whose format is registered (CloudTrail console names)', () => {
    expect(formatOf('aws-cloudtrail-logs-222233334444-0a1b2c3d')).toBe('cloudtrail');
    expect(routeLogGroup(DEFAULT_LOG_GROUP_MAP, 'aws-cloudtrail-logs-222233334444-0a1b2c3d')?.format).toBe('cloudtrail');
    expect(routeLogGroup(DEFAULT_LOG_GROUP_MAP, '/aws/lambda/anything')).toBeNull();
    expect(DEFAULT_LOG_GROUP_MAP.region).toBeNull();
  });

  it('routes the RDS log groups whose name says the engine, and leaves error and audit groups generic', () => {
    const defaultFormat = (group: string): string | null => routeLogGroup(DEFAULT_LOG_GROUP_MAP, group)?.format ?? null;
    expect(defaultFormat('/aws/rds/instance/orders-db/postgresql')).toBe('rds-postgresql');
    expect(defaultFormat('/aws/rds/cluster/orders-aurora/postgresql')).toBe('rds-postgresql');
    expect(defaultFormat('/aws/rds/instance/shop/slowquery')).toBe('rds-mysql-slowquery');
    expect(defaultFormat('/aws/rds/cluster/shop-aurora/general')).toBe('rds-mysql-general');
    // SQL Server and Oracle publish `error` and `audit` groups as well: not guessed.
    expect(defaultFormat('/aws/rds/instance/shop/error')).toBeNull();
    expect(defaultFormat('/aws/rds/instance/shop/audit')).toBeNull();
    expect(defaultFormat('/aws/rds/instance/shop/postgresql/extra')).toBeNull();
    // A user's entry comes first.
    expect(formatOf('/aws/rds/instance/db-1/error')).toBe('cloudtrail');
  });

  it('turns a VPC flow log LogFormat (${field}) into the header line of its S3 files', () => {
    expect(routeLogGroup(map, '/aws/vpc/x')?.header).toBe('version interface-id srcaddr dstaddr');
  });

  it('names every problem, with its path', () => {
    const problems = (value: unknown): string => {
      try {
        validateLogGroupMap(value, 'LOGLAKE_LOG_GROUPS');
      } catch (e) {
        if (e instanceof ConfigError) return e.message;
        throw e;
      }
      return 'valid';
    };
    expect(problems({ logGroups: [{ name: '/a', prefix: '/b', format: 'cwlogs' }] })).toContain('logGroups[0]: needs exactly one of "name"');
    expect(problems({ logGroups: [{ format: 'cwlogs' }] })).toContain('got none');
    expect(problems({ logGroups: [{ name: '/a', format: 'nope' }] })).toMatch(/logGroups\[0\]\.format: unknown format "nope"; known: .*cwlogs/);
    expect(problems({ logGroups: [{ name: '/a' }] })).toContain('logGroups[0].format: is required');
    expect(problems({ logGroups: [{ name: 'a b', format: 'cwlogs' }] })).toContain('logGroups[0].name: must be log group name text');
    expect(problems({ logGroups: [{ name: '/a', format: 'cwlogs', header: 'x\ny' }] })).toContain('header: must be one line');
    expect(problems({ logGroups: [{ name: '/a', format: 'cwlogs', extra: 1 }] })).toContain('logGroups[0].extra: unknown key');
    expect(problems({ logGroups: [], region: 'moon' })).toContain('region: must be an AWS region');
    expect(problems({ groups: [] })).toContain('groups: unknown key');
    expect(problems([])).toContain('must be an object');
    expect(() => parseLogGroupMap('{', 'LOGLAKE_LOG_GROUPS')).toThrow(/LOGLAKE_LOG_GROUPS: not valid JSON/);
    expect(problems({ logGroups: [] })).toBe('valid');
  });
});

describe('virtual objects', () => {
  const site = { region: 'eu-west-1' };

  it('are named after the stream, the first event id and a digest of the event ids: the same events, the same name', () => {
    const a = virtualObject([data(payload())], null, site);
    const again = virtualObject([data(payload())], null, site);
    expect(a.ref).toEqual(again.ref);
    expect(a.ref.bucket).toBe('');
    expect(parseCwlogsObjectName(a.ref.key)).toMatchObject({ region: 'eu-west-1', owner: '111122223333', logGroup: '/aws/lambda/orders', logStream: '2024/05/01/[$LATEST]0f1e2d3c', firstEventId: ID(1) });
    // Another set of events that starts with the same event (a shorter delivery) never takes its name.
    const shorter = virtualObject([data(payload({ logEvents: [{ id: ID(1), timestamp: 1714607998120, message: 'START' }] }))], null, site);
    expect(shorter.ref.key).not.toBe(a.ref.key);
    expect(parseCwlogsObjectName(shorter.ref.key)?.firstEventId).toBe(ID(1));
  });

  it('hold generic events as JSON lines, so a message with line breaks stays one line', () => {
    const v = virtualObject([data(payload())], null, site);
    const lines = v.content.toString('utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      { id: ID(1), timestamp: 1714607998120, message: 'START RequestId: 8f6a\n' },
      { id: ID(2), timestamp: 1714607998530, message: 'Traceback:\n  File "app.py"\nKeyError' },
    ]);
    expect(v.pin).toEqual({ kind: 'pin', format: 'cwlogs', exact: true });
    expect(v.events).toBe(2);
  });

  it('hold a mapped format its messages one per line, after the entry header, pinned to that format', () => {
    const map = validateLogGroupMap({ logGroups: [{ name: '/aws/lambda/orders', format: 'cloudtrail', header: 'h1 h2' }] }, 'test');
    const v = virtualObject([data(payload())], routeLogGroup(map, '/aws/lambda/orders'), site);
    expect(v.content.toString('utf8')).toBe('h1 h2\nSTART RequestId: 8f6a\nTraceback:\n  File "app.py"\nKeyError\n');
    expect(v.pin).toEqual({ kind: 'pin', format: 'cloudtrail' });
  });

  it('gather payloads by stream, in order of first appearance, and count what they hold', () => {
    const objects = new VirtualObjects(DEFAULT_LOG_GROUP_MAP, site);
    objects.add(data(payload()));
    objects.add(data(payload({ logStream: 'other', logEvents: [{ id: ID(9), timestamp: 1, message: 'x' }] })));
    objects.add(data(payload({ logEvents: [{ id: ID(3), timestamp: 1714607999000, message: 'END' }] })));
    objects.add(data(payload({ logEvents: [] })));
    expect(objects.size).toBe(2);
    expect(objects.held).toBeGreaterThan(0);
    const [first, second] = objects.take();
    expect(first?.events).toBe(3);
    expect(second?.events).toBe(1);
    expect(objects.size).toBe(0);
    expect(objects.held).toBe(0);
  });
});
