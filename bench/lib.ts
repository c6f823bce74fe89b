/**
 * Benchmark plumbing. Each scenario runs in its own child process so its peak RSS is its own;
 * a bench file calls `scenario()` for every case it defines and `main()` to run them and print
 * MB/s (MiB of uncompressed input per second), records/s, peak RSS and, for scenarios that
 * measure it, CPU seconds per GB.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processObject, resolveOptions } from '../pipeline/index.js';
import { LocalLakeSink, LocalSource } from '../pipeline/storage/local-storage.js';
import { sharedPool } from '../pipeline/threads/pool.js';

export interface Result {
  readonly name: string;
  /** Uncompressed input, MiB. */
  readonly inputMiB: number;
  readonly seconds: number;
  readonly records?: number;
  readonly outputMiB?: number;
  readonly peakRssMiB: number;
  /** CPU time of the timed work, user + system, every thread of the process (GC, libuv pool, native libraries). */
  readonly cpuSeconds?: number;
  readonly note?: string;
}

type Scenario = () => Promise<Omit<Result, 'peakRssMiB' | 'name'>>;

const scenarios = new Map<string, Scenario>();

/** Registers a named scenario of the calling bench file. */
export function scenario(name: string, run: Scenario): void {
  scenarios.set(name, run);
}

export const MiB = 1024 * 1024;
/** Decimal gigabyte: CPU seconds and cost are quoted per GB of uncompressed logs, as AWS prices data. */
export const GB = 1e9;

/** CPU seconds (user + system, all threads of this process) since `from`. */
export function cpuSince(from: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1e6;
}

/** CPU seconds per GB of uncompressed input. */
export function cpuPerGB(r: Pick<Result, 'inputMiB' | 'cpuSeconds'>): number | undefined {
  return r.cpuSeconds === undefined || r.inputMiB <= 0 ? undefined : r.cpuSeconds / ((r.inputMiB * MiB) / GB);
}

/**
 * One object through the whole path into a fresh local lake with `threads` threads (1 = no
 * worker thread): wall and CPU seconds (every thread of the process, worker threads included),
 * output size, and the load average of the machine when it ended, since the speed-up of a
 * second thread is only what the machine's other work leaves of its core.
 */
export async function wholePath(path: string, inputBytes: number, threads: number): Promise<Omit<Result, 'peakRssMiB' | 'name'>> {
  const lake = mkdtempSync(join(tmpdir(), 'loglake-bench-'));
  try {
    // Threads start once per process (a Lambda container, a CLI run): timed apart, not in the run.
    const started = performance.now();
    if (threads > 1) await sharedPool(threads).start();
    const startSeconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage();
    // The main thread's own CPU where Node.js can tell (process.threadCpuUsage, Node >= 23.9):
    // whether it or the cores are the limit.
    const threadCpu = (process as { threadCpuUsage?: (prev?: NodeJS.CpuUsage) => NodeJS.CpuUsage }).threadCpuUsage;
    const main0 = threadCpu?.();
    const t0 = performance.now();
    const { manifest: m } = await processObject({ bucket: '', key: path }, { source: new LocalSource(), sink: new LocalLakeSink(lake), options: resolveOptions({ threads }) });
    const seconds = (performance.now() - t0) / 1000;
    const mainUsage = main0 !== undefined ? threadCpu?.(main0) : undefined;
    const mainBusy = mainUsage !== undefined ? `, main thread ${(((mainUsage.user + mainUsage.system) / 1e6 / seconds) * 100).toFixed(0)} % busy` : '';
    if (m.status !== 'ok') throw new Error(`${path}: ${m.status} ${m.reason ?? ''} ${m.error ?? ''}`);
    const out = m.outputs.reduce((a, o) => a + o.bytes, 0);
    const load = loadNow();
    return { inputMiB: inputBytes / MiB, seconds, cpuSeconds: cpuSince(cpu), records: m.records, outputMiB: out / MiB, note: `${threads} thread(s)${threads > 1 ? ` (started in ${startSeconds.toFixed(1)} s, untimed)` : ''}${mainBusy}, load ${load}` };
  } finally {
    rmSync(lake, { recursive: true, force: true });
  }
}

/** The machine's load averages (1, 5, 15 minutes), for a result's note. */
export function loadNow(): string {
  return loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** One result of several runs of a scenario: the median of each measure on its own. */
function medianOf(runs: readonly Result[]): Result {
  const first = runs[0] as Result;
  if (runs.length === 1) return first;
  const of = (pick: (r: Result) => number | undefined): number | undefined => {
    const values = runs.map(pick).filter((v): v is number => v !== undefined);
    return values.length === runs.length ? median(values) : undefined;
  };
  const cpuSeconds = of((r) => r.cpuSeconds);
  const outputMiB = of((r) => r.outputMiB);
  return {
    ...first,
    seconds: of((r) => r.seconds) as number,
    peakRssMiB: of((r) => r.peakRssMiB) as number,
    ...(cpuSeconds !== undefined ? { cpuSeconds } : {}),
    ...(outputMiB !== undefined ? { outputMiB } : {}),
    note: `${first.note ? `${first.note}; ` : ''}median of ${runs.length} runs (${runs.map((r) => (r.inputMiB / r.seconds).toFixed(1)).join(', ')} MiB/s)`,
  };
}

/** Formats results as a fixed-width table. */
export function table(results: readonly Result[]): string {
  const cpu = results.some((r) => r.cpuSeconds !== undefined);
  const head = ['scenario', 'input MiB', 'MiB/s', ...(cpu ? ['CPU s/GB'] : []), 'records/s', 'output MiB', 'peak RSS MiB', 'note'];
  const rows = results.map((r) => [
    r.name,
    r.inputMiB.toFixed(1),
    (r.inputMiB / r.seconds).toFixed(1),
    ...(cpu ? [cpuPerGB(r)?.toFixed(1) ?? ''] : []),
    r.records !== undefined ? Math.round(r.records / r.seconds).toLocaleString('en-US') : '',
    r.outputMiB !== undefined ? r.outputMiB.toFixed(1) : '',
    r.peakRssMiB.toFixed(0),
    r.note ?? '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/**
 * In the parent: runs every registered scenario (or those named in argv) in a child process and
 * prints the table. In a child (`--scenario NAME`): runs that one and prints its JSON result.
 * With `runs` > 1 every scenario runs that many times, in rounds (each scenario once per round,
 * so a neighbour's burst of load falls on all of them alike), and each measure is the median.
 */
export async function main(benchFile: string, title: string, { runs = 1 }: { runs?: number } = {}): Promise<Result[]> {
  const file = fileURLToPath(benchFile);
  const idx = process.argv.indexOf('--scenario');
  if (idx >= 0) {
    const name = process.argv[idx + 1] as string;
    const run = scenarios.get(name);
    if (!run) throw new Error(`unknown scenario ${name}`);
    const r = await run();
    const peakRssMiB = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(`\n${JSON.stringify({ name, ...r, peakRssMiB })}\n`);
    return [];
  }
  const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const names = [...scenarios.keys()].filter((name) => only.length === 0 || only.some((o) => name.includes(o)));
  const byName = new Map<string, Result[]>(names.map((n) => [n, []]));
  for (let round = 1; round <= runs; round++) {
    for (const name of names) {
      process.stderr.write(`  running ${name}${runs > 1 ? ` (${round} of ${runs})` : ''}…\n`);
      const child = spawnSync(process.execPath, ['--import', 'tsx', file, '--scenario', name], {
        encoding: 'utf8',
        maxBuffer: 64 * MiB,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      if (child.status !== 0) throw new Error(`scenario ${name} failed with exit code ${child.status}`);
      const last = child.stdout.trim().split('\n').pop() as string;
      byName.get(name)?.push(JSON.parse(last) as Result);
    }
  }
  const results = names.map((n) => medianOf(byName.get(n) as Result[]));
  process.stdout.write(`\n## ${title}\n\n${table(results)}\n`);
  return results;
}
