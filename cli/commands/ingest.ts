/** `loglake ingest`: normalizes local log files and folders into a local lake folder. */
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError, ingestLocalFiles, listLocalFiles, readRulesFile, resolveOptions, ruleRouter, type IngestSummary, type ParquetCodec, type S3Names } from '../../pipeline/index.js';
import { FORMAT_HOOKS } from '../../pipeline/index.js';
import { intFlag, parse, UsageError } from '../args.js';
import { threadsFlag, threadsHelp } from '../threads.js';
import { pathFrom, type Io } from '../io.js';
import { checkOutFolder } from '../lake-folder.js';
import { IngestProgress } from '../progress.js';
import { removeOwnTemp, removeStaleTemp } from '../temp-files.js';
import { count, mb, textTable } from '../format.js';

export const help = `usage: loglake ingest <file|folder>… --out <lake-dir> [options]
       loglake ingest <folder> --as s3://<bucket>/<prefix>/ --out <lake-dir> [options]

Normalizes AWS log files (any mix of formats, gzip/zip/plain, folders recursively) into the
common schema, written as Parquet under <lake-dir>/lake/source=…/dt=…/, rejected lines under
<lake-dir>/errors/ and one manifest per object under <lake-dir>/manifests/. Re-ingesting a
file replaces its previous output; nothing is duplicated.

options:
  --out <dir>              lake folder to write (required)
  --as s3://<bucket>/<prefix>/
                           the one folder (or file) is a copy of that S3 prefix: name files
                           <prefix><path in the folder> (a file: <prefix><name>), so that runs
                           from S3 replace these rows instead of duplicating them
  --exclude <glob>         leave out files whose name matches (repeatable), e.g. --exclude '*.md'
  --rules <file>           routing rules JSON: path globs pin a format or ignore files (docs/worker.md)
  --max-line-bytes <n>     longest line or JSON record kept (default 4194304)
  --row-group-rows <n>     rows per Parquet row group (default 20000)
  --codec <c>              GZIP | ZSTD | SNAPPY | UNCOMPRESSED (default ZSTD where Node has it, else GZIP)
${threadsHelp(2, 27)}
  --no-raw                 leave the raw column empty
  --keep-self-traffic      keep records caused by loglake's own requests
  --json                   print each object's manifest as a JSON line instead of the summary
  --progress               progress on stderr (objects done, records, MB read, MB/s, ETA of the
                           objects being read) even when stderr is not a terminal; on a terminal
                           it is always on
  -h, --help               this help

Ctrl-C (SIGINT) or SIGTERM removes the temporary files of the outputs being written; temporary
files an earlier run left behind (killed harder) are removed once they are an hour old.

exit codes: 0 every object processed (rejected lines are counted, not fatal),
            1 some object could not be processed, 2 usage error (or an --out that cannot be written)
`;

/** Why `name` is not an S3 bucket name (the rules for buckets created today), or null when it is one. */
export function bucketNameProblem(name: string): string | null {
  if (name.length < 3 || name.length > 63) return `${name.length} characters; a bucket name has 3 to 63`;
  if (/[^a-z0-9.-]/.test(name)) return 'only lowercase letters, digits, dots and hyphens are allowed';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'it must begin and end with a letter or digit';
  if (name.includes('..')) return 'it has two adjacent dots';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'it is formatted as an IP address';
  const start = ['xn--', 'sthree-', 'amzn-s3-demo-'].find((p) => name.startsWith(p));
  if (start !== undefined) return `S3 reserves the start ${JSON.stringify(start)}`;
  // Access point aliases stand in for a bucket in requests, but notifications name the bucket.
  const end = ['-s3alias', '--ol-s3', '.mrap'].find((x) => name.endsWith(x));
  if (end !== undefined) return `S3 reserves the end ${JSON.stringify(end)} for access point names; give the bucket's own name`;
  return null;
}

/** `--as s3://bucket/` or `s3://bucket/prefix/` (a prefix gets its trailing `/`): the bucket and prefix. */
export function parseAs(text: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]*)(?:\/(.*))?$/s.exec(text);
  if (!m) throw new UsageError(`--as: expected s3://<bucket>/ or s3://<bucket>/<prefix>/, got ${JSON.stringify(text)}`);
  const bucket = m[1] as string;
  if (bucket === '') throw new UsageError(`--as: the bucket is missing in ${JSON.stringify(text)}`);
  const problem = bucketNameProblem(bucket);
  if (problem !== null) throw new UsageError(`--as: ${JSON.stringify(bucket)} is not an S3 bucket name: ${problem}`);
  let prefix = m[2] ?? '';
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  return { bucket, prefix };
}

/**
 * The S3 names of `--as`: the one input is the folder the prefix stands for, or a single file
 * named `<prefix><its name>`.
 */
async function s3Names(asArg: unknown, positionals: readonly string[], io: Io): Promise<S3Names | undefined> {
  if (asArg === undefined) return undefined;
  if (typeof asArg !== 'string') throw new UsageError('--as needs s3://<bucket>/<prefix>/');
  const { bucket, prefix } = parseAs(asArg);
  if (positionals.length !== 1) {
    throw new UsageError(`--as ${asArg} takes exactly one folder (or file), got ${positionals.length} inputs`);
  }
  const input = pathFrom(io, positionals[0] as string);
  const info = await stat(input).catch(() => null);
  if (info === null) throw new UsageError(`input ${JSON.stringify(positionals[0])} does not exist`);
  if (info.isDirectory()) return { bucket, prefix, folder: input };
  if (info.isFile()) return { bucket, prefix, folder: dirname(input) };
  throw new UsageError(`--as: ${JSON.stringify(positionals[0])} is neither a folder nor a file`);
}

function printSummary(io: Io, summary: IngestSummary): void {
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
  io.stdout.write(`${textTable(['source', 'objects', 'failed', 'records', 'rejected', 'skipped', 'input MB', 'MB/s'], rows)}\n`);
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    out: { type: 'string', short: 'o' },
    as: { type: 'string' },
    exclude: { type: 'string', multiple: true },
    rules: { type: 'string' },
    'max-line-bytes': { type: 'string' },
    'row-group-rows': { type: 'string' },
    codec: { type: 'string' },
    threads: { type: 'string' },
    'no-raw': { type: 'boolean' },
    'keep-self-traffic': { type: 'boolean' },
    json: { type: 'boolean' },
    progress: { type: 'boolean' },
  }, ['max-line-bytes', 'row-group-rows', 'threads']);
  if (values.help) {
    io.stdout.write(help);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('no input: give at least one file or folder');
  const outArg = values.out;
  if (typeof outArg !== 'string' || outArg === '') throw new UsageError('--out <lake-dir> is required');
  const out = pathFrom(io, outArg);
  const as = await s3Names(values.as, positionals, io);
  let options;
  try {
    options = resolveOptions({
      maxLineBytes: intFlag(values, 'max-line-bytes'),
      rowGroupRows: intFlag(values, 'row-group-rows'),
      codec: typeof values.codec === 'string' ? (values.codec.toUpperCase() as ParquetCodec) : undefined,
      keepRaw: values['no-raw'] ? false : undefined,
      keepSelfTraffic: values['keep-self-traffic'] ? true : undefined,
      threads: threadsFlag(values),
    });
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
  const rules =
    typeof values.rules === 'string'
      ? await readRulesFile(pathFrom(io, values.rules)).catch((e: unknown) => {
          throw e instanceof ConfigError ? new UsageError(e.message) : e;
        })
      : null;
  const exclude = Array.isArray(values.exclude) ? values.exclude : [];
  const files = await listLocalFiles(positionals.map((p) => pathFrom(io, p)), { skipDir: out, exclude }).catch((e: unknown) => {
    throw e instanceof ConfigError ? new UsageError(e.message) : e;
  });
  if (files.length === 0) throw new UsageError(`no files found under ${positionals.join(', ')}`);

  checkOutFolder(out, outArg);
  const stale = removeStaleTemp(out);
  if (stale > 0) io.stderr.write(`loglake ingest: removed ${stale} temporary files an interrupted run left in ${outArg}\n`);

  const tty = io.stderr.isTTY === true;
  const progress = tty || values.progress === true ? new IngestProgress(io.stderr, tty) : null;
  // An interrupted run removes the temporary files of the outputs it was writing, then dies of
  // the signal as it would have (exit status 128 + signal number).
  const onSignal = (signal: NodeJS.Signals): void => {
    progress?.clear();
    const removed = removeOwnTemp(out);
    io.stderr.write(`\nloglake ingest: ${signal}: stopped; removed ${removed} temporary files\n`);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.kill(process.pid, signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let summary: IngestSummary;
  try {
    // The progress hook counts each object from its start to its report, the bytes and records
    // of objects running at the same time apart (`--threads`).
    progress?.start(files.length);
    summary = await ingestLocalFiles(
      files,
      {
        lakeDir: out,
        options,
        ...(as !== undefined ? { as } : {}),
        ...(rules !== null ? { rule: ruleRouter(rules) } : {}),
        ...(progress !== null ? { hooks: [progress.hook, ...FORMAT_HOOKS] } : {}),
        onObject: values.json ? (r: { manifest: unknown }) => io.stdout.write(`${JSON.stringify(r.manifest)}\n`) : undefined,
      },
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress?.clear();
  }

  const failed = summary.reports.filter((r) => r.manifest.status === 'failed');
  if (!values.json) printSummary(io, summary);
  for (const r of failed) {
    io.stderr.write(`loglake: failed ${r.manifest.object}: [${r.manifest.reason}] ${r.manifest.error}\n`);
  }
  // The table counts what was read; these say what of it is not (yet) in the lake, and why.
  for (const { manifest: m } of summary.reports) {
    if (m.status === 'damaged') {
      io.stderr.write(`loglake: damaged ${m.object}: [${m.reason}] kept the ${m.records} records decoded before the damage; ${m.damage?.detail ?? ''}\n`);
    }
    if (m.publication !== undefined && m.publication.state !== 'live' && m.records > 0) {
      io.stderr.write(`loglake: ${m.publication.state} ${m.object}: ${m.records} records not queryable: ${m.publication.why}\n`);
    }
  }
  return failed.length > 0 ? 1 : 0;
}
