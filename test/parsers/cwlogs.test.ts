import { describe, expect, it } from 'vitest';
import { cwlogsObjectName, exportWriteTest, parseCwlogsObjectName, parser, type CwlogsStream } from '../../parsers/cwlogs.js';
import type { ParseContext, ParseResult } from '../../parsers/types.js';

const STREAM: CwlogsStream = {
  partition: 'aws',
  region: 'eu-west-1',
  owner: '111122223333',
  logGroup: '/aws/lambda/orders',
  logStream: '2024/05/01/[$LATEST]0f1e2d3c#a b',
  firstEventId: '37574129600000000000000000000000000000000000000000000001',
  digest: '0123456789ab',
};
const NAME = cwlogsObjectName(STREAM);
const EXPORT_OBJECT = 's3://exports/aws/rds/instance/db1/error/0b5c2f4e-7d1a-4c3b-9e8f-1a2b3c4d5e6f/db1.log/2024/05/000000.gz?versionId=v1';

function parse(line: string, object = NAME): ParseResult {
  const ctx = { object, ordinal: 1, state: parser.createState?.() } as ParseContext<never>;
  return parser.parse(line, ctx);
}
function record(line: string, object = NAME): Record<string, unknown> & { fields: Record<string, string> } {
  const r = parse(line, object);
  if (r.ok !== true) throw new Error(`expected a record, got ${JSON.stringify(r)}`);
  return { ...r.record, fields: r.record.fields ?? {} };
}
const reason = (line: string, object = NAME): string | null => {
  const r = parse(line, object);
  return r.ok === false ? r.reason : null;
};
const event = (e: Record<string, unknown>): string => JSON.stringify(e);

describe('virtual object names', () => {
  it('read back exactly: groups and streams with slashes, brackets, # and spaces', () => {
    expect(NAME).toBe(
      'arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/orders:log-stream:2024/05/01/[$LATEST]0f1e2d3c#a b:37574129600000000000000000000000000000000000000000000001:0123456789ab',
    );
    expect(parseCwlogsObjectName(NAME)).toEqual(STREAM);
  });

  it('read back with an unknown region, another partition, an empty event id', () => {
    for (const s of [{ ...STREAM, region: '' }, { ...STREAM, partition: 'aws-cn', region: 'cn-north-1' }, { ...STREAM, firstEventId: '' }]) {
      expect(parseCwlogsObjectName(cwlogsObjectName(s))).toEqual(s);
    }
  });

  it('are not mistaken for other objects', () => {
    for (const other of ['s3://b/AWSLogs/111122223333/CloudTrail/eu-west-1/x.json.gz', '/tmp/arn:aws:logs:x', 'arn:aws:s3:::bucket/key', `${NAME}/more`]) {
      expect(parseCwlogsObjectName(other)).toBeNull();
    }
  });
});

describe('cwlogs parser: subscription events (JSON lines of a virtual object)', () => {
  it('keeps the event time, the message in raw, and group, stream, event id and owner in fields', () => {
    const r = record(event({ id: STREAM.firstEventId, timestamp: 1714607998120, message: 'START RequestId: 8f6a' }));
    expect(r).toMatchObject({ time: 1714607998120, category: 'application_log', outcome: 'unknown', account_id: '111122223333', region: 'eu-west-1' });
    expect(r.fields).toEqual({ log_group: '/aws/lambda/orders', log_stream: STREAM.logStream, owner: '111122223333', event_id: STREAM.firstEventId });
  });

  it('reads a multi-line message as one record (the line is its JSON)', () => {
    const line = event({ id: '2', timestamp: 1714607998120, message: 'Traceback:\n  File "app.py"\nKeyError' });
    expect(line.includes('\n')).toBe(false);
    expect(parser.recordStart?.(line)).toBe(true);
    expect(record(line).time).toBe(1714607998120);
  });

  it('rejects what is no event, with a reason', () => {
    expect(reason('{"id":"1","timestamp":1,"message":"x"')).toBe('invalid_json');
    expect(reason('{"id":[1]}')).toBe('missing_field');
    expect(reason(event({ id: '1', timestamp: 1714607998120 }))).toBe('missing_field');
    expect(reason(event({ id: '1', timestamp: 1714607998120, message: 42 }))).toBe('missing_field');
    expect(reason(event({ id: '1', timestamp: '2024-05-01', message: 'x' }))).toBe('bad_timestamp');
    expect(reason(event({ id: '1', timestamp: 1.5, message: 'x' }))).toBe('bad_timestamp');
    expect(reason(event({ id: '1', message: 'x' }))).toBe('bad_timestamp');
  });

  it('without a virtual object name, keeps the event with no group fields', () => {
    const r = record(event({ id: '9', timestamp: 1714607998120, message: 'x' }), '/tmp/events.jsonl');
    expect(r.fields).toEqual({ event_id: '9' });
    expect(r.account_id).toBeNull();
  });
});

describe('cwlogs parser: export-task objects', () => {
  it('reads `<ISO time> <message>` with stream, task and prefix from the S3 key', () => {
    const r = record('2024-05-01T10:00:01.250Z level=warn msg="slow query"', EXPORT_OBJECT);
    expect(r).toMatchObject({ time: Date.UTC(2024, 4, 1, 10, 0, 1, 250), category: 'application_log', outcome: 'unknown' });
    expect(r.fields).toEqual({ log_stream: 'db1.log/2024/05', export_task: '0b5c2f4e-7d1a-4c3b-9e8f-1a2b3c4d5e6f', export_prefix: 'aws/rds/instance/db1/error' });
  });

  it('names no prefix for a local file (a path has no destination prefix to speak of)', () => {
    const r = record('2024-05-01T10:00:00Z started', '/home/me/exports/0b5c2f4e-7d1a-4c3b-9e8f-1a2b3c4d5e6f/s1/000001.gz');
    expect(r.fields).toEqual({ log_stream: 's1', export_task: '0b5c2f4e-7d1a-4c3b-9e8f-1a2b3c4d5e6f' });
  });

  it('joins the lines of a multi-line message to its record, and keeps an empty message', () => {
    expect(parser.recordStart?.('2024-05-01T10:00:02.500Z java.lang.IllegalStateException')).toBe(true);
    expect(parser.recordStart?.('\tat com.example.Pool.borrow(Pool.java:88)')).toBe(false);
    expect(parser.recordStart?.('2024-05-01T10:00:04.000Z')).toBe(true);
    expect(parser.recordStart?.('2024-05-01 10:00:04 not an export time')).toBe(false);
    expect(record('2024-05-01T10:00:02.500Z boom\n\tat x\n\tat y', EXPORT_OBJECT).time).toBe(Date.UTC(2024, 4, 1, 10, 0, 2, 500));
    expect(record('2024-05-01T10:00:04.000Z', EXPORT_OBJECT).time).toBe(Date.UTC(2024, 4, 1, 10, 0, 4));
    // An empty message whose record goes on over lines that do not start like a time.
    expect(record('2024-05-01T10:00:04.000Z\n2024-05-01 10:10:00 not an export time', EXPORT_OBJECT).time).toBe(Date.UTC(2024, 4, 1, 10, 0, 4));
  });

  it('rejects a line that does not start with a valid time', () => {
    expect(reason('2024-13-01T10:00:03.000Z a month that does not exist', EXPORT_OBJECT)).toBe('bad_timestamp');
    expect(reason('\tat a continuation before any record', EXPORT_OBJECT)).toBe('bad_timestamp');
    expect(reason('2024-05-01T10:00:03.000Zglued', EXPORT_OBJECT)).toBe('bad_timestamp');
  });

  it('is routed by the key AWS writes, never by content', () => {
    const ok = [
      'exportedlogs/0b5c2f4e-7d1a-4c3b-9e8f-1a2b3c4d5e6f/i-0123/000000.gz',
      'aws/rds/x/0b5c2f4e-7d1a-4c3b-9e8f-1a2b3c4d5e6f/2024/05/01/[$LATEST]ab/000012.gz',
      '0b5c2f4e-7d1a-4c3b-9e8f-1a2b3c4d5e6f/s/000000.gz',
    ];
    for (const key of ok) expect(parser.keyPatterns.some((p) => p.test(key)), key).toBe(true);
    const no = ['exportedlogs/not-a-task/i-0123/000000.gz', 'exportedlogs/0b5c2f4e-7d1a-4c3b-9e8f-1a2b3c4d5e6f/000000.gz', 'exportedlogs/0b5c2f4e-7d1a-4c3b-9e8f-1a2b3c4d5e6f/s/0000.gz'];
    for (const key of no) expect(parser.keyPatterns.some((p) => p.test(key)), key).toBe(false);
    expect(parser.sniff('2024-05-01T10:00:00.000Z hello\n')).toBe(false);
  });
});

describe('cwlogs export write test', () => {
  it('is recognized by key and by its content', () => {
    expect(exportWriteTest.keyPatterns.some((p) => p.test('exportedlogs/aws-logs-write-test'))).toBe(true);
    expect(exportWriteTest.keyPatterns.some((p) => p.test('exportedlogs/aws-logs-write-test.gz'))).toBe(false);
    expect(exportWriteTest.sniff('Permission Check Successful')).toBe(true);
    expect(exportWriteTest.sniff('Permission Check Successful, and more')).toBe(false);
  });
});
