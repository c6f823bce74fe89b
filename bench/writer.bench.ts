/**
 * The Parquet writer alone, on rows already parsed (CloudTrail and ALB, the widest and the most
 * map-heavy rows): column encoding into pages, then the whole writer with GZIP to a local file,
 * then the cost of each GZIP level on the encoded pages, the figures the writer's level was
 * chosen by. One row group of records is held in memory and written `PASSES` times: holding
 * more would make the benchmark measure the garbage collector marking them, which the pipeline
 * never pays (its records die young). MiB/s are of the rows' raw text. `npm run bench -- writer`.
 */
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { createGunzip, gzipSync } from 'node:zlib';
import { PARSERS, type ParseContext } from '../parsers/index.js';
import { JsonRecordFramer, LineFramer, type FrameSink } from '../pipeline/framing/framing.js';
import { recordId } from '../pipeline/run/identity.js';
import { LocalLakeSink } from '../pipeline/storage/local-storage.js';
import { encodeRowGroup } from '../pipeline/parquet/parquet-encoding.js';
import { GZIP_LEVEL, ParquetFileWriter } from '../pipeline/parquet/parquet-writer.js';
import { COLUMNS, type EventFields } from '../schema/index.js';
import { accessLogFile } from './gen-access-logs.js';
import { cloudTrailFile } from './gen-cloudtrail.js';
import { main, MiB, scenario } from './lib.js';

type ZstdSync = (b: Uint8Array, o: { params: Record<number, number> }) => Buffer;
/** `zlib.zstdCompressSync` and the level parameter's id, where this Node.js has them. */
const zstdSync = (zlib as unknown as { zstdCompressSync?: ZstdSync }).zstdCompressSync;
const ZSTD_C_COMPRESSION_LEVEL = (zlib.constants as unknown as Record<string, number>).ZSTD_c_compressionLevel ?? 100;

const GROUP = 20_000;
/** The identity columns every row of one output file shares, as the writer stamps them. */
const STAMP = { object: 's3://bucket/AWSLogs/111122223333/bench/object.json.gz', objectId: '0123456789abcdef0123456789abcdef', ingestedAt: 1_732_780_800_000, parserVersion: 'bench@1' };
const ROWS = GROUP;
const PASSES = 5;
type Format = 'cloudtrail' | 'alb';

interface Parsed {
  readonly records: EventFields[];
  readonly raws: string[];
  readonly rawMiB: number;
}

/** The first `ROWS` records of a generated file, parsed, with their raw text. */
async function parsed(format: Format): Promise<Parsed> {
  const parser = PARSERS.find((p) => p.id === format);
  if (!parser || parser.framing === 'csv') throw new Error(`no line or JSON parser ${format}`);
  const path = format === 'cloudtrail' ? (await cloudTrailFile(200)).path : (await accessLogFile('alb', 48)).path;
  const ctx: ParseContext = { object: 'bench', ordinal: 0, state: parser.createState?.() };
  const records: EventFields[] = [];
  const raws: string[] = [];
  let chars = 0;
  const sink: FrameSink = {
    frame: (text) => {
      if (records.length >= ROWS) return;
      const r = parser.framing === 'lines' ? parser.parse(text, ctx) : parser.parse(JSON.parse(text), ctx);
      if (r.ok !== true) return;
      records.push(r.record);
      raws.push(text);
      chars += text.length;
    },
    reject: () => undefined,
  };
  const opts = { maxLineBytes: 4 * MiB, maxRejectRawBytes: 64 * 1024 };
  const framer = format === 'cloudtrail' ? new JsonRecordFramer(sink, opts, ['Records'], path) : new LineFramer(sink, opts);
  for await (const chunk of createReadStream(path).pipe(createGunzip({ chunkSize: 256 * 1024 }))) {
    framer.push(chunk as Buffer);
    if (records.length >= ROWS) break;
  }
  return { records, raws, rawMiB: chars / MiB };
}

/** Column arrays of rows `[from, to)`, stamped the way the writer stamps them. */
function columnsOf(p: Parsed, from: number, to: number): Record<string, unknown[]> {
  const cols: Record<string, unknown[]> = {};
  for (const c of COLUMNS) cols[c.name] = [];
  for (let i = from; i < to; i++) {
    const rec = p.records[i] as unknown as Record<string, unknown>;
    for (const c of COLUMNS) (cols[c.name] as unknown[]).push(rec[c.name] ?? null);
    (cols.raw as unknown[])[i - from] = p.raws[i];
    (cols.ordinal as unknown[])[i - from] = i + 1;
    (cols.object as unknown[])[i - from] = STAMP.object;
    (cols.ingested_at as unknown[])[i - from] = STAMP.ingestedAt;
    (cols.parser_version as unknown[])[i - from] = STAMP.parserVersion;
    (cols.record_id as unknown[])[i - from] = recordId(STAMP.objectId, i + 1);
  }
  return cols;
}

for (const format of ['cloudtrail', 'alb'] as const) {
  scenario(`${format}: encode ${PASSES} row groups of ${GROUP.toLocaleString('en-US')} rows into pages`, async () => {
    const p = await parsed(format);
    const group = columnsOf(p, 0, p.records.length);
    encodeRowGroup(group);
    const t0 = performance.now();
    let bytes = 0;
    for (let pass = 0; pass < PASSES; pass++) for (const c of encodeRowGroup(group)) for (const page of c.pages) bytes += page.bytes.byteLength;
    const seconds = (performance.now() - t0) / 1000;
    return { inputMiB: p.rawMiB * PASSES, seconds, records: p.records.length * PASSES, outputMiB: bytes / MiB, note: 'uncompressed pages' };
  });

  scenario(`${format}: whole writer, ${(GROUP * PASSES).toLocaleString('en-US')} rows to a GZIP file`, async () => {
    const p = await parsed(format);
    const dir = mkdtempSync(join(tmpdir(), 'loglake-bench-writer-'));
    try {
      const sink = new LocalLakeSink(dir);
      const t0 = performance.now();
      const w = new ParquetFileWriter(await sink.create('out.parquet'), { codec: 'GZIP', rowGroupRows: GROUP, createdBy: 'bench', stamp: STAMP });
      for (let pass = 0; pass < PASSES; pass++) {
        for (let i = 0; i < p.records.length; i++) {
          w.add(p.records[i] as EventFields, p.raws[i] as string, pass * p.records.length + i + 1);
          if (w.full) await w.flush();
        }
      }
      await w.close();
      const seconds = (performance.now() - t0) / 1000;
      return { inputMiB: p.rawMiB * PASSES, seconds, records: p.records.length * PASSES, outputMiB: statSync(join(dir, 'out.parquet')).size / MiB, note: `GZIP level ${GZIP_LEVEL}` };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Each level of each codec on the pages of one encoded row group, one thread: the figures the
  // writer's levels are chosen by. ZSTD where node:zlib has it (Node >= 22.15, Lambda's Node 24).
  const codecs: Array<{ codec: string; levels: number[]; compress: (page: Uint8Array, level: number) => Uint8Array }> = [
    { codec: 'GZIP', levels: [1, 3, 5, 6, 9], compress: (page, level) => gzipSync(page, { level }) },
  ];
  const zstd = zstdSync;
  if (zstd !== undefined) codecs.push({ codec: 'ZSTD', levels: [1, 3, 6, 9], compress: (page, level) => zstd(page, { params: { [ZSTD_C_COMPRESSION_LEVEL]: level } }) });
  for (const { codec, levels, compress } of codecs) {
    for (const level of levels) {
      scenario(`${format}: ${codec} level ${level} of the encoded pages`, async () => {
        const p = await parsed(format);
        const pages = encodeRowGroup(columnsOf(p, 0, p.records.length)).flatMap((c) => c.pages.map((page) => page.bytes));
        let pageBytes = 0;
        for (const page of pages) pageBytes += page.byteLength;
        const t0 = performance.now();
        let out = 0;
        for (const page of pages) out += compress(page, level).byteLength;
        const seconds = (performance.now() - t0) / 1000;
        return { inputMiB: p.rawMiB, seconds, outputMiB: out / MiB, note: `${(pageBytes / MiB).toFixed(1)} MiB of pages at ${(pageBytes / MiB / seconds).toFixed(0)} MiB/s, one thread` };
      });
    }
  }
}

await main(import.meta.url, 'Parquet writer');
