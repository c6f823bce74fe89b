/**
 * The checks every object of every parser passes, defined once and applied by the sample and
 * corpus test files to whatever they discover:
 * 1. routing: by key when the key follows the parser's naming, by content under a neutral key;
 *    and the ignorables of the parser's source stay ignored under a pin of that source;
 * 2. accounting: `lines_in = records + rejected + skipped`, `lines_in` equal to an independent
 *    frame count, and the rows DuckDB reads back equal to `records` and `rejected`;
 * 3. split equivalence: reads cut anywhere and hand-overs at any point give exactly the rows and
 *    rejects of one uninterrupted run, every column included;
 * 4. two independent Parquet readers (DuckDB, parquet-wasm) read the same values.
 */
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IGNORABLES, type Parser } from '../../parsers/index.js';
import { outputKeys, type Manifest } from '../../pipeline/run/manifest.js';
import { HEAD_BYTES, routeByContent, routeByKey, type Pin } from '../../pipeline/route/route.js';
import { decodeVisible } from '../../pipeline/decode/utf8.js';
import type { FormatName } from '../../schema/index.js';
import { IGNORABLE_EXAMPLES, type Case, type SampleRun } from './cases.js';
import {
  Duck,
  MemorySink,
  counts,
  fixedCuts,
  independentFrames,
  lineCuts,
  runHandedOver,
  runOnce,
  removeTempRoots,
  runToFolder,
  tempRoot,
  type Row,
} from './harness.js';
import { SCHEMA_COLUMNS, readWithDuckDb, readWithParquetWasm } from './parquet-readers.js';

/** The key every content-routing run uses: it follows no AWS naming, so only the bytes decide. */
export const NEUTRAL_KEY = 'x/data.bin';

/**
 * Run-time budget (the whole compliance suite must stay well under 90 s on two cores; each run
 * of `processObject` costs a few milliseconds plus its reads, each DuckDB read about 10 ms):
 * - reads of one byte only for samples of at most `BYTE_READS_MAX` stored bytes;
 * - reads of 7 bytes for samples only (corpus files get 113 and 4093);
 * - a hand-over chain resumes at most about `HANDOVER_RUNS` times (every continuation re-reads
 *   the object from its start, so the cost grows with the square of the runs);
 * - corpus files larger than `CORPUS_SPLIT_MAX` bytes get only reads of 4093 bytes and the
 *   hand-over over the stored object (today one file: the 520 KB CloudTrail NDJSON);
 * - only a sample of the corpus files gets split checks at all: see `splitSampled` in cases.ts.
 */
export const BYTE_READS_MAX = 4 * 1024;
export const HANDOVER_RUNS = 12;
export const CORPUS_SPLIT_MAX = 128 * 1024;

/** One way of feeding an object to the pipeline. */
interface Variant {
  readonly name: string;
  readonly bytes: Buffer;
  readonly cuts: readonly number[];
  /** Yield after this many chunks (or about `runs` times) and continue from the partial manifest; absent for one run. */
  readonly every?: number | { readonly runs: number };
  /** The chain must hand over at least once (reads that each end a frame, more reads than the period). */
  readonly mustHandOver?: boolean;
}

/**
 * The bytes the framer sees, served as an uncompressed object: the object itself when it is not
 * compressed, its one decompressed entry when it is (same key, so the same rows), or null for
 * archives of several entries (each restarts parser state, which concatenation would not) and
 * damaged streams (whose cut frame is rejected differently).
 */
function framerBytes(c: Case): Buffer | null {
  const d = c.decoded;
  if (d.compression === 'none') return c.bytes;
  if (d.damaged || d.entries.length !== 1) return null;
  return (d.entries[0] as { data: Buffer }).data;
}

export function variantsOf(c: Case): Variant[] {
  const out: Variant[] = [];
  if (!c.split) return out;
  const len = c.bytes.byteLength;
  const large = c.kind === 'corpus' && len > CORPUS_SPLIT_MAX;
  if (c.kind === 'sample' && len <= BYTE_READS_MAX) out.push({ name: 'reads of 1 byte', bytes: c.bytes, cuts: fixedCuts(len, 1) });
  const sizes = large ? [4093] : c.kind === 'sample' ? [7, 113, 4093] : [113, 4093];
  for (const size of sizes) out.push({ name: `reads of ${size} bytes`, bytes: c.bytes, cuts: fixedCuts(len, size) });
  const plain = large ? null : framerBytes(c);
  if (plain !== null) {
    const cuts = lineCuts(plain);
    const served = plain === c.bytes ? '' : ' of the decompressed content, served uncompressed';
    out.push({ name: `reads cut at each of its ${cuts.length} line ends${served}`, bytes: plain, cuts });
    const every = Math.max(1, Math.ceil(cuts.length / HANDOVER_RUNS));
    // Each read after the first HEAD_BYTES ends a line, so a line-framed object with more such
    // reads than the period must hand over (routing may gather the head before any frame).
    const afterHead = cuts.filter((end) => end > HEAD_BYTES).length;
    out.push({ name: `a hand-over after every ${every} read(s) cut at line ends${served}`, bytes: plain, cuts, every, mustHandOver: c.parser.framing === 'lines' && afterHead > every + 1 });
  }
  if (c.decoded.compression === 'none') {
    const size = Math.max(7, Math.ceil(len / 8));
    out.push({ name: `a hand-over after every read of ${size} bytes of the stored object`, bytes: c.bytes, cuts: fixedCuts(len, size), every: 1 });
  } else {
    // The decompressor reads ahead (stream buffers) and a run only yields while part of the object
    // is unread: small reads leave chances to yield; the period is calibrated to the chances.
    const size = Math.max(7, Math.ceil(len / 4096));
    out.push({ name: `about ${HANDOVER_RUNS} hand-overs over reads of ${size} bytes of the stored (compressed) object`, bytes: c.bytes, cuts: fixedCuts(len, size), every: { runs: HANDOVER_RUNS } });
  }
  return out;
}

/** What one object's reference run wrote and what DuckDB reads back from it. */
interface Reference {
  readonly manifest: Manifest;
  readonly root: string;
  readonly events: Row[];
  readonly errors: Row[];
}

/** Shared state of one test file: its DuckDB session and the reference runs of its cases. */
export interface SuiteContext {
  duck(): Duck;
  /** Sample references already ran during discovery; corpus references run on first use. */
  readonly sampleRuns: ReadonlyMap<string, SampleRun>;
}

/**
 * The context of one suite file: a DuckDB session opened before its tests and closed (with the
 * temporary lakes) after them. Call it inside the describe block it serves.
 */
export function suiteContext(sampleRuns: ReadonlyMap<string, SampleRun>): SuiteContext {
  let duck: Duck | undefined;
  beforeAll(async () => {
    duck = await Duck.open();
  });
  afterAll(() => {
    duck?.close();
    removeTempRoots();
  });
  return {
    duck: () => {
      if (duck === undefined) throw new Error('DuckDB opens in beforeAll');
      return duck;
    },
    sampleRuns,
  };
}

const references = new Map<string, Promise<Reference>>();

function reference(ctx: SuiteContext, c: Case): Promise<Reference> {
  let r = references.get(c.label);
  if (r === undefined) {
    r = (async (): Promise<Reference> => {
      const known = ctx.sampleRuns.get(c.label);
      let manifest: Manifest;
      let root: string;
      if (known !== undefined) ({ manifest, root } = known);
      else {
        root = tempRoot('loglake-compliance-ref-');
        manifest = (await runToFolder({ key: c.label, bytes: c.bytes, pin: c.pin }, root)).manifest;
      }
      return { manifest, root, events: await ctx.duck().events(root), errors: await ctx.duck().errors(root) };
    })();
    references.set(c.label, r);
  }
  return r;
}

/** Routing, accounting, split equivalence and the two Parquet readers, for one object. */
export function describeCase(ctx: SuiteContext, c: Case): void {
  const parser = c.parser;
  const frames = independentFrames(parser, c.decoded);
  const label = c.unsniffable !== null ? `${c.label} (content not recognizable: ${c.unsniffable}; pinned to ${parser.id})` : c.label;

  if (c.ignorable !== null) {
    const ig = c.ignorable;
    it(`${c.label} is ${ig.name}, an ignorable of source ${parser.source}: ignored${ig.sniffed ? ', also by content alone' : ''}`, async () => {
      const ref = await reference(ctx, c);
      expect({ status: ref.manifest.status, reason: ref.manifest.reason }).toEqual({ status: 'ignored', reason: ig.name });
      if (!ig.sniffed) return;
      const content = (await runOnce({ key: NEUTRAL_KEY, bytes: c.bytes }, new MemorySink())).manifest;
      expect({ status: content.status, reason: content.reason }).toEqual({ status: 'ignored', reason: ig.name });
    });
    return;
  }

  describe(label, () => {
    it(`routes to ${parser.id} by key and by content`, async () => {
      const ref = await reference(ctx, c);
      const byKey = routeByKey(c.label);
      if (parser.keyPatterns.some((p) => p.test(c.label))) {
        expect(byKey?.kind === 'parse' ? byKey.parser.id : byKey, `key ${c.label} follows ${parser.id}'s naming`).toBe(parser.id);
        if (c.pin === null) expect(ref.manifest.routed_by).toBe('key');
      } else {
        expect(byKey === null || (byKey.kind === 'parse' && byKey.parser.id === parser.id), `key ${c.label} routes ${JSON.stringify(byKey)}`).toBe(true);
      }
      const content = (await runOnce({ key: NEUTRAL_KEY, bytes: c.bytes }, new MemorySink())).manifest;
      if (c.unsniffable !== null) {
        // The exception must still hold; if this fails the object routes now: drop it from CONTENT_EXCEPTIONS.
        expect(content, `${c.label} is listed as not recognizable by content`).toMatchObject({ status: 'failed', reason: 'unknown_format' });
        return;
      }
      expect({ parser: content.parser_id, by: content.routed_by, status: content.status }).toEqual({ parser: parser.id, by: 'content', status: ref.manifest.status });
      expect(counts(content)).toEqual(counts(ref.manifest));
    });

    it(`accounts for every frame${frames === null ? ' (no independent count: the text is not JSON as a whole nor line by line)' : ''}, and the lake holds exactly its records and rejects`, async () => {
      const { manifest: m, events, errors } = await reference(ctx, c);
      expect(m.parser_id).toBe(parser.id);
      expect(['ok', 'damaged']).toContain(m.status);
      expect(m.lines_in).toBe(m.records + m.rejected + m.skipped);
      expect(m.compression).toBe(c.decoded.compression);
      expect(m.entries).toBe(c.decoded.entries.length);
      expect(m.bytes_decompressed).toBe(c.decoded.entries.reduce((n, e) => n + e.data.byteLength, 0));
      if (frames !== null) expect(m.lines_in, `frames counted independently in the decompressed ${parser.framing} content`).toBe(frames);
      expect(events.length).toBe(m.records);
      expect(errors.length).toBe(m.rejected);
      expect(m.outputs.reduce((n, o) => n + o.rows, 0)).toBe(m.records);
    });

    it('reads the same values with DuckDB and parquet-wasm from every Parquet file it wrote', async () => {
      const { manifest: m, root } = await reference(ctx, c);
      for (const out of m.outputs) {
        const path = join(root, out.key);
        const wasm = readWithParquetWasm(path);
        const duck = await readWithDuckDb(ctx.duck(), path);
        expect(wasm.columns, out.key).toEqual([...SCHEMA_COLUMNS]);
        expect(duck.columns, out.key).toEqual([...SCHEMA_COLUMNS]);
        expect(wasm.rows.length, out.key).toBe(out.rows);
        expect(wasm.rows, out.key).toEqual(duck.rows);
      }
    });

    for (const v of variantsOf(c)) {
      it(`gives the rows and rejects of one uninterrupted run with ${v.name}`, async () => {
        const ref = await reference(ctx, c);
        const sink = new MemorySink();
        const spec = { key: c.label, bytes: v.bytes, cuts: v.cuts, pin: c.pin };
        const reports = v.every !== undefined ? await runHandedOver(spec, sink, v.every) : [await runOnce(spec, sink)];
        const final = (reports.at(-1) as { manifest: Manifest }).manifest;
        // The outcome first: a run routed elsewhere or failed says so in a few lines, not in a diff of every row.
        const outcome = (m: Manifest): Record<string, unknown> => ({ status: m.status, reason: m.reason, parser: m.parser_id, ...counts(m) });
        expect(outcome(final), final.error ?? undefined).toEqual(outcome(ref.manifest));
        const root = tempRoot('loglake-compliance-split-');
        sink.dump(root);
        const keys = sink.outputKeys();
        // A lake with no data (errors) file reads as no rows: DuckDB is asked only when there is one.
        expect(keys.some((k) => k.startsWith('lake/')) ? await ctx.duck().events(root) : []).toEqual(ref.events);
        expect(keys.some((k) => k.startsWith('errors/')) ? await ctx.duck().errors(root) : []).toEqual(ref.errors);
        if (v.every !== undefined) {
          expect(reports.slice(0, -1).every((r) => r.manifest.status === 'partial')).toBe(true);
          if (v.mustHandOver === true) expect(reports.length, 'runs in the chain').toBeGreaterThan(1);
          // Nothing stale: what the lake holds is exactly what the final manifest lists.
          expect(sink.outputKeys()).toEqual(outputKeys(final).sort());
        }
      });
    }
  });
}

/**
 * The ignorables of the parser's source, under a pin of that source and of the parser's id:
 * still ignored by key, and by content under a neutral key when they can be sniffed.
 */
export function describeIgnorables(parser: Parser): void {
  const own = IGNORABLES.filter((i) => i.source === parser.source);
  if (own.length === 0) return;
  describe(`ignorables of source ${parser.source} stay ignored under a pin (${own.map((i) => i.name).join(', ')})`, () => {
    for (const ig of own) {
      const example = IGNORABLE_EXAMPLES[ig.name];
      it(`${ig.name}: has a minimal example its own key patterns recognize`, () => {
        expect(example, `add a minimal example of ignorable ${ig.name} to IGNORABLE_EXAMPLES in test/compliance/cases.ts`).toBeDefined();
        expect(ig.keyPatterns.some((p) => p.test(example?.key ?? ''))).toBe(true);
      });
      if (example === undefined) continue;
      const head = headOf(example.body);
      const sniffable = ig.sniff(head);
      for (const format of [parser.source, parser.id] as FormatName[]) {
        const pin: Pin = { kind: 'pin', format };
        it(`${ig.name}: ignored by key under pin ${format}`, async () => {
          expect(routeByKey(example.key, undefined, pin)).toMatchObject({ kind: 'ignore', name: ig.name });
          const { manifest } = await runOnce({ key: example.key, bytes: example.body, pin }, new MemorySink());
          expect({ status: manifest.status, reason: manifest.reason, records: manifest.records, rejected: manifest.rejected }).toEqual({ status: 'ignored', reason: ig.name, records: 0, rejected: 0 });
        });
        if (sniffable) {
          it(`${ig.name}: ignored by content under pin ${format} and a neutral key`, async () => {
            expect(routeByContent(head, undefined, pin)).toMatchObject({ kind: 'ignore', name: ig.name });
            const { manifest } = await runOnce({ key: NEUTRAL_KEY, bytes: example.body, pin }, new MemorySink());
            expect({ status: manifest.status, reason: manifest.reason, records: manifest.records, rejected: manifest.rejected }).toEqual({ status: 'ignored', reason: ig.name, records: 0, rejected: 0 });
          });
        }
      }
    }
  });
}

/** The first decoded text of an example body, as content routing sees it (gzip examples are stored compressed, as AWS does). */
function headOf(body: Buffer): string {
  const text = body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body) : body;
  return decodeVisible(text, 0, Math.min(text.byteLength, HEAD_BYTES)).text;
}
