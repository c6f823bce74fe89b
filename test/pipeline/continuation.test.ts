/**
 * Objects processed in several runs (deadline continuations), at the pipeline level with local
 * storage: `processObject` with `shouldYield` / `resume`, and the manifest bookkeeping of
 * `continuation.ts`.
 */
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ParseContext, ParseResult, LineParser } from '../../parsers/index.js';
import { SUPERSEDED_CONTINUATION } from '../../pipeline/run/continuation.js';
import { LocalLakeSink } from '../../pipeline/storage/local-storage.js';
import type { Manifest, ResumePoint } from '../../pipeline/run/manifest.js';
import { resolveOptions } from '../../pipeline/run/options.js';
import { processObject, type ObjectReport, type ProcessDeps } from '../../pipeline/index.js';
import { DEFAULT_REGISTRY, type Registry } from '../../pipeline/route/route.js';
import type { ObjectRef, ObjectSource } from '../../pipeline/storage/storage.js';
import { BytesSource, filesUnder, lakeRows, tempDir } from '../helpers/lake.js';

/**
 * A W3C-like test format: `#Fields: a b c` names the columns of the lines after it, a line with
 * more values than fields counts as drift, a line with fewer is rejected.
 */
const w3c: LineParser<string[]> = {
  id: 'cloudfront',
  source: 'cloudfront',
  version: 99,
  framing: 'lines',
  description: 'test format with a header that changes how lines parse',
  docsUrl: 'https://example.com',
  keyPatterns: [/\.w3c$/],
  keyExample: '*.w3c',
  sniff: () => false,
  createState: () => [],
  header(frame: string, state: string[]): boolean {
    if (!frame.startsWith('#Fields: ')) return false;
    state.length = 0;
    state.push(...frame.slice(9).split(' '));
    return true;
  },
  parse(frame: string, ctx: ParseContext<string[]>): ParseResult {
    const values = frame.split(' ');
    const fields = ctx.state;
    if (fields.length === 0 || values.length < fields.length) return { ok: false, reason: 'field_count_mismatch', detail: `${values.length} values for ${fields.length} fields` };
    if (values.length > fields.length) ctx.drift = (ctx.drift ?? 0) + 1;
    const named: Record<string, string> = {};
    fields.forEach((f, i) => (named[f] = values[i] as string));
    return {
      ok: true,
      record: { time: Date.parse(named.time ?? ''), category: 'http_activity', outcome: 'success', action: named.action ?? null, request_id: named.id ?? null, fields: named },
    };
  },
};
const REGISTRY: Registry = { parsers: [w3c, ...DEFAULT_REGISTRY.parsers], ignorables: DEFAULT_REGISTRY.ignorables };

/** Lines over three days, a header change half-way, a short line every 97th, an extra value every 89th. */
function w3cBody(lines: number): Buffer {
  const out: string[] = ['#Version: 1.0', '#Fields: time action id'];
  for (let i = 1; i <= lines; i++) {
    if (i === Math.floor(lines / 2)) out.push('#Fields: id action time');
    const time = `2024-05-0${1 + (i % 3)}T10:00:00Z`;
    const half = i >= Math.floor(lines / 2);
    if (i % 97 === 0) out.push(`short-${i}`);
    else out.push((half ? [`id-${i}`, `GET-${i}`, time] : [time, `GET-${i}`, `id-${i}`]).join(' ') + (i % 89 === 0 ? ' extra' : ''));
  }
  return Buffer.from(`${out.join('\n')}\n`);
}

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.cleanup());

const REF: ObjectRef = { bucket: 'src', key: 'logs/edge.w3c' };

function deps(lake: string, source: ObjectSource, extra: Partial<ProcessDeps> = {}): ProcessDeps {
  return { source, sink: new LocalLakeSink(lake), options: resolveOptions({ rowGroupRows: 500 }), registry: REGISTRY, ...extra };
}

/** Runs an object to completion, yielding after every `chunksPerRun` chunks, resuming each time. */
async function runInPieces(lake: string, source: ObjectSource, chunksPerRun: number): Promise<ObjectReport[]> {
  const reports: ObjectReport[] = [];
  let resume: ResumePoint | undefined;
  for (;;) {
    let chunks = 0;
    const report = await processObject(REF, deps(lake, source, { shouldYield: () => ++chunks >= chunksPerRun, ...(resume ? { resume } : {}) }));
    reports.push(report);
    if (report.manifest.status !== 'partial') return reports;
    resume = report.manifest.resume ?? undefined;
    if (reports.length > 500) throw new Error('no end');
  }
}

const EVENT_COLUMNS = "record_id, ordinal, dt, time, action, request_id, raw, fields['id'] AS id";

describe('processObject continuations', () => {
  it('writes, across runs stopped after every chunk, exactly the rows and rejects of one uninterrupted run', async () => {
    // Large enough that the compressed object outlasts a source stream's read-ahead (64 KiB from
    // Node.js 22 on): a run only hands over while bytes of the object are still unread.
    const lines = 40_000;
    const body = gzipSync(w3cBody(lines));
    const whole = join(dir.path, 'whole');
    const split = join(dir.path, 'split');
    const reference = await processObject(REF, deps(whole, new BytesSource(body, 4096)));
    const reports = await runInPieces(split, new BytesSource(body, 4096), 1);
    expect(reports.length).toBeGreaterThan(3);
    expect(reports.slice(0, -1).every((r) => r.manifest.status === 'partial')).toBe(true);
    reports.slice(0, -1).forEach((r, i) => expect(r.manifest.resume?.part).toBe(i + 1));

    expect(await lakeRows(split, `SELECT ${EVENT_COLUMNS} FROM events ORDER BY ordinal`)).toEqual(await lakeRows(whole, `SELECT ${EVENT_COLUMNS} FROM events ORDER BY ordinal`));
    expect(await lakeRows(split, 'SELECT ordinal, reason, raw FROM errors ORDER BY ordinal')).toEqual(await lakeRows(whole, 'SELECT ordinal, reason, raw FROM errors ORDER BY ordinal'));

    const final = (reports.at(-1) as ObjectReport).manifest;
    const m = reference.manifest;
    expect(final).toMatchObject({
      status: 'ok',
      lines_in: m.lines_in,
      records: m.records,
      rejected: m.rejected,
      skipped: m.skipped,
      rejected_by_reason: m.rejected_by_reason,
      skipped_by_reason: m.skipped_by_reason,
      schema_drift: m.schema_drift,
    });
    expect(final.resume ?? null).toBeNull();
    // Every 89th line has an extra field, but for those a 97th line replaces (8,633 and its multiples here).
    expect(m.schema_drift).toBe(Math.floor(lines / 89) - Math.floor(lines / (89 * 97)));
    expect(final.lines_in).toBe(final.records + final.rejected + final.skipped);
    const written = filesUnder(split).filter((f) => !f.startsWith('manifests/'));
    const listed = [...final.outputs.map((o) => o.key), ...(final.earlier_errors_outputs ?? []), final.errors_output].filter((k): k is string => k !== null);
    expect(written.sort()).toEqual(listed.sort());
    expect(final.earlier_errors_outputs?.length).toBeGreaterThan(0);
  });

  it('acknowledges a continuation whose chain is already complete, and writes nothing', async () => {
    const lake = join(dir.path, 'lake');
    const source = new BytesSource(w3cBody(2000), 8192);
    const reports = await runInPieces(lake, source, 2);
    const first = reports[0]?.manifest.resume as ResumePoint;
    const before = filesUnder(lake);
    const again = await processObject(REF, deps(lake, source, { resume: first }));
    expect(again.manifest).toMatchObject({ status: 'ignored', reason: SUPERSEDED_CONTINUATION });
    expect(again.manifest.error).toContain("the object's manifest is ok, not partial");
    expect(filesUnder(lake)).toEqual(before);
  });

  it('acknowledges a continuation of an object that changed since its first run, and writes nothing', async () => {
    const lake = join(dir.path, 'lake');
    const source = new BytesSource(w3cBody(2000), 8192, '"v1"');
    let calls = 0;
    const first = await processObject(REF, deps(lake, source, { shouldYield: () => ++calls >= 1 }));
    expect(first.manifest).toMatchObject({ status: 'partial', etag: '"v1"' });
    source.replace(w3cBody(10), '"v2"');
    const before = filesUnder(lake);
    const next = await processObject({ ...REF, etag: '"v1"' }, deps(lake, source, { resume: first.manifest.resume as ResumePoint }));
    expect(next.manifest).toMatchObject({ status: 'ignored', reason: SUPERSEDED_CONTINUATION });
    expect(filesUnder(lake)).toEqual(before);
  });

  it('keeps the outputs of an older complete run until the continued run replacing them completes', async () => {
    const lake = join(dir.path, 'lake');
    const older = await processObject(REF, deps(lake, new BytesSource(w3cBody(300), 1 << 20)));
    expect(older.manifest.outputs.map((o) => o.dt)).toEqual(['2024-05-01', '2024-05-02', '2024-05-03']);
    // The object is rewritten with a single day only; its re-run stops after the first chunk.
    const oneDay = Buffer.from(`#Fields: time action id\n${Array.from({ length: 3000 }, (_, i) => `2024-05-02T10:00:00Z GET-${i} id-${i}`).join('\n')}\n`);
    const source = new BytesSource(oneDay, 16 * 1024);
    let calls = 0;
    const partial = await processObject(REF, deps(lake, source, { shouldYield: () => ++calls >= 1 }));
    const stale = older.manifest.outputs.filter((o) => o.dt !== '2024-05-02').map((o) => o.key);
    expect(partial.manifest.status).toBe('partial');
    expect(partial.manifest.superseded_outputs).toEqual(expect.arrayContaining(stale));
    for (const key of stale) expect(filesUnder(lake)).toContain(key);
    let report: ObjectReport = partial;
    while (report.manifest.status === 'partial') {
      report = await processObject(REF, deps(lake, source, { resume: report.manifest.resume as ResumePoint }));
    }
    expect(report.manifest).toMatchObject({ status: 'ok', records: 3000 });
    for (const key of stale) expect(filesUnder(lake)).not.toContain(key);
    expect(await lakeRows(lake, 'SELECT dt, count(*) AS n FROM events GROUP BY dt')).toEqual([{ dt: '2024-05-02', n: '3000' }]);
  });

  it('records the drift a parser reports in the manifest', async () => {
    const lake = join(dir.path, 'lake');
    const { manifest } = await processObject(REF, deps(lake, new BytesSource(Buffer.from('#Fields: time action id\n2024-05-01T00:00:00Z a b c\n2024-05-01T00:00:00Z a b\n'), 1 << 20)));
    expect(manifest).toMatchObject({ records: 2, schema_drift: 1 });
    const read = (await import('node:fs')).readFileSync(join(lake, `manifests/cloudfront/${manifest.object_id}.json`), 'utf8');
    expect((JSON.parse(read) as Manifest).schema_drift).toBe(1);
  });
});
