/** `loglake demo` (npm start): ingests the bundled samples into ./lake and shows what landed. */
import { fileURLToPath } from 'node:url';
import { run as ingest } from './ingest.js';
import { run as query } from './query.js';
import { parse } from '../args.js';

export const help = `usage: loglake demo [--out <lake-dir>]

Ingests the bundled samples/ into a local lake (default ./lake), prints the per-source summary,
then queries the lake with DuckDB: events per source and outcome, and rejected lines per reason.

options:
  --out <dir>   lake folder (default ./lake)
  -h, --help    this help
`;

const SAMPLES = fileURLToPath(new URL('../../samples/', import.meta.url));
/** Files beside the samples that are not logs: goldens and notes. */
export const SAMPLE_EXCLUDES = ['*.expected.jsonl', '*.rejects.jsonl', '*.md'] as const;

export async function run(argv: readonly string[]): Promise<number> {
  const { values } = parse(argv, { out: { type: 'string' } });
  if (values.help) {
    process.stdout.write(help);
    return 0;
  }
  const out = typeof values.out === 'string' ? values.out : 'lake';
  process.stdout.write(`Ingesting ${SAMPLES} into ./${out}\n\n`);
  // Golden files and notes live beside the samples; they are test data, not logs.
  const code = await ingest([SAMPLES, '--out', out, ...SAMPLE_EXCLUDES.flatMap((g) => ['--exclude', g])]);
  process.stdout.write('\nEvents per source and outcome:\n\n');
  await query(['--lake', out, 'SELECT source, outcome, count(*) AS events FROM events GROUP BY ALL ORDER BY ALL']);
  process.stdout.write('\nRejected lines per reason (the samples include deliberately bad input):\n\n');
  await query(['--lake', out, 'SELECT source, reason, count(*) AS lines FROM errors GROUP BY ALL ORDER BY ALL']);
  process.stdout.write(`\nTry: npx loglake query --lake ${out} "SELECT time, actor, action, outcome FROM events WHERE source = 'cloudtrail' ORDER BY time LIMIT 10"\n`);
  // Bad samples are there on purpose: rejected lines are expected, failed objects are not.
  return code;
}
