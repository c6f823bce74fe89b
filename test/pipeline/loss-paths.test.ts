/**
 * Inputs where a line used to end as neither a record, a rejection nor a counted skip — or
 * where a whole object was lost for one line. Each test reproduces one loss path of the
 * review that introduced parser ids, pins, typed parser inputs and record validation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalLakeSink } from '../../pipeline/storage/local-storage.js';
import type { Manifest, ResumePoint } from '../../pipeline/run/manifest.js';
import { resolveOptions } from '../../pipeline/run/options.js';
import { processObject, type ObjectReport } from '../../pipeline/index.js';
import type { Pin } from '../../pipeline/route/route.js';
import type { ObjectRef } from '../../pipeline/storage/storage.js';
import { EVENT_TIME_RANGE } from '../../schema/index.js';
import { ctEvent, trailOf } from '../helpers/cloudtrail.js';
import { BytesSource, lakeRows, runLocal, tempDir, writeInput } from '../helpers/lake.js';

const SAMPLES = join(import.meta.dirname, '..', '..', 'samples');
const DBR = join(SAMPLES, 'billing', '123456789012-aws-billing-detailed-line-items-with-resources-and-tags-2019-06.csv.zip');
const CUR = join(SAMPLES, 'billing', 'acme-cur-00001.csv.gz');

const pin = (format: string): (() => Pin) => () => ({ kind: 'pin', format }) as Pin;

function reconciles(m: Manifest): void {
  expect(m.lines_in).toBe(m.records + m.rejected + m.skipped);
}

const event = (i: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ctEvent(i, undefined, extra);
const trail = trailOf;
const nested = (depth: number): string => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

let dir: ReturnType<typeof tempDir>;
let lake: string;
beforeEach(() => {
  dir = tempDir();
  lake = join(dir.path, 'lake');
});
afterEach(() => dir.cleanup());

describe('1. two parsers of one source', () => {
  it('sends a DBR file pinned to the billing source through the DBR parser, chosen by its header', async () => {
    const { manifest } = await runLocal(DBR, lake, { rule: pin('billing') });
    expect(manifest).toMatchObject({ status: 'ok', source: 'billing', parser_id: 'billing-dbr', parser_version: 'billing-dbr@1', routed_by: 'rule', rejected: 0 });
    expect(manifest.records).toBeGreaterThan(10);
  });

  it('pins one parser by its id, and a CUR file pinned to billing goes to the CUR parser', async () => {
    expect((await runLocal(DBR, lake, { rule: pin('billing-dbr') })).manifest).toMatchObject({ parser_id: 'billing-dbr', rejected: 0 });
    const cur = (await runLocal(CUR, join(dir.path, 'lake2'), { rule: pin('billing') })).manifest;
    expect(cur).toMatchObject({ parser_id: 'billing-cur', rejected: 0 });
    expect(cur.records).toBeGreaterThan(0);
  });
});

describe('2. a pinned source still recognizes its ignorables first', () => {
  it('ignores a CloudTrail digest under a pinned cloudtrail source, by key and by content', async () => {
    const digest = JSON.stringify({ awsAccountId: '111122223333', digestStartTime: '2024-05-01T00:00:00Z', digestEndTime: '2024-05-01T01:00:00Z', digestPublicKeyFingerprint: 'ab', logFiles: [] });
    const byKey = writeInput(dir.path, 'AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/d.json.gz', gzipSync(digest));
    expect((await runLocal(byKey, lake, { rule: pin('cloudtrail') })).manifest).toMatchObject({ status: 'ignored', reason: 'cloudtrail-digest', rejected: 0 });
    const byContent = writeInput(dir.path, 'custom/prefix/d.json', digest);
    expect((await runLocal(byContent, lake, { rule: pin('cloudtrail') })).manifest).toMatchObject({ status: 'ignored', reason: 'cloudtrail-digest', rejected: 0 });
  });

  it('publishes a CUR assembly whose files and manifest are pinned to billing', async () => {
    const base = 'cur/acme-cur/20240301-20240401';
    const header = 'identity/LineItemId,bill/PayerAccountId,lineItem/UsageAccountId,lineItem/UsageStartDate,lineItem/UnblendedCost,lineItem/CurrencyCode';
    const data = writeInput(dir.path, `${base}/a1/acme-cur-1.csv.gz`, gzipSync(`${header}\nx1,111122223333,444455556666,2024-03-02T00:00:00Z,1.5,USD\n`));
    const body = JSON.stringify({ assemblyId: 'a1', account: '111122223333', reportName: 'acme-cur', billingPeriod: {}, reportKeys: [`${base}/a1/acme-cur-1.csv.gz`] });
    const manifestFile = writeInput(dir.path, `${base}/a1/acme-cur-Manifest.json`, body);
    const first = (await runLocal(data, lake, { rule: pin('billing') })).manifest;
    expect(first).toMatchObject({ status: 'ok', records: 1, publication: { state: 'staged' } });
    expect(first.publication?.why).toMatch(/waiting for the report manifest/);
    expect(await lakeRows(lake, 'SELECT count(*)::INT AS n FROM events')).toEqual([{ n: 0 }]);
    const second = (await runLocal(manifestFile, lake, { rule: pin('billing') })).manifest;
    expect(second).toMatchObject({ status: 'ignored', reason: 'cur-manifest', publication: { state: 'live' } });
    expect(await lakeRows(lake, 'SELECT request_id FROM events')).toEqual([{ request_id: 'x1' }]);
  });
});

describe('4. a CSV object continued after a hand-over keeps its header', () => {
  it('gives the rows of one uninterrupted run with 400-byte reads and a hand-over every 2 chunks', async () => {
    // Plain text, so that every 400-byte read is a chunk the run may hand over after.
    const bytes = gunzipSync(readFileSync(CUR));
    const ref: ObjectRef = { bucket: 'b', key: 'reports/acme.csv' };
    const options = resolveOptions({});
    const whole = await processObject(ref, { source: new BytesSource(bytes, 400), sink: new LocalLakeSink(join(dir.path, 'whole')), options });
    expect(whole.manifest.rejected).toBe(0);
    const reports: ObjectReport[] = [];
    let resume: ResumePoint | undefined;
    let parser: string | null | undefined;
    for (;;) {
      let chunks = 0;
      const r = await processObject(ref, {
        source: new BytesSource(bytes, 400),
        sink: new LocalLakeSink(join(dir.path, 'split')),
        options,
        shouldYield: () => ++chunks >= 2,
        // As a continuation message does: resume with the exact parser the first run chose.
        ...(resume ? { resume, rule: () => ({ kind: 'pin', format: parser, exact: true }) as Pin } : {}),
      });
      reports.push(r);
      if (r.manifest.status !== 'partial') break;
      resume = r.manifest.resume ?? undefined;
      parser = r.manifest.parser_id;
    }
    // Resumed runs read rows (not only the header), and rejected none of them.
    expect(reports.length).toBeGreaterThanOrEqual(2);
    expect(reports.every((r, i) => i === 0 || r.manifest.records > 0)).toBe(true);
    expect(reports.reduce((n, r) => n + r.manifest.rejected, 0)).toBe(0);
    const cols = 'record_id, ordinal, time, amount, request_id, raw';
    expect(await lakeRows(join(dir.path, 'split'), `SELECT ${cols} FROM events ORDER BY ordinal`)).toEqual(await lakeRows(join(dir.path, 'whole'), `SELECT ${cols} FROM events ORDER BY ordinal`));
  });
});

describe('5. a value that does not fit its column costs only that value', () => {
  it('keeps a CloudTrail event whose bytesTransferredIn is 1.5 or 1e30, the value in fields, the column null', async () => {
    const events = [event(1), event(2, { additionalEventData: { bytesTransferredIn: 1.5, bytesTransferredOut: 1e30 } }), event(3, { additionalEventData: { bytesTransferredIn: 7 } })];
    const path = writeInput(dir.path, 'in/t.json', trail(events));
    const { manifest } = await runLocal(path, lake);
    expect(manifest).toMatchObject({ status: 'ok', records: 3, rejected: 0, invalid_values: { bytes_in: 1, bytes_out: 1 } });
    expect(await lakeRows(lake, "SELECT bytes_in::INT AS b, fields['_invalid.bytes_in'] AS i, fields['_invalid.bytes_out'] AS o FROM events ORDER BY ordinal")).toEqual([
      { b: null, i: null, o: null },
      { b: null, i: '1.5', o: '1e+30' },
      { b: 7, i: null, o: null },
    ]);
  });
});

describe('8. event times no reader can see', () => {
  it('rejects times before the first day or after tomorrow as time_out_of_range, keeping the line', async () => {
    const future = new Date(Date.now() + 3 * 86_400_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const times = ['1970-01-01T00:00:00Z', '2005-12-31T23:59:59Z', `${EVENT_TIME_RANGE.firstDay}T00:00:00Z`, '2024-05-01T10:00:00Z', future];
    const path = writeInput(dir.path, 'in/t.json', trail(times.map((t, i) => event(i, { eventTime: t }))));
    const { manifest } = await runLocal(path, lake);
    expect(manifest).toMatchObject({ records: 2, rejected: 3, rejected_by_reason: { time_out_of_range: 3 } });
    expect(await lakeRows(lake, 'SELECT DISTINCT dt FROM events ORDER BY dt')).toEqual([{ dt: EVENT_TIME_RANGE.firstDay }, { dt: '2024-05-01' }]);
    const rejects = await lakeRows(lake, 'SELECT ordinal::INT AS o, raw FROM errors ORDER BY ordinal');
    expect(rejects.map((r) => r.o)).toEqual([1, 2, 5]);
    expect(String(rejects[0]?.raw)).toContain('1970-01-01T00:00:00Z');
  });
});

describe('13. one deeply nested record', () => {
  it('rejects a record nested 10,000 levels as too_deep and keeps its neighbours', async () => {
    const text = `{"Records":[${JSON.stringify(event(1))},${JSON.stringify(event(2)).replace('}', `,"requestParameters":{"x":${nested(10_000)}}}`)},${JSON.stringify(event(3))}]}`;
    const path = writeInput(dir.path, 'in/t.json', text);
    const { manifest } = await runLocal(path, lake);
    expect(manifest).toMatchObject({ status: 'ok', records: 2, rejected: 1, rejected_by_reason: { too_deep: 1 } });
    reconciles(manifest);
  });

  it('turns a deep event inside a CloudWatch Logs message into one parser_error, not a crash', async () => {
    const deep = JSON.stringify(event(2)).replace('}', `,"requestParameters":{"x":${nested(20_000)}}}`);
    const envelope = { messageType: 'DATA_MESSAGE', logEvents: [{ id: '1', timestamp: 1, message: JSON.stringify(event(1)) }, { id: '2', timestamp: 2, message: deep }, { id: '3', timestamp: 3, message: JSON.stringify(event(3)) }] };
    const path = writeInput(dir.path, 'in/cw.json', JSON.stringify(envelope));
    const { manifest } = await runLocal(path, lake);
    expect(manifest).toMatchObject({ status: 'ok', records: 2, rejected: 1 });
    expect(Object.keys(manifest.rejected_by_reason)).toEqual(['parser_error']);
    reconciles(manifest);
  });
});


describe('14. one damaged byte in one-record-per-line JSON', () => {
  it('costs only the record that holds it when a quote is lost or added', async () => {
    const lines = Array.from({ length: 5 }, (_, i) => JSON.stringify(event(i)));
    for (const [name, damaged] of [
      ['a lost quote', (lines[1] as string).replace('"Call1"', '"Call1')],
      ['an added quote', (lines[1] as string).replace('"Call1"', '"Ca"ll1"')],
    ] as const) {
      const text = [lines[0], damaged, ...lines.slice(2)].join('\n');
      const { manifest } = await runLocal(writeInput(dir.path, `in/${name}.ndjson`, `${text}\n`), join(dir.path, name));
      expect(manifest, name).toMatchObject({ status: 'ok', records: 4, rejected: 1, rejected_by_reason: { invalid_json: 1 } });
      reconciles(manifest);
    }
  });
});
