/** `loglake demo` (npm start): ingests the bundled samples into ./lake and shows what landed. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run as ingest } from './ingest.js';
import { run as query } from './query.js';
import { parse } from '../args.js';
import { pathFrom, type Io } from '../io.js';

export const help = `usage: loglake demo [--out <lake-dir>]

Ingests the bundled samples/ into a local lake (default ./lake), prints the per-source summary,
then queries the lake with DuckDB: events per source and outcome, and rejected lines per reason.

options:
  --out <dir>   lake folder (default ./lake)
  -h, --help    this help
`;

/** The bundled samples: beside cli/ in the clone, two levels further up when run from dist/. */
function samplesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++, dir = dirname(dir)) {
    if (existsSync(join(dir, 'samples')) && existsSync(join(dir, 'package.json'))) return join(dir, 'samples');
  }
  return fileURLToPath(new URL('../../samples/', import.meta.url));
}
const SAMPLES = samplesDir();
/** Files beside the samples that are not logs: goldens and notes. */
export const SAMPLE_EXCLUDES = ['*.expected.jsonl', '*.rejects.jsonl', '*.md'] as const;

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const { values } = parse(argv, { out: { type: 'string' } });
  if (values.help) {
    io.stdout.write(help);
    return 0;
  }
  const out = typeof values.out === 'string' ? values.out : 'lake';
  io.stdout.write(`Ingesting ${SAMPLES} into ${pathFrom(io, out)}\n\n`);
  // Golden files and notes live beside the samples; they are test data, not logs.
  const code = await ingest([SAMPLES, '--out', out, ...SAMPLE_EXCLUDES.flatMap((g) => ['--exclude', g])], io);
  io.stdout.write('\nEvents per source and outcome:\n\n');
  await query(['--lake', out, 'SELECT source, outcome, count(*) AS events FROM events GROUP BY ALL ORDER BY ALL'], io);
  io.stdout.write('\nRejected lines per reason (the samples include deliberately bad input):\n\n');
  await query(['--lake', out, 'SELECT source, reason, count(*) AS lines FROM errors GROUP BY ALL ORDER BY ALL'], io);
  io.stdout.write(`\nTry: npx loglake query --lake ${out} "SELECT time, actor, action, outcome FROM events WHERE source = 'cloudtrail' ORDER BY time LIMIT 10"\n`);
  // Bad samples are there on purpose: rejected lines are expected, failed objects are not.
  return code;
}
