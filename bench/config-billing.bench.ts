/**
 * Config and billing: CSV framing alone (quote-parity rows + csv-parse cells), and the whole path
 * to Parquet for a 1 GiB Cost and Usage Report, a 200 MiB Detailed Billing Report zip and a
 * 500 MiB Config snapshot, each in its own process so peak RSS is its own. Inputs are generated
 * from a seed into bench/.data/ (see gen-config-billing.ts); every day partition of an object is
 * open until its end, the case that tests whether memory stays flat.
 * `npm run bench -- config-billing`.
 */
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { CsvFramer } from '../pipeline/framing/csv-framer.js';
import { LocalLakeSink, LocalSource } from '../pipeline/storage/local-storage.js';
import { resolveOptions } from '../pipeline/run/options.js';
import { processObject } from '../pipeline/index.js';
import { configSnapshotFile, curFile, dbrFile, type Generated } from './gen-config-billing.js';
import { main, MiB, scenario } from './lib.js';

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - t0) / 1000, value };
}

/** Runs the real pipeline on a generated file into a throw-away lake and checks every record landed. */
async function wholePath(f: Generated, extraSkipped: number): Promise<{ inputMiB: number; seconds: number; records: number; outputMiB: number; note: string }> {
  const lake = mkdtempSync(join(tmpdir(), 'loglake-bench-'));
  try {
    const { seconds, value } = await timed(() => processObject({ bucket: '', key: f.path }, { source: new LocalSource(), sink: new LocalLakeSink(lake), options: resolveOptions() }));
    const m = value.manifest;
    if (m.status !== 'ok' || m.records !== f.records || m.rejected !== 0 || m.skipped !== extraSkipped) {
      throw new Error(`${f.path}: ${m.status} ${m.records} records (expected ${f.records}), ${m.rejected} rejected, ${m.skipped} skipped: ${m.error ?? ''}`);
    }
    const out = m.outputs.reduce((a, o) => a + o.bytes, 0);
    return { inputMiB: f.bytes / MiB, seconds, records: m.records, outputMiB: out / MiB, note: `${m.outputs.length} day partitions` };
  } finally {
    rmSync(lake, { recursive: true, force: true });
  }
}

scenario('CUR: gunzip + CSV rows + csv-parse cells, 200 MiB', async () => {
  const f = await curFile(200);
  let rows = 0;
  const { seconds } = await timed(async () => {
    const framer = new CsvFramer(
      {
        frame: (_t, _i, fields) => {
          if (fields === undefined || fields.length !== 49) throw new Error(`row ${rows} has ${fields?.length} cells`);
          rows++;
        },
        reject: (reason, raw) => {
          throw new Error(`unexpected rejection ${reason}: ${raw.slice(0, 80)}`);
        },
      },
      { maxLineBytes: 4 * MiB, maxRejectRawBytes: 64 * 1024 },
    );
    for await (const chunk of createReadStream(f.path, { highWaterMark: MiB }).pipe(createGunzip({ chunkSize: 256 * 1024 }))) framer.push(chunk as Buffer);
    framer.end();
  });
  // the header row is a frame too
  if (rows !== f.records + 1) throw new Error(`framed ${rows} rows, expected ${f.records + 1}`);
  return { inputMiB: f.bytes / MiB, seconds, records: rows };
});

scenario('CUR: whole path to Parquet, 1 GiB (31 open days)', async () => wholePath(await curFile(1024), 1));

scenario('DBR: whole path to Parquet, 200 MiB zip (30 open days)', async () => wholePath(await dbrFile(200), 1));

scenario('Config: whole path to Parquet, 500 MiB snapshot (365 open days)', async () => wholePath(await configSnapshotFile(500), 0));

await main(import.meta.url, 'Config and billing');
