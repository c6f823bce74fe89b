/**
 * CloudTrail: decompression alone (node:zlib vs zlib-sync), decompression + JSON.parse alone,
 * and the whole path to Parquet on 200 MiB and 1 GiB of generated events, each in its own
 * process so peak RSS is its own. `npm run bench -- cloudtrail`.
 */
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip, gunzipSync } from 'node:zlib';
import { JsonRecordFramer } from '../pipeline/framing/framing.js';
import { LocalLakeSink, LocalSource } from '../pipeline/storage/local-storage.js';
import { resolveOptions } from '../pipeline/run/options.js';
import { processObject } from '../pipeline/index.js';
import { cloudTrailFile } from './gen-cloudtrail.js';
import { cpuSince, loadNow, main, median, MiB, scenario, wholePath } from './lib.js';

const READ = { highWaterMark: MiB };

async function gunzipStream(path: string, onChunk: (b: Buffer) => void): Promise<void> {
  for await (const chunk of createReadStream(path, READ).pipe(createGunzip({ chunkSize: 256 * 1024 }))) onChunk(chunk as Buffer);
}

interface ZlibSyncInflate {
  push(data: Buffer, flush?: number): void;
  readonly result: Buffer | undefined;
  readonly err: number;
  readonly msg: string;
}

function zlibSync(): { Inflate: new (opts: { chunkSize: number; windowBits: number }) => ZlibSyncInflate; Z_SYNC_FLUSH: number } | null {
  try {
    return createRequire(import.meta.url)('zlib-sync') as never;
  } catch {
    return null;
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - t0) / 1000, value };
}

scenario('gunzip node:zlib (256 KiB chunks), 200 MiB', async () => {
  const f = await cloudTrailFile(200);
  let bytes = 0;
  const { seconds } = await timed(() => gunzipStream(f.path, (b) => (bytes += b.byteLength)));
  if (bytes !== f.bytes) throw new Error(`decompressed ${bytes} bytes, expected ${f.bytes}`);
  return { inputMiB: f.bytes / MiB, seconds };
});

scenario('gunzip zlib-sync (1 MiB pushes), 200 MiB', async () => {
  const f = await cloudTrailFile(200);
  const z = zlibSync();
  if (!z) return { inputMiB: 0, seconds: 1, note: 'zlib-sync not installed (optional native addon)' };
  let bytes = 0;
  const { seconds } = await timed(async () => {
    const inflate = new z.Inflate({ chunkSize: 256 * 1024, windowBits: 31 });
    for await (const chunk of createReadStream(f.path, READ)) {
      inflate.push(chunk as Buffer, z.Z_SYNC_FLUSH);
      if (inflate.err < 0) throw new Error(`zlib-sync: ${inflate.msg}`);
      bytes += inflate.result?.byteLength ?? 0;
    }
  });
  if (bytes !== f.bytes) throw new Error(`decompressed ${bytes} bytes, expected ${f.bytes}`);
  return { inputMiB: f.bytes / MiB, seconds };
});

scenario('gunzipSync + JSON.parse of the whole document, 200 MiB', async () => {
  const f = await cloudTrailFile(200);
  const { seconds, value } = await timed(async () => (JSON.parse(gunzipSync(readFileSync(f.path)).toString('utf8')) as { Records: unknown[] }).Records.length);
  if (value !== f.events) throw new Error(`parsed ${value} events, expected ${f.events}`);
  return { inputMiB: f.bytes / MiB, seconds, records: value };
});

scenario('gunzip + record framing + JSON.parse (streaming), 200 MiB', async () => {
  const f = await cloudTrailFile(200);
  let records = 0;
  const { seconds } = await timed(async () => {
    const framer = new JsonRecordFramer(
      {
        // The framer parses each record it cuts (JSON.parse once per record) and hands on the value.
        frame: (_t, _i, _c, json) => {
          if (json?.ok !== true) throw new Error('a record did not parse');
          records++;
        },
        reject: () => {
          throw new Error('unexpected rejection');
        },
      },
      { maxLineBytes: 4 * MiB, maxRejectRawBytes: 64 * 1024 },
      ['Records'],
      f.path,
    );
    await gunzipStream(f.path, (b) => framer.push(b));
    framer.end();
  });
  if (records !== f.events) throw new Error(`framed ${records} records, expected ${f.events}`);
  return { inputMiB: f.bytes / MiB, seconds, records };
});

for (const mib of [200, 1024]) {
  scenario(`whole path to Parquet (${resolveOptions().codec}), ${mib} MiB`, async () => {
    const f = await cloudTrailFile(mib);
    const lake = mkdtempSync(join(tmpdir(), 'loglake-bench-'));
    try {
      const { seconds, value } = await timed(() =>
        processObject({ bucket: '', key: f.path }, { source: new LocalSource(), sink: new LocalLakeSink(lake), options: resolveOptions() }),
      );
      const m = value.manifest;
      if (m.records !== f.events) throw new Error(`wrote ${m.records} records, expected ${f.events}`);
      const out = m.outputs.reduce((a, o) => a + o.bytes, 0);
      return { inputMiB: f.bytes / MiB, seconds, records: m.records, outputMiB: out / MiB };
    } finally {
      rmSync(lake, { recursive: true, force: true });
    }
  });
}

// Worker threads (pipeline/threads/): 200 MiB of CloudTrail, one thread against two, and 2 GiB
// with two (peak RSS must not grow with the input).
for (const [mib, threads] of [[200, 1], [200, 2], [2048, 2]] as const) {
  scenario(`whole path, ${mib} MiB, ${threads} thread${threads > 1 ? 's' : ''}`, async () => {
    const f = await cloudTrailFile(mib);
    const r = await wholePath(f.path, f.bytes, threads);
    if (r.records !== f.events) throw new Error(`wrote ${r.records} records, expected ${f.events}`);
    return r;
  });
}

// Hash while ingesting (pipeline/run/content-hash.ts): the whole path with and without the
// SHA-256 of the content that integrity validation reads from the manifest, alternated in one
// process (on, off, on, off, …) so the machine's load weighs on both alike; medians.
const ROUNDS = 5;
scenario('whole path, 200 MiB, content hashing on vs off', async () => {
  const f = await cloudTrailFile(200);
  const runs: Record<'on' | 'off', Array<{ seconds: number; cpu: number }>> = { on: [], off: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of ['on', 'off'] as const) {
      const lake = mkdtempSync(join(tmpdir(), 'loglake-bench-'));
      try {
        const cpu = process.cpuUsage();
        const { seconds, value } = await timed(() =>
          processObject({ bucket: '', key: f.path }, { source: new LocalSource(), sink: new LocalLakeSink(lake), options: resolveOptions(), hashContent: mode === 'on' }),
        );
        const m = value.manifest;
        if (m.records !== f.events || (mode === 'on') !== (typeof m.sha256 === 'string')) throw new Error(`hashing ${mode}: ${m.records} records, sha256 ${String(m.sha256)}`);
        runs[mode].push({ seconds, cpu: cpuSince(cpu) });
      } finally {
        rmSync(lake, { recursive: true, force: true });
      }
    }
  }
  const on = { seconds: median(runs.on.map((r) => r.seconds)), cpu: median(runs.on.map((r) => r.cpu)) };
  const off = { seconds: median(runs.off.map((r) => r.seconds)), cpu: median(runs.off.map((r) => r.cpu)) };
  const mibs = f.bytes / MiB;
  // The hashing alone, on the same uncompressed content in the run's chunk size: what the
  // difference of two noisy whole-path medians should come to on a quiet machine.
  const content = gunzipSync(readFileSync(f.path));
  const hashCpu = process.cpuUsage();
  const h = createHash('sha256');
  for (let at = 0; at < content.length; at += 256 * 1024) h.update(content.subarray(at, at + 256 * 1024));
  h.digest();
  const hashAlone = cpuSince(hashCpu);
  const load = loadNow();
  return {
    inputMiB: mibs,
    seconds: on.seconds,
    cpuSeconds: on.cpu,
    records: f.events,
    note: `hashing on ${(mibs / on.seconds).toFixed(1)} MiB/s (${on.cpu.toFixed(1)} CPU s), off ${(mibs / off.seconds).toFixed(1)} MiB/s (${off.cpu.toFixed(1)} CPU s): wall +${(((on.seconds - off.seconds) / off.seconds) * 100).toFixed(1)} %, CPU +${(((on.cpu - off.cpu) / off.cpu) * 100).toFixed(1)} % (medians of ${ROUNDS} alternated runs each); SHA-256 alone of the ${(content.length / MiB).toFixed(0)} MiB of content ${hashAlone.toFixed(2)} CPU s = ${((hashAlone / off.cpu) * 100).toFixed(1)} % of the path without it; load ${load}`,
  };
});

const results = await main(import.meta.url, 'CloudTrail');
if (results.length > 0) {
  const rate = (name: string): number | undefined => {
    const r = results.find((x) => x.name.startsWith(name));
    return r && r.inputMiB > 0 ? r.inputMiB / r.seconds : undefined;
  };
  const streaming = rate('gunzip + record framing');
  const document = rate('gunzipSync + JSON.parse');
  for (const r of results.filter((x) => x.name.startsWith('whole path'))) {
    const whole = r.inputMiB / r.seconds;
    const pct = (base: number | undefined): string => (base ? `${((whole / base) * 100).toFixed(0)} %` : 'n/a');
    process.stdout.write(
      `\n${r.name}: ${pct(document)} of gunzipSync + JSON.parse of the whole document, ${pct(streaming)} of streaming gunzip + framing + JSON.parse (target >= 30 %)`,
    );
  }
  process.stdout.write('\n');
}
