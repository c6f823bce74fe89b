/**
 * `loglake replay status [<run-id>]` and `loglake replay cancel <run-id>`: read the run records in
 * the central bucket (or a local lake folder), show one run with its queue backlog and — with
 * `--done` — how many of its objects the worker has finished (from their manifests), or list every
 * run; ask a running one to stop. `replay.ts` dispatches here and answers `--help` for both.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { finishedSince, isRunId, LoglakeError, parseRecord, readRecord, replayRecordKey, REPLAYS_PREFIX, requestCancel, listRange, type LakeSink, type ReplayRecord } from '../../pipeline/index.js';
import { parse, stringFlag as str, UsageError, type Values } from '../args.js';
import { count, textTable } from '../format.js';
import type { Io } from '../io.js';
import { duration } from '../replay-report.js';
import { awsOptions, cause, connectLake, lakeFrom, resolveStack, type Aws, type LakeLocation } from '../replay-aws.js';

const OPTIONS = {
  lake: { type: 'string' },
  stack: { type: 'string' },
  endpoint: { type: 'string' },
  json: { type: 'boolean' },
  done: { type: 'boolean' },
} as const;

async function lakeOf(io: Io, aws: Aws, values: Values): Promise<LakeLocation> {
  const lake = str(values, 'lake');
  const stack = str(values, 'stack');
  if (lake !== undefined && stack !== undefined) throw new UsageError('--lake and --stack exclude each other');
  if (lake !== undefined) return lakeFrom(io, lake);
  if (stack !== undefined) return { kind: 's3', bucket: (await resolveStack(aws, stack)).lakeBucket, prefix: '' };
  throw new UsageError('where are the run records? give --lake <s3://bucket | dir> or --stack <name>');
}

function runIdArg(positionals: readonly string[], required: boolean): string | undefined {
  if (positionals.length > 1) throw new UsageError(`one run id at a time, got ${positionals.length}`);
  const id = positionals[0];
  if (id === undefined) {
    if (required) throw new UsageError('a run id is required (loglake replay status lists them)');
    return undefined;
  }
  if (!isRunId(id)) throw new UsageError(`${JSON.stringify(id)} is not a run id (like 20261202T160000Z-a1b2c3)`);
  return id;
}

async function withAws(io: Io, values: Values, body: (aws: Aws) => Promise<number>): Promise<number> {
  const aws = await awsOptions(io, str(values, 'endpoint'));
  try {
    return await body(aws);
  } catch (e) {
    if (!(e instanceof LoglakeError)) throw e;
    io.stderr.write(`loglake replay: ${cause(e)}\n`);
    return 1;
  } finally {
    aws.destroy();
  }
}

/** Run ids with a record, newest first. */
async function runIds(aws: Aws, at: LakeLocation): Promise<string[]> {
  let names: string[];
  if (at.kind === 'local') {
    try {
      names = readdirSync(join(at.dir, REPLAYS_PREFIX));
    } catch {
      names = [];
    }
  } else {
    names = [];
    const pages = aws.pages(at.bucket);
    let token: string | undefined;
    do {
      const page = await pages.page({ prefix: `${at.prefix}${REPLAYS_PREFIX}`, ...(token !== undefined ? { continuationToken: token } : {}) });
      names.push(...page.keys.map((k) => k.key.slice(at.prefix.length + REPLAYS_PREFIX.length)));
      token = page.nextToken;
    } while (token !== undefined);
  }
  return names.flatMap((n) => (n.endsWith('.json') && isRunId(n.slice(0, -5)) ? [n.slice(0, -5)] : [])).sort().reverse();
}

const skippedOf = (r: ReplayRecord): number => r.skipped.unchanged + r.skipped['not-older-parser'];

export async function status(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, OPTIONS);
  const id = runIdArg(positionals, false);
  if (id === undefined && values.done === true) throw new UsageError('--done needs a run id');
  return withAws(io, values, async (aws) => {
    const at = await lakeOf(io, aws, values);
    const lake = connectLake(aws, at);
    if (id === undefined) return listRuns(io, aws, at, lake, values.json === true);
    const record = await readRecord(lake, id);
    if (record === null) {
      io.stderr.write(`loglake replay: no replay run ${id}: ${lake.describe(replayRecordKey(id))} does not exist\n`);
      return 1;
    }
    let backlog: { visible: number; inFlight: number } | null = null;
    try {
      backlog = await aws.queue(record.queue_url).backlog();
    } catch (e) {
      io.stderr.write(`loglake replay: note: queue backlog unavailable (${cause(e)})\n`);
    }
    let done: { finished: number; failed: number } | null = null;
    if (values.done === true) {
      const p = record.params;
      const listing = await listRange(aws.pages(p.bucket), p.prefix, { range: { from: p.from, to: p.to }, ...(p.source !== null ? { source: p.source } : {}), ...(p.account !== null ? { account: p.account } : {}), ...(p.region !== null ? { region: p.region } : {}) });
      done = await finishedSince(listing.objects, p.bucket, lake, record.started_at);
    }
    if (values.json === true) {
      io.stdout.write(`${JSON.stringify({ record, backlog, done })}\n`);
      return 0;
    }
    io.stdout.write(describe(record, backlog, done));
    return 0;
  });
}

function describe(r: ReplayRecord, backlog: { visible: number; inFlight: number } | null, done: { finished: number; failed: number } | null): string {
  const p = r.params;
  const end = r.ended_at ?? r.updated_at;
  const lines = [
    `run ${r.run_id} (${r.mode}): ${r.status}`,
    `  target     s3://${p.bucket}/${p.prefix} ${p.from}..${p.to}${p.source ? ` source ${p.source}` : ''}${p.account ? ` account ${p.account}` : ''}${p.region ? ` region ${p.region}` : ''}${p.force ? ' --force' : ''}${p.parserOlderThan ? ` --parser-older-than ${p.parserOlderThan}` : ''}`,
    `  progress   window ${Math.min(r.cursor.window + 1, r.windows)} of ${r.windows} (${p.window}s)${r.cursor.after !== null ? `, after ${r.cursor.after}` : ''}`,
    `  listed     ${count(r.listed.objects)} objects, ${count(r.listed.bytes)} bytes`,
    `  skipped    ${count(skippedOf(r))} (${r.skipped.unchanged} unchanged, ${r.skipped['not-older-parser']} not by an older parser)`,
    `  enqueued   ${count(r.enqueued.objects)} objects, ${count(r.enqueued.bytes)} bytes, ${r.batches} calls, ${r.retried_entries} entries retried`,
    `  queue      ${r.queue_url}${backlog !== null ? `: ${count(backlog.visible)} waiting, ${count(backlog.inFlight)} in flight` : ''}`,
  ];
  if (done !== null) lines.push(`  done       ${count(done.finished)} of ${count(r.enqueued.objects)} enqueued objects have a manifest written since the run started (${done.failed} failed)`);
  lines.push(`  time       started ${r.started_at}, ${r.ended_at !== null ? `ended ${r.ended_at}` : `updated ${r.updated_at}`} (${duration((Date.parse(end) - Date.parse(r.started_at)) / 1000)}), ${r.invocations} invocation(s)`);
  if (r.fallback_prefixes.length > 0) lines.push(`  fallback   listed whole, filtered by LastModified: ${r.fallback_prefixes.join(', ')}`);
  if (r.errors_total > 0) {
    lines.push(`  errors     ${r.errors_total}${r.errors_total > r.errors.length ? ` (first ${r.errors.length} kept)` : ''}:`);
    for (const e of r.errors) lines.push(`    ${e.at} ${e.key !== null ? `${e.key}: ` : ''}${e.message}`);
  }
  return `${lines.join('\n')}\n`;
}

async function listRuns(io: Io, aws: Aws, at: LakeLocation, lake: LakeSink, json: boolean): Promise<number> {
  const records: ReplayRecord[] = [];
  for (const id of await runIds(aws, at)) {
    const bytes = await lake.get(replayRecordKey(id));
    if (bytes === null) continue;
    const r = parseRecord(bytes, lake.describe(replayRecordKey(id)));
    if (typeof r === 'string') io.stderr.write(`loglake replay: ${r}\n`);
    else records.push(r);
  }
  if (json) {
    for (const r of records) io.stdout.write(`${JSON.stringify(r)}\n`);
    return 0;
  }
  if (records.length === 0) {
    io.stdout.write(`no replay runs in ${lake.describe(REPLAYS_PREFIX)}\n`);
    return 0;
  }
  const rows = records.map((r) => [r.run_id, r.mode, r.status, `s3://${r.params.bucket}/${r.params.prefix}`, `${r.params.from}..${r.params.to}`, r.listed.objects, skippedOf(r), r.enqueued.objects, r.errors_total, r.updated_at]);
  io.stdout.write(`${textTable(['run', 'mode', 'status', 'target', 'range', 'listed', 'skipped', 'enqueued', 'errors', 'updated'], rows)}\n`);
  return 0;
}

export async function cancel(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, OPTIONS);
  const id = runIdArg(positionals, true) as string;
  return withAws(io, values, async (aws) => {
    const lake = connectLake(aws, await lakeOf(io, aws, values));
    const record = await readRecord(lake, id);
    if (record === null) {
      io.stderr.write(`loglake replay: no replay run ${id}: ${lake.describe(replayRecordKey(id))} does not exist\n`);
      return 1;
    }
    if (record.status !== 'running' && record.status !== 'failed') {
      io.stdout.write(`run ${id} is already ${record.status}; nothing to cancel\n`);
      return 0;
    }
    await requestCancel(lake, id);
    io.stdout.write(`run ${id}: cancel requested; the producer stops at its next chunk (messages already sent are still processed)\n`);
    return 0;
  });
}
