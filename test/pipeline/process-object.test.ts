import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { strToU8, zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parser as cloudtrail } from '../../parsers/cloudtrail.js';
import { LakeQuery } from '../../query/lake-query.js';
import type { Manifest } from '../../pipeline/run/manifest.js';
import { ctEvent, trailOf } from '../helpers/cloudtrail.js';
import { filesUnder, runLocal, tempDir, writeInput } from '../helpers/lake.js';

const event = ctEvent;
const trail = trailOf;

function reconciles(m: Manifest): void {
  expect(m.lines_in).toBe(m.records + m.rejected + m.skipped);
}

let dir: ReturnType<typeof tempDir>;
let lake: string;
beforeEach(() => {
  dir = tempDir();
  lake = join(dir.path, 'lake');
});
afterEach(() => dir.cleanup());

describe('processObject', () => {
  it('writes one Parquet file per (source, dt) with deterministic names and a manifest', async () => {
    const path = writeInput(dir.path, 'in/t.json.gz', gzipSync(trail([event(1), event(2, '2024-05-02T00:00:00Z'), event(3)])));
    const { manifest } = await runLocal(path, lake);
    expect(manifest.status).toBe('ok');
    expect(manifest.compression).toBe('gzip');
    expect(manifest.records).toBe(3);
    reconciles(manifest);
    const id = manifest.object_id;
    expect(manifest.outputs.map((o) => [o.key, o.rows])).toEqual([
      [`lake/source=cloudtrail/dt=2024-05-01/111122223333_eu-west-1_${id}_0000.parquet`, 2],
      [`lake/source=cloudtrail/dt=2024-05-02/111122223333_eu-west-1_${id}_0000.parquet`, 1],
    ]);
    expect(filesUnder(lake)).toEqual([...manifest.outputs.map((o) => o.key), `manifests/cloudtrail/${id}.json`]);
    const stored = JSON.parse(readFileSync(join(lake, `manifests/cloudtrail/${id}.json`), 'utf8')) as Manifest;
    expect(stored.records).toBe(3);
  });

  it('replaces its outputs on a re-run and deletes partitions the new run no longer produces', async () => {
    const path = writeInput(dir.path, 'in/t.json', trail([event(1), event(2, '2024-05-02T00:00:00Z')]));
    const first = await runLocal(path, lake);
    const again = await runLocal(path, lake);
    expect(again.manifest.outputs.map((o) => o.key)).toEqual(first.manifest.outputs.map((o) => o.key));
    writeInput(dir.path, 'in/t.json', trail([event(1), event(3), event(4)]));
    const third = await runLocal(path, lake);
    expect(third.manifest.outputs).toHaveLength(1);
    const q = await LakeQuery.open(lake);
    const rows = (await q.rows('SELECT dt, action FROM events ORDER BY action')).rows;
    q.close();
    expect(rows).toEqual([
      { dt: '2024-05-01', action: 'Call1' },
      { dt: '2024-05-01', action: 'Call3' },
      { dt: '2024-05-01', action: 'Call4' },
    ]);
    expect(filesUnder(join(lake, 'lake'))).toHaveLength(1);
  });

  it('gives every record a record_id that is identical on replay', async () => {
    const path = writeInput(dir.path, 'in/t.json', trail([event(1), event(2)]));
    await runLocal(path, lake);
    const read = async (): Promise<unknown[]> => {
      const q = await LakeQuery.open(lake);
      const r = (await q.rows('SELECT record_id, ordinal, object, parser_version FROM events ORDER BY ordinal')).rows;
      q.close();
      return r;
    };
    const before = await read();
    await runLocal(path, lake);
    expect(await read()).toEqual(before);
    expect(before).toHaveLength(2);
    expect((before[0] as { object: string }).object).toBe(path);
    expect((before[1] as { parser_version: string }).parser_version).toBe(`cloudtrail@${cloudtrail.version}`);
  });

  it('writes rejected lines to errors/ with object, ordinal, reason and raw, and counts reconcile', async () => {
    const path = writeInput(dir.path, 'in/t.json', `{"Records":[${JSON.stringify(event(1))},{"eventName":"X"},${JSON.stringify(event(3))}]}`);
    const { manifest } = await runLocal(path, lake);
    expect(manifest).toMatchObject({ records: 2, rejected: 1, lines_in: 3, rejected_by_reason: { bad_timestamp: 1 } });
    expect(manifest.errors_output).toBe(`errors/source=cloudtrail/dt=2024-05-01/${manifest.object_id}.jsonl.gz`);
    const lines = gunzipSync(readFileSync(join(lake, manifest.errors_output as string))).toString('utf8').trim().split('\n');
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      { object: path, ordinal: 2, reason: 'bad_timestamp', detail: 'eventTime is missing', raw: '{"eventName":"X"}' },
    ]);
  });

  it('skips records caused by loglake itself unless told to keep them', async () => {
    const own = event(2, '2024-05-01T10:00:00Z', { userAgent: '[aws-sdk-js/3.600.0 loglake/0.1.0]' });
    const path = writeInput(dir.path, 'in/t.json', trail([event(1), own]));
    expect((await runLocal(path, lake)).manifest).toMatchObject({ records: 1, skipped: 1, skipped_by_reason: { self_traffic: 1 } });
    expect((await runLocal(path, lake, { options: { keepSelfTraffic: true } })).manifest).toMatchObject({ records: 2, skipped: 0 });
  });

  it('leaves raw empty when keepRaw is off', async () => {
    const path = writeInput(dir.path, 'in/t.json', trail([event(1)]));
    await runLocal(path, lake, { options: { keepRaw: false } });
    const q = await LakeQuery.open(lake);
    expect((await q.rows('SELECT raw FROM events')).rows).toEqual([{ raw: null }]);
    q.close();
  });

  it('records a CloudTrail digest as ignored without reading it', async () => {
    const path = writeInput(dir.path, 'AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/d.json.gz', 'not even read');
    const { manifest } = await runLocal(path, lake);
    expect(manifest).toMatchObject({ status: 'ignored', reason: 'cloudtrail-digest', bytes_in: 0, outputs: [] });
    expect(filesUnder(lake)).toEqual([`manifests/cloudtrail-digest/${manifest.object_id}.json`]);
  });

  it('reports an unrecognized object as failed unknown_format, never guessing', async () => {
    const path = writeInput(dir.path, 'in/notes.txt', 'dear diary\n');
    const report = await runLocal(path, lake);
    expect(report.manifest).toMatchObject({ status: 'failed', reason: 'unknown_format', source: null, outputs: [] });
    expect(report.error?.code).toBe('unknown_format');
    expect(report.manifest.error).toContain('dear diary');
  });

  it('keeps every record before the end of a truncated gzip, rejects the one it cut and says so in a damaged manifest', async () => {
    const path = writeInput(dir.path, 'in/t.json.gz', gzipSync(trail([event(1)])));
    await runLocal(path, lake);
    const gz = gzipSync(trail(Array.from({ length: 2000 }, (_, i) => event(i))));
    writeInput(dir.path, 'in/t.json.gz', gz.subarray(0, gz.byteLength >> 1));
    const { manifest } = await runLocal(path, lake);
    expect(manifest).toMatchObject({ status: 'damaged', reason: 'truncated_gzip', rejected: 1, rejected_by_reason: { damaged_input: 1 } });
    expect(manifest.damage).toMatchObject({ reason: 'truncated_gzip', compressed_bytes_unread: 0 });
    expect(manifest.records).toBeGreaterThan(100);
    expect(manifest.records).toBeLessThan(2000);
    reconciles(manifest);
    // What the manifest counts is what the lake holds: the records, and the cut one in errors/.
    expect(manifest.outputs.reduce((n, o) => n + o.rows, 0)).toBe(manifest.records);
    const q = await LakeQuery.open(lake);
    try {
      expect((await q.rows('SELECT count(*)::INT AS n FROM events')).rows).toEqual([{ n: manifest.records }]);
      const { rows } = await q.rows('SELECT reason, ordinal::INT AS ordinal FROM errors');
      expect(rows).toEqual([{ reason: 'damaged_input', ordinal: manifest.records + 1 }]);
    } finally {
      q.close();
    }
    expect(filesUnder(lake).some((f) => f.includes('.tmp-'))).toBe(false);
  });

  it('keeps the lines before trailing garbage after a complete gzip member', async () => {
    const lines = Array.from({ length: 5 }, (_, i) => JSON.stringify(event(i))).join('\n');
    const path = writeInput(dir.path, 'in/t.ndjson.gz', Buffer.concat([gzipSync(`${lines}\n`), Buffer.from('this is not gzip at all')]));
    const { manifest } = await runLocal(path, lake);
    expect(manifest).toMatchObject({ status: 'damaged', records: 5, rejected: 0 });
    expect(manifest.damage?.reason).toMatch(/gzip/);
  });

  it('fails a file whose Records is not an array with records_not_array', async () => {
    const path = writeInput(dir.path, 'in/t.json', '{"Records":{"eventVersion":"1.0","eventTime":"2024-05-01T00:00:00Z"}}');
    const { manifest } = await runLocal(path, lake);
    expect(manifest).toMatchObject({ status: 'failed', reason: 'records_not_array' });
  });

  it('treats a zero-length object as ok and empty', async () => {
    const path = writeInput(dir.path, 'AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/e.json.gz', '');
    const { manifest } = await runLocal(path, lake);
    expect(manifest).toMatchObject({ status: 'ok', reason: 'empty', compression: 'empty', lines_in: 0, outputs: [] });
  });

  it('keeps the entries before a corrupt zip entry and marks the object damaged with corrupt_archive', async () => {
    const zip = Buffer.from(zipSync({ 'a.json': strToU8(trail([event(1)])), 'b.json': strToU8(trail(Array.from({ length: 50 }, (_, i) => event(i)))) }));
    const at = zip.indexOf('b.json') + 6;
    zip.fill(0x00, at + 10, at + 60);
    const path = writeInput(dir.path, 'in/t.zip', zip);
    const { manifest } = await runLocal(path, lake);
    expect(manifest).toMatchObject({ status: 'damaged', reason: 'corrupt_archive', records: 1 });
    reconciles(manifest);
  });

  it('fails a zip whose first entry is corrupt as corrupt_archive: nothing was readable', async () => {
    const zip = Buffer.from(zipSync({ 'a.json': strToU8(trail(Array.from({ length: 50 }, (_, i) => event(i)))) }));
    const at = zip.indexOf('a.json') + 6;
    zip.fill(0x00, at + 10, at + 60);
    const path = writeInput(dir.path, 'in/t.zip', zip);
    const { manifest } = await runLocal(path, lake);
    expect(manifest).toMatchObject({ status: 'failed', reason: 'corrupt_archive', records: 0 });
  });

  it('frames every zip entry with ordinals running on across entries', async () => {
    const zip = zipSync({ 'a.json': strToU8(trail([event(1), event(2)])), 'b.json': strToU8(trail([event(3)])) });
    const path = writeInput(dir.path, 'in/t.zip', zip);
    const { manifest } = await runLocal(path, lake);
    expect(manifest).toMatchObject({ status: 'ok', entries: 2, records: 3, lines_in: 3 });
  });

  it('rejects a 50 MB single line as line_too_long with flat memory and keeps its neighbours', async () => {
    const huge = `{"eventVersion":"1.0","eventTime":"2024-05-01T00:00:00Z","blob":"${'z'.repeat(50 * 1024 * 1024)}"}`;
    const path = writeInput(dir.path, 'in/big.ndjson', `${JSON.stringify(event(1))}\n${huge}\n${JSON.stringify(event(3))}\n`);
    const rssBefore = process.memoryUsage().rss;
    const { manifest } = await runLocal(path, lake, { options: { maxLineBytes: 1024 * 1024 } });
    expect(manifest).toMatchObject({ status: 'ok', records: 2, rejected: 1, rejected_by_reason: { line_too_long: 1 } });
    reconciles(manifest);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(48 * 1024 * 1024);
    const errors = JSON.parse(gunzipSync(readFileSync(join(lake, manifest.errors_output as string))).toString('utf8')) as { ordinal: number; raw: string; detail: string };
    expect(errors.ordinal).toBe(2);
    expect(errors.raw.length).toBe(64 * 1024);
    expect(errors.detail).toMatch(/^52428\d\d\d bytes, limit 1048576/);
  });

  it('parses records holding invalid UTF-8 and counts them', async () => {
    const withBad = Buffer.concat([
      Buffer.from('{"Records":[{"eventVersion":"1.0","eventTime":"2024-05-01T00:00:00Z","eventName":"Get'),
      Buffer.from([0xc0, 0xaf]),
      Buffer.from('"}]}'),
    ]);
    const path = writeInput(dir.path, 'in/t.json', withBad);
    const { manifest } = await runLocal(path, lake);
    expect(manifest).toMatchObject({ records: 1, invalid_utf8_lines: 1 });
    const q = await LakeQuery.open(lake);
    expect((await q.rows('SELECT action FROM events')).rows).toEqual([{ action: 'Get\\xC0\\xAF' }]);
    q.close();
  });

  it('fills account and region a record lacks from its AWSLogs key, never overriding the record', async () => {
    const bare = { eventVersion: '1.0', eventTime: '2024-05-01T00:00:00Z', eventName: 'Bare' };
    const own = { ...bare, eventName: 'Own', recipientAccountId: '444455556666', awsRegion: 'ap-south-1' };
    const path = writeInput(dir.path, 'AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/01/t.json', trail([bare, own]));
    await runLocal(path, lake);
    const q = await LakeQuery.open(lake);
    expect((await q.rows('SELECT action, account_id, region FROM events ORDER BY ordinal')).rows).toEqual([
      { action: 'Bare', account_id: '111122223333', region: 'eu-west-1' },
      { action: 'Own', account_id: '444455556666', region: 'ap-south-1' },
    ]);
    q.close();
  });
});
