/** `loglake ingest`: normalizes local log files and folders into a local lake folder. */
import { ConfigError, ingestLocalFiles, listLocalFiles, readRulesFile, resolveOptions, ruleRouter, type IngestSummary, type ParquetCodec } from '../../pipeline/index.js';
import { intFlag, isTty, parse, UsageError } from '../args.js';
import { count, mb, textTable } from '../format.js';

export const help = `usage: loglake ingest <file|folder>… --out <lake-dir> [options]

Normalizes AWS log files (any mix of formats, gzip/zip/plain, folders recursively) into the
common schema, written as Parquet under <lake-dir>/lake/source=…/dt=…/, rejected lines under
<lake-dir>/errors/ and one manifest per object under <lake-dir>/manifests/. Re-ingesting a
file replaces its previous output; nothing is duplicated.

options:
  --out <dir>              lake folder to write (required)
  --exclude <glob>         leave out files whose name matches (repeatable), e.g. --exclude '*.md'
  --rules <file>           routing rules JSON: path globs pin a format or ignore files (docs/worker.md)
  --max-line-bytes <n>     longest line or JSON record kept (default 4194304)
  --row-group-rows <n>     rows per Parquet row group (default 20000)
  --codec <c>              GZIP | ZSTD | SNAPPY | UNCOMPRESSED (default ZSTD where Node has it, else GZIP)
  --no-raw                 leave the raw column empty
  --keep-self-traffic      keep records caused by loglake's own requests
  --json                   print each object's manifest as a JSON line instead of the summary
  -h, --help               this help

exit codes: 0 every object processed (rejected lines are counted, not fatal),
            1 some object could not be processed, 2 usage error
`;

function printSummary(summary: IngestSummary): void {
  const rows = summary.bySource.map((t) => [
    t.source,
    t.objects,
    t.failed,
    count(t.records),
    count(t.rejected),
    count(t.skipped),
    mb(t.bytesDecompressed),
    t.durationMs > 0 && t.bytesDecompressed > 0 ? (t.bytesDecompressed / 1e6 / (t.durationMs / 1000)).toFixed(1) : '',
  ]);
  const total = summary.bySource.reduce(
    (a, t) => ({ objects: a.objects + t.objects, failed: a.failed + t.failed, records: a.records + t.records, rejected: a.rejected + t.rejected, skipped: a.skipped + t.skipped, bytes: a.bytes + t.bytesDecompressed }),
    { objects: 0, failed: 0, records: 0, rejected: 0, skipped: 0, bytes: 0 },
  );
  rows.push([
    'total',
    total.objects,
    total.failed,
    count(total.records),
    count(total.rejected),
    count(total.skipped),
    mb(total.bytes),
    summary.elapsedMs > 0 ? (total.bytes / 1e6 / (summary.elapsedMs / 1000)).toFixed(1) : '',
  ]);
  process.stdout.write(`${textTable(['source', 'objects', 'failed', 'records', 'rejected', 'skipped', 'input MB', 'MB/s'], rows)}\n`);
}

export async function run(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    out: { type: 'string', short: 'o' },
    exclude: { type: 'string', multiple: true },
    rules: { type: 'string' },
    'max-line-bytes': { type: 'string' },
    'row-group-rows': { type: 'string' },
    codec: { type: 'string' },
    'no-raw': { type: 'boolean' },
    'keep-self-traffic': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(help);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('no input: give at least one file or folder');
  const out = values.out;
  if (typeof out !== 'string' || out === '') throw new UsageError('--out <lake-dir> is required');
  let options;
  try {
    options = resolveOptions({
      maxLineBytes: intFlag(values, 'max-line-bytes'),
      rowGroupRows: intFlag(values, 'row-group-rows'),
      codec: typeof values.codec === 'string' ? (values.codec.toUpperCase() as ParquetCodec) : undefined,
      keepRaw: values['no-raw'] ? false : undefined,
      keepSelfTraffic: values['keep-self-traffic'] ? true : undefined,
    });
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
  const rules =
    typeof values.rules === 'string'
      ? await readRulesFile(values.rules).catch((e: unknown) => {
          throw e instanceof ConfigError ? new UsageError(e.message) : e;
        })
      : null;
  const exclude = Array.isArray(values.exclude) ? values.exclude : [];
  const files = await listLocalFiles(positionals, { skipDir: out, exclude }).catch((e: unknown) => {
    throw e instanceof ConfigError ? new UsageError(e.message) : e;
  });
  if (files.length === 0) throw new UsageError(`no files found under ${positionals.join(', ')}`);

  const tty = isTty();
  let lastProgress = 0;
  const summary = await ingestLocalFiles(files, {
    lakeDir: out,
    options,
    ...(rules !== null ? { rule: ruleRouter(rules) } : {}),
    onProgress: tty
      ? (p) => {
          const now = Date.now();
          if (p.done < p.total && now - lastProgress < 200) return;
          lastProgress = now;
          const name = p.current.length > 50 ? `…${p.current.slice(-49)}` : p.current;
          process.stderr.write(`\r\x1b[K[${p.done}/${p.total}] ${count(p.records)} records, ${mb(p.bytes)} MB ${name}`);
          if (p.done === p.total) process.stderr.write('\r\x1b[K');
        }
      : undefined,
    onObject: values.json ? (r) => process.stdout.write(`${JSON.stringify(r.manifest)}\n`) : undefined,
  });

  const failed = summary.reports.filter((r) => r.manifest.status === 'failed');
  if (!values.json) printSummary(summary);
  for (const r of failed) {
    process.stderr.write(`loglake: failed ${r.manifest.object}: [${r.manifest.reason}] ${r.manifest.error}\n`);
  }
  // The table counts what was read; these say what of it is not (yet) in the lake, and why.
  for (const { manifest: m } of summary.reports) {
    if (m.status === 'damaged') {
      process.stderr.write(`loglake: damaged ${m.object}: [${m.reason}] kept the ${m.records} records decoded before the damage; ${m.damage?.detail ?? ''}\n`);
    }
    if (m.publication !== undefined && m.publication.state !== 'live' && m.records > 0) {
      process.stderr.write(`loglake: ${m.publication.state} ${m.object}: ${m.records} records not queryable: ${m.publication.why}\n`);
    }
  }
  return failed.length > 0 ? 1 : 0;
}
