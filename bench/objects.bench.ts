/**
 * The `objects` view: how long DuckDB takes to open and query a lake's manifests, for lakes of
 * 10,000 and 50,000 objects. The manifests are those of one real ALB run, varied per object
 * (key, id, status, times), written as the worker writes them (one line each). Prints the mean
 * manifest size, which is what an Athena query over `objects` reads per object.
 * `npm run bench -- objects`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { NAMED_QUERIES } from '../infra/queries.js';
import { LakeQuery } from '../query/lake-query.js';
import { serializeManifest, type Manifest } from '../pipeline/run/manifest.js';
import { runLocal } from '../test/helpers/lake.js';

const SIZES = [10_000, 50_000];
const sample = join(import.meta.dirname, '..', 'samples', 'alb', 'bad-lines.log');

const seedLake = mkdtempSync(join(tmpdir(), 'loglake-objects-seed-'));
const seed: Manifest = (await runLocal(sample, seedLake)).manifest;
rmSync(seedLake, { recursive: true, force: true });

const sql = (id: string): string => NAMED_QUERIES.find((q) => q.id === id)?.sql ?? '';
const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const t = performance.now();
  const v = await fn();
  return [v, performance.now() - t];
};

process.stdout.write(`objects view (DuckDB), load average ${loadavg()[0]?.toFixed(1)}\n`);
process.stdout.write('| objects | manifest bytes (mean) | write | open view | count(*) | failed today | lag by source | peak RSS |\n|---|---|---|---|---|---|---|---|\n');
for (const n of SIZES) {
  const lake = mkdtempSync(join(tmpdir(), 'loglake-objects-bench-'));
  try {
    const now = Date.now();
    let bytes = 0;
    const [, writeMs] = await timed(async () => {
      for (const source of ['alb', 'cloudtrail', 'vpcflow', 'unknown']) mkdirSync(join(lake, 'manifests', source), { recursive: true });
      for (let i = 0; i < n; i++) {
        const source = ['alb', 'cloudtrail', 'vpcflow', 'unknown'][i % 4] as string;
        const failed = i % 97 === 0;
        const finished = now - (i % 86_400) * 1000;
        const m: Manifest = {
          ...seed,
          object: `s3://logs/AWSLogs/${i}.log.gz`,
          object_id: `id${String(i).padStart(12, '0')}`,
          key: `AWSLogs/${i}.log.gz`,
          source: source === 'unknown' ? null : source,
          status: failed ? 'failed' : 'ok',
          reason: failed ? 'unreadable' : null,
          error: failed ? 's3://logs/x: access denied (AccessDenied, HTTP 403)' : null,
          started_at: new Date(finished - 900).toISOString(),
          finished_at: new Date(finished).toISOString(),
          object_last_modified: failed ? null : new Date(finished - 60_000 - (i % 600) * 1000).toISOString(),
        };
        const text = serializeManifest(m);
        bytes += Buffer.byteLength(text);
        writeFileSync(join(lake, 'manifests', source, `${m.object_id}.json`), text);
      }
    });
    const [q, openMs] = await timed(() => LakeQuery.open(lake));
    try {
      const [count, countMs] = await timed(() => q.rows('SELECT count(*)::INTEGER AS n FROM objects'));
      const [failed, failedMs] = await timed(() => q.rows(sql('ObjectsFailedToday')));
      const [lag, lagMs] = await timed(() => q.rows(sql('IngestLagBySource')));
      if (count.rows[0]?.n !== n || failed.rows.length === 0 || lag.rows.length === 0) throw new Error(`unexpected results: ${JSON.stringify([count.rows, failed.rows.length, lag.rows.length])}`);
      const rss = process.resourceUsage().maxRSS / 1024;
      const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
      process.stdout.write(`| ${n.toLocaleString('en-US')} | ${Math.round(bytes / n)} | ${s(writeMs)} | ${s(openMs)} | ${s(countMs)} | ${s(failedMs)} | ${s(lagMs)} | ${Math.round(rss)} MiB |\n`);
    } finally {
      q.close();
    }
  } finally {
    rmSync(lake, { recursive: true, force: true });
  }
}
