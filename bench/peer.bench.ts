/**
 * The peer: what a user would run instead of loglake for a quick lake — a DuckDB one-liner from
 * the gzipped log to a Parquet file, with no normalization — against loglake's whole path on the
 * same generated ~200 MiB (uncompressed) objects, in one run: ALB, CloudTrail, S3 server access
 * and CloudFront. Each scenario runs three times, in rounds, in a process of its own (peak RSS is
 * its own; DuckDB's threads count in the process's CPU time like the libuv pool's), and reports
 * the medians. The ratios table is the targets. `npm run bench -- peer`.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { processObject } from '../pipeline/index.js';
import { resolveOptions } from '../pipeline/run/options.js';
import { LocalLakeSink, LocalSource } from '../pipeline/storage/local-storage.js';
import { accessLogFile } from './gen-access-logs.js';
import { cloudTrailFile } from './gen-cloudtrail.js';
import { cpuPerGB, cpuSince, main, MiB, scenario, type Result } from './lib.js';

const SIZE_MIB = 200;
const RUNS = 3;
type PeerFormat = 'alb' | 'cloudtrail' | 's3access' | 'cloudfront';
const FORMATS: readonly PeerFormat[] = ['alb', 'cloudtrail', 's3access', 'cloudfront'];

interface Input {
  readonly path: string;
  /** Uncompressed bytes. */
  readonly bytes: number;
  /** Records loglake must write (lines or events). */
  readonly records: number;
}

async function input(format: PeerFormat): Promise<Input> {
  if (format === 'cloudtrail') {
    const f = await cloudTrailFile(SIZE_MIB);
    return { path: f.path, bytes: f.bytes, records: f.events };
  }
  const f = await accessLogFile(format, SIZE_MIB);
  return { path: f.path, bytes: f.bytes, records: f.lines };
}

/**
 * The one-liner's SELECT per format, as a user would write it from AWS's and DuckDB's docs:
 * DuckDB's own type sniffing, its default Parquet writer (SNAPPY). S3 access logs have no
 * closer form than space-separated with quotes (the bracketed time becomes two columns);
 * CloudTrail is one `{"Records":[…]}` document, hence the object size limit above the file's.
 */
function peerSelect(format: PeerFormat, path: string): string {
  const file = `'${path.replaceAll("'", "''")}'`;
  switch (format) {
    case 'alb':
    case 's3access':
      return `SELECT * FROM read_csv(${file}, delim=' ', quote='"', header=false)`;
    case 'cloudfront':
      return `SELECT * FROM read_csv(${file}, delim='\t', header=false, skip=2)`;
    case 'cloudtrail':
      return `SELECT unnest(Records) FROM read_json(${file}, maximum_object_size=1073741824)`;
  }
}

/** Whether this build of the pipeline takes a `threads` option (the worker-thread pool). */
function threadsOption(threads: number): Readonly<Record<string, unknown>> | null {
  try {
    resolveOptions({ threads });
    return { threads };
  } catch {
    return null;
  }
}

/** A thread count of the pool (1, 2) when the pipeline has one; today's pipeline otherwise. */
const LOGLAKE_RUNS: ReadonlyArray<{ label: string; options: Readonly<Record<string, unknown>> }> = (() => {
  const one = threadsOption(1);
  const two = threadsOption(2);
  if (one === null || two === null) return [{ label: 'loglake whole path', options: {} }];
  return [
    { label: 'loglake whole path, 1 thread', options: one },
    { label: 'loglake whole path, 2 threads', options: two },
  ];
})();

for (const format of FORMATS) {
  for (const run of LOGLAKE_RUNS) {
    scenario(`${format}: ${run.label} (${resolveOptions(run.options).codec})`, async () => {
      const f = await input(format);
      const lake = mkdtempSync(join(tmpdir(), 'loglake-bench-peer-'));
      try {
        const options = resolveOptions(run.options);
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const { manifest: m } = await processObject({ bucket: '', key: f.path }, { source: new LocalSource(), sink: new LocalLakeSink(lake), options });
        const seconds = (performance.now() - t0) / 1000;
        const cpuSeconds = cpuSince(c0);
        if (m.records !== f.records || m.source !== format) throw new Error(`wrote ${m.records} ${m.source} records, expected ${f.records} ${format}`);
        return { inputMiB: f.bytes / MiB, seconds, cpuSeconds, records: m.records, outputMiB: m.outputs.reduce((a, o) => a + o.bytes, 0) / MiB };
      } finally {
        rmSync(lake, { recursive: true, force: true });
      }
    });
  }

  scenario(`${format}: DuckDB one-liner (SNAPPY)`, async () => {
    const f = await input(format);
    const dir = mkdtempSync(join(tmpdir(), 'loglake-bench-peer-'));
    const out = join(dir, 'x.parquet');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await connection.run(`COPY (${peerSelect(format, f.path)}) TO '${out}' (FORMAT parquet)`);
      const seconds = (performance.now() - t0) / 1000;
      const cpuSeconds = cpuSince(c0);
      const rows = Number((await connection.runAndReadAll(`SELECT count(*) FROM '${out}'`)).getRows()[0]?.[0]);
      if (rows !== f.records) throw new Error(`DuckDB wrote ${rows} rows, expected ${f.records}`);
      return { inputMiB: f.bytes / MiB, seconds, cpuSeconds, records: rows, outputMiB: statSync(out).size / MiB };
    } finally {
      connection.closeSync();
      instance.closeSync();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

const results = await main(import.meta.url, 'Peer: DuckDB one-liner', { runs: RUNS });

/** Targets of issue 17, as ratios of one run. */
function ratios(all: readonly Result[]): string {
  const find = (prefix: string): Result | undefined => all.find((r) => r.name.startsWith(prefix));
  const speed = (r: Result | undefined): number | undefined => (r ? r.inputMiB / r.seconds : undefined);
  const x = (a: number | undefined, b: number | undefined): string => (a !== undefined && b !== undefined ? `${(a / b).toFixed(2)}x` : 'n/a');
  const rows = [
    '| input | wall clock, loglake / DuckDB | target | CPU s per GB, loglake / DuckDB (target <= 1) | 2 threads / 1 thread (target >= 1.8) | peak RSS MiB, loglake (DuckDB) (target < 400) |',
    '|---|---|---|---|---|---|',
  ];
  for (const format of FORMATS) {
    const peer = find(`${format}: DuckDB`);
    const one = find(`${format}: loglake whole path, 1 thread`) ?? find(`${format}: loglake whole path (`);
    const two = find(`${format}: loglake whole path, 2 threads`);
    const best = two ?? one;
    const cpuLoglake = one ? cpuPerGB(one) : undefined;
    const cpuPeer = peer ? cpuPerGB(peer) : undefined;
    const cpu = cpuLoglake !== undefined && cpuPeer !== undefined ? `${cpuLoglake.toFixed(0)} / ${cpuPeer.toFixed(0)} = ${(cpuLoglake / cpuPeer).toFixed(2)}` : 'n/a';
    const rss = best ? `${best.peakRssMiB.toFixed(0)} (${peer?.peakRssMiB.toFixed(0) ?? 'n/a'})` : 'n/a';
    const target = format === 'alb' || format === 'cloudtrail' ? '>= 1.0x' : '>= 0.8x';
    rows.push(`| ${format} | ${x(speed(best), speed(peer))} | ${target} | ${cpu} | ${two ? x(speed(two), speed(one)) : 'no pool'} | ${rss} |`);
  }
  return rows.join('\n');
}

if (results.length > 0) process.stdout.write(`\n${ratios(results)}\n`);
