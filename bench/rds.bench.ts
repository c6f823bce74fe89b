/**
 * Amazon RDS database logs: one generated file per engine log (`bench/gen-rds.ts`: PostgreSQL,
 * MySQL error, slow query, general and audit logs, statements over 1–30 lines) under the RDS log
 * exporter's key layout. Per log, in one run: decompression + framing alone (records joined over
 * lines by the parser's `recordStart`), parse + normalize alone over the frames held in memory
 * (the header hook, then `parse`, as the pipeline hands a frame over; best of three passes), and
 * the whole path to Parquet with its peak RSS. `npm run bench -- rds`.
 */
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { PARSERS, type LineParser, type ParseContext } from '../parsers/index.js';
import { LineFramer } from '../pipeline/framing/framing.js';
import { LocalLakeSink, LocalSource } from '../pipeline/storage/local-storage.js';
import { resolveOptions } from '../pipeline/run/options.js';
import { processObject } from '../pipeline/index.js';
import { rdsLogFile, type RdsBenchLog } from './gen-rds.js';
import { main, MiB, scenario } from './lib.js';

const SIZE_MIB = 32;
const LOGS: ReadonlyArray<{ log: RdsBenchLog; parser: string }> = [
  { log: 'postgresql', parser: 'rds-postgresql' },
  { log: 'error', parser: 'rds-mysql-error' },
  { log: 'slowquery', parser: 'rds-mysql-slowquery' },
  { log: 'general', parser: 'rds-mysql-general' },
  { log: 'audit', parser: 'rds-mysql-audit' },
];
const READ = { highWaterMark: MiB };
const FRAMING = { maxLineBytes: 4 * MiB, maxRejectRawBytes: 64 * 1024 };
const WARMUP_FRAMES = 20_000;
const PASSES = 3;

function parserOf(id: string): LineParser {
  const p = PARSERS.find((x) => x.id === id);
  if (!p || p.framing !== 'lines') throw new Error(`no line parser ${id}`);
  return p;
}

/** Frames of the file as the pipeline cuts them. */
async function gunzipFrames(path: string, parser: LineParser, onFrame: (frame: string) => void): Promise<void> {
  const framer = new LineFramer({ frame: (t) => onFrame(t), reject: () => undefined }, FRAMING, parser.recordStart?.bind(parser));
  for await (const chunk of createReadStream(path, READ).pipe(createGunzip({ chunkSize: 256 * 1024 }))) framer.push(chunk as Buffer);
  framer.end();
}

/** The records of the first `count` frames, each through the header hook and then `parse`, with fresh per-object state. */
function parseAll(parser: LineParser, path: string, frames: readonly string[], count: number): number {
  const ctx: ParseContext = { object: path, ordinal: 0, state: parser.createState?.(), drift: 0 };
  let records = 0;
  for (let i = 0; i < count; i++) {
    const frame = frames[i] as string;
    ctx.ordinal = i + 1;
    if (parser.header?.(frame, ctx.state) === true) continue;
    if (parser.parse(frame, ctx).ok === true) records++;
  }
  return records;
}

function bestOf(pass: () => number): { seconds: number; value: number } {
  let seconds = Infinity;
  let value = 0;
  for (let i = 0; i < PASSES; i++) {
    const t0 = performance.now();
    value = pass();
    seconds = Math.min(seconds, (performance.now() - t0) / 1000);
  }
  return { seconds, value };
}

for (const { log, parser: id } of LOGS) {
  scenario(`${id}: gunzip + framing`, async () => {
    const f = await rdsLogFile(log, SIZE_MIB);
    let frames = 0;
    const t0 = performance.now();
    await gunzipFrames(f.path, parserOf(id), () => frames++);
    const seconds = (performance.now() - t0) / 1000;
    if (frames !== f.frames) throw new Error(`framed ${frames}, expected ${f.frames}`);
    return { inputMiB: f.bytes / MiB, seconds, records: frames, note: `${f.lines.toLocaleString('en-US')} lines → ${frames.toLocaleString('en-US')} frames` };
  });

  scenario(`${id}: parse + normalize`, async () => {
    const f = await rdsLogFile(log, SIZE_MIB);
    const parser = parserOf(id);
    const frames: string[] = [];
    await gunzipFrames(f.path, parser, (t) => frames.push(t));
    parseAll(parser, f.path, frames, Math.min(WARMUP_FRAMES, frames.length));
    const { seconds, value: records } = bestOf(() => parseAll(parser, f.path, frames, frames.length));
    if (records !== f.records) throw new Error(`parsed ${records} records, expected ${f.records}`);
    return { inputMiB: f.bytes / MiB, seconds, records };
  });

  scenario(`${id}: whole path to Parquet (${resolveOptions().codec})`, async () => {
    const f = await rdsLogFile(log, SIZE_MIB);
    const lake = mkdtempSync(join(tmpdir(), 'loglake-bench-'));
    try {
      const t0 = performance.now();
      const { manifest: m } = await processObject({ bucket: '', key: f.path }, { source: new LocalSource(), sink: new LocalLakeSink(lake), options: resolveOptions() });
      const seconds = (performance.now() - t0) / 1000;
      if (m.records !== f.records || m.rejected !== 0 || m.parser_id !== id || m.routed_by !== 'key') {
        throw new Error(`wrote ${m.records} ${m.parser_id} records, ${m.rejected} rejected (${m.routed_by}), expected ${f.records} ${id} by key`);
      }
      const out = m.outputs.reduce((a, o) => a + o.bytes, 0);
      return { inputMiB: f.bytes / MiB, seconds, records: m.records, outputMiB: out / MiB };
    } finally {
      rmSync(lake, { recursive: true, force: true });
    }
  });
}

await main(import.meta.url, 'Amazon RDS database logs');
