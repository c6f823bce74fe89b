// Rewrites the golden files of samples/ from the current pipeline output (npm run goldens).
// Goldens change only through this script, and its diff is reviewed like code.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { goldenPaths, runSample, sampleInputs, toJsonl } from '../test/helpers/golden.js';

const only = process.argv.slice(2);
for (const input of sampleInputs()) {
  if (only.length > 0 && !only.some((o) => input.includes(o))) continue;
  const { manifest, rows, rejects } = await runSample(input);
  const paths = goldenPaths(input);
  writeFileSync(paths.expected, toJsonl(rows));
  if (rejects.length > 0) writeFileSync(paths.rejects, toJsonl(rejects));
  else if (existsSync(paths.rejects)) rmSync(paths.rejects);
  process.stderr.write(`${input}: ${manifest.status} ${manifest.records} records, ${manifest.rejected} rejected, ${manifest.skipped} skipped\n`);
}
