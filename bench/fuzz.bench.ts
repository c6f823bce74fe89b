/**
 * Seeded mutation fuzzing of every registered parser at volume (`bench/fuzz-mutations.ts` does
 * the work; `test/compliance/fuzz.test.ts` runs the same code small in `npm test`).
 * `npm run bench -- fuzz` (all parsers), or `node --import tsx bench/fuzz.bench.ts alb config`.
 *
 * Per parser, in its own process so peak RSS is its own:
 * - `LOGLAKE_FUZZ_N` (default 100,000) mutated sample lines/records, framed and parsed the way
 *   the pipeline calls the parser, each call timed;
 * - the special frames (10 MB line, JSON nested 10,000 levels, …);
 * - `LOGLAKE_FUZZ_OBJECTS` (default N / 250) mutated whole objects through `processObject`, each
 *   compared with its clean original, then the special objects on every seed entry (truncated and
 *   garbage-tailed gzip, a zip with a damaged entry, a 10 MB record, a 10,000-level record).
 * `LOGLAKE_FUZZ_SEED` (default 1) changes every draw. Prints inputs tried, outcomes, exceptions,
 * time per frame (max, p99), objects run and check failures, peak RSS, and every finding.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PARSERS } from '../parsers/index.js';
import {
  envInt,
  formatFindings,
  formatFrameStats,
  formatObjectStats,
  formatSpecialFrames,
  fuzzFrames,
  fuzzObjects,
  loadSeeds,
  objectsFor,
  SLOW_MS,
  specialFrames,
  type Finding,
  type FrameStats,
  type ObjectStats,
  type SpecialFrameResult,
} from './fuzz-mutations.js';

const N = envInt('LOGLAKE_FUZZ_N', 100_000);
const OBJECTS = envInt('LOGLAKE_FUZZ_OBJECTS', objectsFor(N));
const SEED = envInt('LOGLAKE_FUZZ_SEED', 1);

interface ParserResult {
  readonly frames: FrameStats;
  readonly specials: SpecialFrameResult[];
  readonly objects: ObjectStats;
  readonly seconds: number;
  readonly peakRssMiB: number;
}

/** In a child: fuzzes one parser, prints its report to stderr and its result as the last stdout line. */
async function child(id: string): Promise<void> {
  const t0 = performance.now();
  const seeds = (await loadSeeds()).get(id as never);
  if (seeds === undefined || seeds.records.length === 0) throw new Error(`no sample records for parser ${id}: add a sample under samples/`);
  const frames = await fuzzFrames(seeds, N, SEED);
  process.stderr.write(`${formatFrameStats(frames)}\n`);
  const specials = specialFrames(seeds);
  process.stderr.write(`${formatSpecialFrames(specials)}\n`);
  const objects = await fuzzObjects(seeds, { objects: OBJECTS, seed: SEED });
  process.stderr.write(`${formatObjectStats(objects)}\n`);
  const result: ParserResult = { frames, specials, objects, seconds: (performance.now() - t0) / 1000, peakRssMiB: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
}

const fmt = (n: number): string => n.toLocaleString('en-US');
const sum = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0);
const topReasons = (o: Record<string, number>, n = 3): string =>
  Object.entries(o)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ');

function table(rows: ReadonlyArray<readonly [string, ParserResult]>): string {
  const head = [
    'parser',
    'inputs',
    'inputs/s',
    'frames → records / rejected / skipped',
    'top rejects',
    'exceptions (parser/validator/writer/framer)',
    'p99 µs',
    'max ms',
    `> ${SLOW_MS} ms (confirmed)`,
    'objects',
    'reconcile failures',
    'locality checks / failures (max neighbour loss)',
    'special objects / failures',
    'peak RSS MiB',
  ];
  const body = rows.map(([id, r]) => {
    const f = r.frames;
    const o = r.objects;
    return [
      id,
      fmt(f.inputs),
      fmt(Math.round(f.inputs / f.seconds)),
      `${fmt(f.frames)} → ${fmt(f.records)} / ${fmt(sum(f.rejected))} / ${fmt(sum(f.skipped))}`,
      topReasons(f.rejected),
      `${f.parserExceptions} / ${f.validatorExceptions} / ${f.writerExceptions} / ${f.framerExceptions}`,
      (f.p99Ms * 1000).toFixed(0),
      f.maxMs.toFixed(1),
      `${f.slowOnce} (${f.slowConfirmed})`,
      `${fmt(o.objects)} (${o.escaped} escaped)`,
      String(o.reconcileFailures),
      `${o.localityChecks} / ${o.localityFailures} (${o.maxNeighbourLoss})`,
      `${o.specialChecks} / ${o.specialFailures}`,
      r.peakRssMiB.toFixed(0),
    ];
  });
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), `|${head.map(() => '---').join('|')}|`, ...body.map(line)].join('\n');
}

async function parent(): Promise<void> {
  const file = fileURLToPath(import.meta.url);
  const only = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const results: Array<[string, ParserResult]> = [];
  process.stdout.write(`\n## Fuzzing: ${fmt(N)} mutated frames and ${fmt(OBJECTS)} mutated objects per parser, seed ${SEED}\n\n`);
  for (const parser of PARSERS) {
    if (only.length > 0 && !only.includes(parser.id)) continue;
    process.stderr.write(`  fuzzing ${parser.id}…\n`);
    const c = spawnSync(process.execPath, ['--import', 'tsx', file, '--parser', parser.id], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    });
    if (c.status !== 0) throw new Error(`fuzzing ${parser.id} failed with exit code ${c.status}`);
    results.push([parser.id, JSON.parse(c.stdout.trim().split('\n').pop() as string) as ParserResult]);
  }
  process.stdout.write(`${table(results)}\n\n`);
  process.stdout.write('Special frames (handed to the parser directly; what the framer does with them at default options):\n');
  for (const [, r] of results) process.stdout.write(`${formatSpecialFrames(r.specials)}\n`);
  const findings: Finding[] = results.flatMap(([, r]) => [...r.frames.findings, ...r.objects.findings]);
  process.stdout.write(`\nFindings (${findings.length} distinct):\n${formatFindings(findings, 200)}\n`);
  const total = results.reduce((a, [, r]) => a + r.seconds, 0);
  process.stdout.write(`\nTotal ${total.toFixed(0)} s over ${results.length} parsers.\n`);
}

const at = process.argv.indexOf('--parser');
if (at >= 0) await child(process.argv[at + 1] as string);
else await parent();
