// npm run bench [-- <bench-name-filter>…]: runs every bench/*.bench.ts, one after the other.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const filters = process.argv.slice(2);
const all = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort();
const unknown = filters.filter((x) => !all.some((f) => f.includes(x)));
if (unknown.length > 0) {
  const names = all.map((f) => `  ${f.replace(/\.bench\.ts$/, '')}`).join('\n');
  process.stderr.write(`bench: no benchmark matches ${unknown.map((x) => JSON.stringify(x)).join(', ')}; the benchmarks are:\n${names}\n`);
  process.exit(2);
}
const files = all.filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
process.stdout.write(`loglake benchmarks — node ${process.version}, ${process.arch}, ${new Date().toISOString()}\n`);
let failed = false;
for (const f of files) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', `${dir}/${f}`], { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
