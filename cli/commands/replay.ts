/**
 * `loglake replay`: lists the objects of a date range under an S3 prefix (only the day folders and
 * dated names in range where AWS's layouts allow), skips those the lake already holds from the
 * same bytes and parser version, and prints what a replay would do (`--dry-run`, the default) or
 * runs the pipeline on them in this process (`--local --out DIR`).
 */
import { resolve } from 'node:path';
import {
  DEFAULT_REGISTRY,
  isDay,
  listRange,
  LocalLakeSink,
  LoglakeError,
  parseParserVersion,
  processObject,
  recordObjectFailure,
  resolveOptions,
  selectForReplay,
  type Candidate,
  type LakeSink,
  type Listing,
  type Selection,
} from '../../pipeline/index.js';
import { parse, UsageError, type Values } from '../args.js';
import type { Io } from '../io.js';

export const help = `usage: loglake replay s3://<bucket>/<prefix>/ --from YYYY-MM-DD [options]

Lists the objects of a date range (UTC days) under an S3 prefix, listing only the days in
range of AWS's AWSLogs/[o-org/]<account>/<service>/<region>/YYYY/MM/DD/ layouts, jumping with
StartAfter over S3 access-log and CloudFront names that begin with a date, and only the CUR
billing periods that meet the range; other layouts are listed whole and filtered by
LastModified (the output says which prefixes). See docs/replay.md.
Objects whose manifest shows the same ETag read by the current parser version are skipped.

modes:
  --dry-run                  print objects and bytes per source, account/region and month (default)
  --local --out <dir>        run the pipeline here on the objects, into a local lake folder

options:
  --from <YYYY-MM-DD>        first day (required)
  --to <YYYY-MM-DD>          last day, included (default: --from)
  --source <source>          only objects whose key routes to this source
  --account <id>             only this account's AWSLogs folders
  --region <region>          only this region's AWSLogs folders
  --endpoint <url>           S3-compatible endpoint (path-style), e.g. http://127.0.0.1:4568
  --lake <s3://bucket[/prefix] | dir>
                             where the manifests are (default: --out with --local; none otherwise)
  --force                    replay every listed object
  --parser-older-than <id@v> replay exactly the objects an older version of that parser wrote
  --json                     print the result as one JSON document
  -h, --help                 this help

not yet implemented (issue 12): --queue, --stack, --deployed

exit codes: 0 ok, 1 listing failed (no such bucket, access denied) or an object failed, 2 usage error
`;

const NOT_YET = ['queue', 'stack', 'deployed', 'resume', 'rate'] as const;

interface Target {
  readonly bucket: string;
  readonly prefix: string;
}

function target(positionals: readonly string[]): Target {
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'an s3://bucket/prefix/ to replay is required' : `one s3://bucket/prefix/ at a time, got ${positionals.length}`);
  const m = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(positionals[0] as string);
  if (!m) throw new UsageError(`expected s3://bucket/prefix/, got ${JSON.stringify(positionals[0])}`);
  const bucket = m[1] as string;
  if (bucket === '') throw new UsageError(`the bucket is missing in ${JSON.stringify(positionals[0])}`);
  let prefix = m[2] ?? '';
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  return { bucket, prefix };
}

function day(values: Values, name: string): string | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !isDay(v)) throw new UsageError(`--${name} must be a day YYYY-MM-DD, got ${JSON.stringify(v)}`);
  return v;
}

function str(values: Values, name: string): string | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '') throw new UsageError(`--${name} needs a value`);
  return v;
}

/** `value` as the one-line cause of a listing or lake failure. */
function cause(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    from: { type: 'string' },
    to: { type: 'string' },
    source: { type: 'string' },
    account: { type: 'string' },
    region: { type: 'string' },
    endpoint: { type: 'string' },
    lake: { type: 'string' },
    out: { type: 'string' },
    local: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    force: { type: 'boolean' },
    'parser-older-than': { type: 'string' },
    json: { type: 'boolean' },
    queue: { type: 'string' },
    stack: { type: 'string' },
    deployed: { type: 'boolean' },
    resume: { type: 'string' },
    rate: { type: 'string' },
  });
  if (values.help) {
    io.stdout.write(help);
    return 0;
  }
  for (const flag of NOT_YET) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} is not yet implemented (issue 12); use --dry-run or --local --out DIR`, { hint: false });
  }
  const { bucket, prefix } = target(positionals);
  const from = day(values, 'from');
  if (from === undefined) throw new UsageError('--from YYYY-MM-DD is required');
  const to = day(values, 'to') ?? from;
  if (to < from) throw new UsageError(`--to ${to} is before --from ${from}: the range is empty`);
  const today = new Date().toISOString().slice(0, 10);
  if (from > today) throw new UsageError(`--from ${from} is after today (${today}): the range is empty`);
  const source = str(values, 'source');
  const known: string[] = [...new Set(DEFAULT_REGISTRY.parsers.map((p) => p.source as string))].sort();
  if (source !== undefined && !known.includes(source)) throw new UsageError(`unknown source ${JSON.stringify(source)}; known: ${known.join(', ')}`);
  const account = str(values, 'account');
  const region = str(values, 'region');
  const endpoint = str(values, 'endpoint');
  const local = values.local === true;
  if (local && values['dry-run'] === true) throw new UsageError('--local and --dry-run exclude each other');
  const out = str(values, 'out');
  if (local && out === undefined) throw new UsageError('--local needs --out <dir>');
  if (!local && out !== undefined) throw new UsageError('--out needs --local');
  const olderText = str(values, 'parser-older-than');
  let parserOlderThan: { id: string; version: number } | undefined;
  if (olderText !== undefined) {
    const parsed = parseParserVersion(olderText);
    if (typeof parsed === 'string') throw new UsageError(`--parser-older-than: ${parsed}`);
    parserOlderThan = parsed;
  }
  const lakeText = str(values, 'lake') ?? (local ? out : undefined);
  if (parserOlderThan !== undefined && lakeText === undefined) throw new UsageError('--parser-older-than needs the manifests: give --lake (or --local --out)');
  if (parserOlderThan !== undefined && values.force === true) throw new UsageError('--force and --parser-older-than exclude each other');

  const aws = await import('../../pipeline/aws.js');
  const client = aws.createS3Client({ ...(endpoint !== undefined ? { endpoint, credentials: localCredentials(io) } : {}), region: io.env.AWS_REGION ?? 'us-east-1' });
  try {
    let lake: LakeSink | null = null;
    if (lakeText !== undefined) {
      const s3 = /^s3:\/\/([^/]+)\/?(.*)$/.exec(lakeText);
      if (s3) {
        const lakePrefix = s3[2] ?? '';
        lake = new aws.S3LakeSink(client, { bucket: s3[1] as string, ...(lakePrefix !== '' ? { prefix: lakePrefix.endsWith('/') ? lakePrefix : `${lakePrefix}/` } : {}) });
      } else lake = new LocalLakeSink(resolve(io.cwd, lakeText));
    }
    const pages = new aws.S3ListPages(client, bucket);
    let listing: Listing;
    let selection: Selection;
    try {
      listing = await listRange(pages, prefix, { range: { from, to }, ...(source !== undefined ? { source } : {}), ...(account !== undefined ? { account } : {}), ...(region !== undefined ? { region } : {}) });
      selection = await selectForReplay(listing.objects, bucket, lake, { force: values.force === true, ...(parserOlderThan !== undefined ? { parserOlderThan } : {}) });
    } catch (e) {
      if (!(e instanceof LoglakeError)) throw e;
      io.stderr.write(`loglake replay: ${cause(e)}\n`);
      return 1;
    }
    const report = summarize(`s3://${bucket}/${prefix}`, { from, to }, listing, selection);
    if (!local) {
      io.stdout.write(values.json === true ? `${JSON.stringify({ mode: 'dry-run', ...report })}\n` : dryRunText(report));
      return 0;
    }
    const sink = new LocalLakeSink(resolve(io.cwd, out as string));
    const sourceS3 = new aws.S3Source(client);
    const options = resolveOptions({});
    let failed = 0;
    let records = 0;
    for (const c of selection.replay) {
      const ref = { bucket, key: c.key };
      const started = Date.now();
      let r;
      try {
        r = await processObject(ref, { source: sourceS3, sink, options });
      } catch (e) {
        // As `loglake ingest`: what the worker would leave to SQS to retry is a failed manifest
        // here, and the run goes on with the next object.
        r = await recordObjectFailure(ref, e, { source: sourceS3, sink }, started);
      }
      records += r.manifest.records;
      if (r.manifest.status === 'failed') {
        failed++;
        io.stderr.write(`loglake replay: s3://${bucket}/${c.key}: ${r.manifest.error ?? r.manifest.reason ?? 'failed'}\n`);
      }
    }
    const done = { mode: 'local', out: resolve(io.cwd, out as string), ...report, replayed: selection.replay.length - failed, failed, records };
    io.stdout.write(values.json === true ? `${JSON.stringify(done)}\n` : `${dryRunText(report)}replayed ${done.replayed} objects into ${done.out}: ${records} records, ${failed} failed\n`);
    return failed > 0 ? 1 : 0;
  } finally {
    client.destroy();
  }
}

function localCredentials(io: Io): { accessKeyId: string; secretAccessKey: string; sessionToken?: string } {
  return {
    accessKeyId: io.env.AWS_ACCESS_KEY_ID ?? 'S3RVER',
    secretAccessKey: io.env.AWS_SECRET_ACCESS_KEY ?? 'S3RVER',
    ...(io.env.AWS_SESSION_TOKEN ? { sessionToken: io.env.AWS_SESSION_TOKEN } : {}),
  };
}

interface Tally {
  objects: number;
  bytes: number;
}

export interface ReplayReport {
  readonly target: string;
  readonly from: string;
  readonly to: string;
  readonly listed: Tally;
  readonly toReplay: Tally;
  readonly skipped: Readonly<Record<string, number>>;
  readonly bySource: Readonly<Record<string, Tally>>;
  readonly byAccountRegion: Readonly<Record<string, Tally>>;
  readonly byMonth: Readonly<Record<string, Tally>>;
  /** Prefixes listed whole and filtered by LastModified. */
  readonly fallbackPrefixes: readonly string[];
}

function add(map: Record<string, Tally>, key: string, c: Candidate): void {
  const t = (map[key] ??= { objects: 0, bytes: 0 });
  t.objects++;
  t.bytes += c.size;
}

const sorted = (m: Record<string, Tally>): Record<string, Tally> => Object.fromEntries(Object.entries(m).sort(([a], [b]) => a.localeCompare(b)));

/** The figures of a replay: per source, per account/region and per month, of the objects to replay. */
export function summarize(where: string, range: { from: string; to: string }, listing: Listing, selection: Selection): ReplayReport {
  const bySource: Record<string, Tally> = {};
  const byAccountRegion: Record<string, Tally> = {};
  const byMonth: Record<string, Tally> = {};
  for (const c of selection.replay) {
    add(bySource, c.source, c);
    add(byAccountRegion, `${c.account ?? '-'}/${c.region ?? '-'}`, c);
    add(byMonth, c.day.slice(0, 7), c);
  }
  const total = (cs: readonly Candidate[]): Tally => ({ objects: cs.length, bytes: cs.reduce((n, c) => n + c.size, 0) });
  return {
    target: where,
    ...range,
    listed: total(listing.objects),
    toReplay: total(selection.replay),
    skipped: { ...selection.skippedBy },
    bySource: sorted(bySource),
    byAccountRegion: sorted(byAccountRegion),
    byMonth: sorted(byMonth),
    fallbackPrefixes: listing.fallbackPrefixes,
  };
}

function dryRunText(r: ReplayReport): string {
  const lines = [`${r.target} ${r.from}..${r.to}: ${r.listed.objects} objects listed (${r.listed.bytes} bytes), ${r.toReplay.objects} to replay (${r.toReplay.bytes} bytes)`];
  const skipped = Object.entries(r.skipped).filter(([, n]) => n > 0);
  lines.push(skipped.length === 0 ? 'skipped: none' : `skipped: ${skipped.map(([rule, n]) => `${n} ${rule}`).join(', ')}`);
  for (const [title, m] of [['source', r.bySource], ['account/region', r.byAccountRegion], ['month', r.byMonth]] as const) {
    lines.push(`by ${title}:`);
    for (const [k, t] of Object.entries(m)) lines.push(`  ${k.padEnd(28)} ${String(t.objects).padStart(8)} objects ${String(t.bytes).padStart(14)} bytes`);
  }
  if (r.fallbackPrefixes.length > 0) lines.push(`no known layout, listed whole and filtered by LastModified: ${r.fallbackPrefixes.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
