/**
 * Benchmark plumbing. Each scenario runs in its own child process so its peak RSS is its own;
 * a bench file calls `scenario()` for every case it defines and `main()` to run them and print
 * MB/s (MiB of uncompressed input per second), records/s and peak RSS.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Result {
  readonly name: string;
  /** Uncompressed input, MiB. */
  readonly inputMiB: number;
  readonly seconds: number;
  readonly records?: number;
  readonly outputMiB?: number;
  readonly peakRssMiB: number;
  readonly note?: string;
}

type Scenario = () => Promise<Omit<Result, 'peakRssMiB' | 'name'>>;

const scenarios = new Map<string, Scenario>();

/** Registers a named scenario of the calling bench file. */
export function scenario(name: string, run: Scenario): void {
  scenarios.set(name, run);
}

export const MiB = 1024 * 1024;

/** Formats results as a fixed-width table. */
export function table(results: readonly Result[]): string {
  const head = ['scenario', 'input MiB', 'MiB/s', 'records/s', 'output MiB', 'peak RSS MiB', 'note'];
  const rows = results.map((r) => [
    r.name,
    r.inputMiB.toFixed(1),
    (r.inputMiB / r.seconds).toFixed(1),
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
 */
export async function main(benchFile: string, title: string): Promise<Result[]> {
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
  const results: Result[] = [];
  for (const name of scenarios.keys()) {
    if (only.length > 0 && !only.some((o) => name.includes(o))) continue;
    process.stderr.write(`  running ${name}…\n`);
    const child = spawnSync(process.execPath, ['--import', 'tsx', file, '--scenario', name], {
      encoding: 'utf8',
      maxBuffer: 64 * MiB,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (child.status !== 0) throw new Error(`scenario ${name} failed with exit code ${child.status}`);
    const last = child.stdout.trim().split('\n').pop() as string;
    results.push(JSON.parse(last) as Result);
  }
  process.stdout.write(`\n## ${title}\n\n${table(results)}\n`);
  return results;
}
