/**
 * `loglake replay`: lists the objects of a date range under an S3 prefix (only the day folders and
 * dated names in range where AWS's layouts allow), skips those the lake already holds from the
 * same bytes and parser version, and prints what a replay would do (`--dry-run`, the default),
 * runs the pipeline here (`--local --out DIR`), enqueues replay messages for the deployed worker
 * from this process (`--queue`/`--stack`), or hands the run to the deployed replay function
 * (`--deployed`). `replay status` and `replay cancel` are in `replay-runs.ts`.
 */
import { resolve } from 'node:path';
import {
  DEFAULT_REGISTRY,
  encodeReplayRequest,
  isRunId,
  listRange,
  LocalLakeSink,
  LoglakeError,
  newRunId,
  parseParserVersion,
  processObject,
  recordObjectFailure,
  resolveOptions,
  resumeReplay,
  selectForReplay,
  startReplay,
  type LakeSink,
  type Listing,
  type ReplayParams,
  type ReplayRecord,
  type ReplayRequest,
  type Selection,
} from '../../pipeline/index.js';
import { intFlag, parse, stringFlag, UsageError, type Values } from '../args.js';
import { threadsFlag, threadsHelp } from '../threads.js';
import type { Io } from '../io.js';
import { dayFlag, s3Target, type S3Target } from '../range-flags.js';
import { dryRunText, progressEvent, ReplayProgress, summarize } from '../replay-report.js';
import { awsOptions, cause, connectLake, lakeFrom, resolveStack, type Aws } from '../replay-aws.js';

export const help = `usage: loglake replay s3://<bucket>/<prefix>/ --from YYYY-MM-DD [options]
       loglake replay status [<run-id>] (--lake <s3://bucket | dir> | --stack <name>)
       loglake replay cancel <run-id> (--lake <s3://bucket | dir> | --stack <name>)

Lists the objects of a date range (UTC days) under an S3 prefix, listing only the days in
range of AWS's AWSLogs/[o-org/]<account>/<service>/<region>/YYYY/MM/DD/ layouts, jumping with
StartAfter over S3 access-log and CloudFront names that begin with a date, and only the CUR
billing periods that meet the range; other layouts are listed whole and filtered by
LastModified (the output says which prefixes). Objects whose manifest shows the same ETag read
by the current parser version are skipped. See docs/replay.md.

modes:
  --dry-run                  print objects and bytes per source, account/region and month, and
                             the deployed worker's time and cost for them (default)
  --local --out <dir>        run the pipeline here on the objects, into a local lake folder
${threadsHelp(4, 29)}
  --queue <url> --lake <s3://bucket[/prefix]>
                             enqueue one replay message per object from this process; the run
                             record goes to <lake>/replays/<run-id>.json
  --stack <name>             as --queue, with the replay queue and central bucket read from the
                             outputs of the deployed stack
  --deployed --stack <name>  hand the run to the deployed replay function (lists and enqueues in
                             slices, continues itself); prints the run id and returns

options:
  --from <YYYY-MM-DD>        first day (required, except with --resume)
  --to <YYYY-MM-DD>          last day, included (default: --from)
  --source <source>          only objects whose key routes to this source
  --account <id>             only this account's AWSLogs folders
  --region <region>          only this region's AWSLogs folders
  --endpoint <url>           S3-compatible endpoint (path-style) for the bucket and the lake
  --lake <s3://bucket[/prefix] | dir>
                             the central bucket: manifests for the skip rules, run records
  --force                    replay every listed object
  --parser-older-than <id@v> replay exactly the objects an older version of that parser wrote
  --rate <n>                 enqueue at most n objects per second (default: no limit)
  --window <day|month>       list the range a day or a month at a time (default month, day with
                             --deployed: a day holds less in memory and always fits an invocation)
  --resume <run-id>          continue a stopped or failed run from its record (with --queue,
                             --stack or --deployed; the range and filters come from the record)
  --memory <MB>, --concurrency <n>
                             worker memory and replay concurrency the estimate assumes
                             (default 1024 and 2, the stack's defaults)
  --json                     machine-readable output: the dry run as one JSON document; while
                             enqueuing, one JSON progress event per chunk and an end event
  -h, --help                 this help

Ctrl-C while enqueuing stops after the current chunk and prints the --resume command.

exit codes: 0 ok (a cancelled run included), 1 listing failed (no such bucket, access denied), an
            object failed or the run failed, 2 usage error, 130 interrupted (resumable)
`;

function target(positionals: readonly string[]): S3Target {
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'an s3://bucket/prefix/ to replay is required' : `one s3://bucket/prefix/ at a time, got ${positionals.length}`);
  return s3Target(positionals[0] as string);
}

const day = dayFlag;

const str = stringFlag;

type Mode = 'dry-run' | 'local' | 'queue' | 'deployed';

function modeOf(values: Values): Mode {
  const picked = [
    values['dry-run'] === true && 'dry-run',
    values.local === true && 'local',
    (values.queue !== undefined || (values.stack !== undefined && values.deployed !== true)) && 'queue',
    values.deployed === true && 'deployed',
  ].filter((m): m is Mode => m !== false);
  if (picked.length > 1) throw new UsageError(`${picked.map((m) => (m === 'queue' ? '--queue/--stack' : `--${m}`)).join(' and ')} exclude each other`);
  return picked[0] ?? 'dry-run';
}

/** The replay parameters of the command line (none with --resume, where the record has them). */
function paramsOf(values: Values, positionals: readonly string[]): ReplayParams {
  const { bucket, prefix } = target(positionals);
  const from = day(values, 'from');
  if (from === undefined) throw new UsageError('--from YYYY-MM-DD is required');
  const to = day(values, 'to') ?? from;
  if (to < from) throw new UsageError(`--to ${to} is before --from ${from}: the range is empty`);
  const today = new Date().toISOString().slice(0, 10);
  if (from > today) throw new UsageError(`--from ${from} is after today (${today}): the range is empty`);
  const source = str(values, 'source') ?? null;
  const known: string[] = [...new Set(DEFAULT_REGISTRY.parsers.map((p) => p.source as string))].sort();
  if (source !== null && !known.includes(source)) throw new UsageError(`unknown source ${JSON.stringify(source)}; known: ${known.join(', ')}`);
  const account = str(values, 'account') ?? null;
  if (account !== null && !/^\d{12}$/.test(account)) throw new UsageError(`--account must be a 12-digit account id, got ${JSON.stringify(account)}`);
  const olderText = str(values, 'parser-older-than') ?? null;
  if (olderText !== null) {
    const parsed = parseParserVersion(olderText);
    if (typeof parsed === 'string') throw new UsageError(`--parser-older-than: ${parsed}`);
    if (values.force === true) throw new UsageError('--force and --parser-older-than exclude each other');
  }
  const rateText = str(values, 'rate');
  const rate = rateText === undefined ? null : Number(rateText);
  if (rate !== null && !(Number.isFinite(rate) && rate > 0)) throw new UsageError(`--rate must be a positive number of objects per second, got ${JSON.stringify(rateText)}`);
  // The deployed function cannot stop inside a window's listing: a day always fits its deadline.
  const window = str(values, 'window') ?? (values.deployed === true ? 'day' : 'month');
  if (window !== 'day' && window !== 'month') throw new UsageError(`--window must be day or month, got ${JSON.stringify(window)}`);
  return { bucket, prefix, from, to, source, account, region: str(values, 'region') ?? null, force: values.force === true, parserOlderThan: olderText, rate, window };
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  if (argv[0] === 'status' || argv[0] === 'cancel') {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.stdout.write(help);
      return 0;
    }
    const runs = await import('./replay-runs.js');
    return argv[0] === 'status' ? runs.status(argv.slice(1), io) : runs.cancel(argv.slice(1), io);
  }
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
    window: { type: 'string' },
    memory: { type: 'string' },
    concurrency: { type: 'string' },
    threads: { type: 'string' },
  }, ['memory', 'concurrency', 'threads']);
  if (values.help) {
    io.stdout.write(help);
    return 0;
  }
  const mode = modeOf(values);
  const resume = str(values, 'resume');
  if (resume !== undefined) {
    if (mode === 'dry-run' || mode === 'local') throw new UsageError('--resume needs --queue, --stack or --deployed: only runs that enqueue have a record to resume');
    if (!isRunId(resume)) throw new UsageError(`--resume: ${JSON.stringify(resume)} is not a run id (like 20261202T160000Z-a1b2c3)`);
    const given = ['from', 'to', 'source', 'account', 'region', 'force', 'parser-older-than', 'window'].filter((f) => values[f] !== undefined);
    if (positionals.length > 0 || given.length > 0) throw new UsageError(`--resume takes the range and filters from the run record; leave out ${positionals.length > 0 ? 'the s3:// target' : `--${given[0]}`}`);
  }
  if (mode === 'deployed' && values.stack === undefined) throw new UsageError('--deployed needs --stack <name> (the replay function and its queue are found from the stack outputs)');
  if (mode === 'queue' && values.queue !== undefined && values.stack !== undefined) throw new UsageError('--queue and --stack exclude each other (--stack finds the queue itself)');
  if (mode !== 'local' && values.out !== undefined) throw new UsageError('--out needs --local');
  if (mode !== 'local' && values.threads !== undefined) throw new UsageError('--threads needs --local: the deployed worker takes LOGLAKE_THREADS');
  if (mode === 'local' && values.out === undefined) throw new UsageError('--local needs --out <dir>');
  if (mode === 'deployed' && values.lake !== undefined) throw new UsageError('--deployed uses the stack\'s central bucket; leave out --lake');
  const params = resume === undefined ? paramsOf(values, positionals) : null;
  const worker = { memoryMb: intFlag(values, 'memory'), concurrency: intFlag(values, 'concurrency') };

  const aws = await awsOptions(io, str(values, 'endpoint'));
  try {
    if (mode === 'deployed') return await deployed(io, aws, values, params, resume);
    if (mode === 'queue') return await enqueue(io, aws, values, params, resume);
    return await listAndRun(io, aws, values, params as ReplayParams, mode, worker);
  } catch (e) {
    if (!(e instanceof LoglakeError)) throw e;
    io.stderr.write(`loglake replay: ${cause(e)}\n`);
    return 1;
  } finally {
    aws.destroy();
  }
}

/** `--dry-run` and `--local`: list the whole range, then print it or run it here. */
async function listAndRun(io: Io, aws: Aws, values: Values, p: ReplayParams, mode: 'dry-run' | 'local', worker: { memoryMb?: number | undefined; concurrency?: number | undefined }): Promise<number> {
  const out = mode === 'local' ? resolve(io.cwd, str(values, 'out') as string) : undefined;
  const lakeText = str(values, 'lake') ?? out;
  if (p.parserOlderThan !== null && lakeText === undefined) throw new UsageError('--parser-older-than needs the manifests: give --lake (or --local --out)');
  const lake: LakeSink | null = lakeText === undefined ? null : connectLake(aws, lakeFrom(io, lakeText));
  const listing: Listing = await listRange(aws.pages(p.bucket), p.prefix, {
    range: { from: p.from, to: p.to },
    ...(p.source !== null ? { source: p.source } : {}),
    ...(p.account !== null ? { account: p.account } : {}),
    ...(p.region !== null ? { region: p.region } : {}),
  });
  const older = p.parserOlderThan === null ? undefined : (parseParserVersion(p.parserOlderThan) as { id: string; version: number });
  const selection: Selection = await selectForReplay(listing.objects, p.bucket, lake, { force: p.force, ...(older !== undefined ? { parserOlderThan: older } : {}) });
  const clean = Object.fromEntries(Object.entries(worker).filter(([, v]) => v !== undefined)) as { memoryMb?: number; concurrency?: number };
  const report = summarize(`s3://${p.bucket}/${p.prefix}`, { from: p.from, to: p.to }, listing, selection, clean);
  if (mode === 'dry-run') {
    io.stdout.write(values.json === true ? `${JSON.stringify({ mode: 'dry-run', ...report })}\n` : dryRunText(report));
    return 0;
  }
  const sink = new LocalLakeSink(out as string);
  const source = aws.source();
  const options = resolveOptions({ threads: threadsFlag(values) });
  let failed = 0;
  let records = 0;
  for (const c of selection.replay) {
    const ref = { bucket: p.bucket, key: c.key };
    const started = Date.now();
    let r;
    try {
      r = await processObject(ref, { source, sink, options });
    } catch (e) {
      // As `loglake ingest`: what the worker would leave to SQS to retry is a failed manifest
      // here, and the run goes on with the next object.
      r = await recordObjectFailure(ref, e, { source, sink }, started);
    }
    records += r.manifest.records;
    if (r.manifest.status === 'failed') {
      failed++;
      io.stderr.write(`loglake replay: s3://${p.bucket}/${c.key}: ${r.manifest.error ?? r.manifest.reason ?? 'failed'}\n`);
    }
  }
  const done = { mode: 'local', out, ...report, replayed: selection.replay.length - failed, failed, records };
  io.stdout.write(values.json === true ? `${JSON.stringify(done)}\n` : `${dryRunText(report)}replayed ${done.replayed} objects into ${out}: ${records} records, ${failed} failed\n`);
  return failed > 0 ? 1 : 0;
}

/** `--queue`/`--stack`: the producer in this process, stopping cleanly on Ctrl-C. */
async function enqueue(io: Io, aws: Aws, values: Values, params: ReplayParams | null, resume: string | undefined): Promise<number> {
  const stackName = str(values, 'stack');
  const stack = stackName === undefined ? null : await resolveStack(aws, stackName);
  const queueUrl = str(values, 'queue') ?? stack?.replayQueueUrl;
  const lakeText = str(values, 'lake') ?? (stack ? `s3://${stack.lakeBucket}` : undefined);
  if (queueUrl === undefined) throw new UsageError('--queue <url> is required');
  if (lakeText === undefined) throw new UsageError('--queue needs --lake s3://<central-bucket>: the run record and the manifests live there');
  const lake = connectLake(aws, lakeFrom(io, lakeText));
  const queue = aws.queue(queueUrl);
  const json = values.json === true;
  const progress = new ReplayProgress(io, json ? 'json' : io.stderr.isTTY === true ? 'tty' : 'none');
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const started = Date.now();
  let record: ReplayRecord;
  try {
    const deps = { pages: aws.pages(params?.bucket ?? ''), lake, queue, shouldYield: () => interrupted, onProgress: (r: Readonly<ReplayRecord>) => progress.update(r) };
    if (resume !== undefined) {
      const { readRecord } = await import('../../pipeline/index.js');
      const stored = await readRecord(lake, resume);
      if (stored === null) throw new UsageError(`no replay run ${resume} in ${lake.describe('replays/')}`, { hint: false });
      if (stored.queue_url !== queueUrl) io.stderr.write(`loglake replay: note: run ${resume} sent to ${stored.queue_url}; continuing to ${queueUrl}\n`);
      record = await resumeReplay(resume, { ...deps, pages: aws.pages(stored.params.bucket) });
    } else {
      const runId = newRunId();
      if (!json) io.stderr.write(`loglake replay: run ${runId}: record ${lake.describe(`replays/${runId}.json`)}\n`);
      record = await startReplay(runId, 'queue', params as ReplayParams, queueUrl, deps);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress.finish();
  }
  const resumeHint = `loglake replay --resume ${record.run_id} ${stackName !== undefined ? `--stack ${stackName}` : `--queue ${queueUrl} --lake ${lakeText}`}`;
  if (json) io.stdout.write(`${JSON.stringify({ ...progressEvent(record, 'end', Date.now() - started), record })}\n`);
  else {
    const skipped = record.skipped.unchanged + record.skipped['not-older-parser'];
    io.stdout.write(`run ${record.run_id} ${record.status === 'running' ? 'stopped' : record.status}: ${record.listed.objects} objects listed, ${skipped} skipped, ${record.enqueued.objects} enqueued (${record.enqueued.bytes} bytes) in ${record.batches} SendMessageBatch calls, ${record.errors_total} errors\n`);
    for (const e of record.errors.slice(-5)) io.stderr.write(`loglake replay: ${e.key !== null ? `${e.key}: ` : ''}${e.message}\n`);
  }
  if (record.status === 'running') {
    io.stderr.write(`loglake replay: interrupted; continue with: ${resumeHint}\n`);
    return 130;
  }
  if (record.status === 'failed') {
    io.stderr.write(`loglake replay: run failed; after fixing the cause, continue with: ${resumeHint}\n`);
    return 1;
  }
  return record.errors_total > 0 ? 1 : 0;
}

/** `--deployed`: one request to the replay function's control queue. */
async function deployed(io: Io, aws: Aws, values: Values, params: ReplayParams | null, resume: string | undefined): Promise<number> {
  const stackName = str(values, 'stack') as string;
  const stack = await resolveStack(aws, stackName, { deployed: true });
  const runId = resume ?? newRunId();
  const request: ReplayRequest = resume !== undefined ? { loglake: 'replay-continue', v: 1, run_id: runId } : { loglake: 'replay-start', v: 1, run_id: runId, params: params as ReplayParams };
  await aws.send(stack.controlQueueUrl as string, encodeReplayRequest(request));
  if (values.json === true) io.stdout.write(`${JSON.stringify({ event: 'submitted', run_id: runId, control_queue: stack.controlQueueUrl, record: `s3://${stack.lakeBucket}/replays/${runId}.json` })}\n`);
  else {
    io.stdout.write(
      `run ${runId} ${resume !== undefined ? 'resumed' : 'submitted'} to the replay function of stack ${stackName}\n` +
        `record: s3://${stack.lakeBucket}/replays/${runId}.json\n` +
        `watch:  loglake replay status ${runId} --stack ${stackName}\n` +
        `stop:   loglake replay cancel ${runId} --stack ${stackName}\n`,
    );
  }
  return 0;
}
