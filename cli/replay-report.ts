/**
 * What `loglake replay` prints: the dry-run figures (per source, account/region and month, skips
 * by rule, the worker time and cost estimate) and the progress of a run that enqueues (one
 * redrawn line on a terminal, JSON events with `--json`).
 */
import { estimateReplay, type Candidate, type Estimate, type Listing, type ReplayRecord, type Selection } from '../pipeline/index.js';
import { count } from './format.js';
import type { Out } from './io.js';

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
  readonly estimate: Estimate;
}

function add(map: Record<string, Tally>, key: string, c: Candidate): void {
  const t = (map[key] ??= { objects: 0, bytes: 0 });
  t.objects++;
  t.bytes += c.size;
}

const sorted = (m: Record<string, Tally>): Record<string, Tally> => Object.fromEntries(Object.entries(m).sort(([a], [b]) => a.localeCompare(b)));

/** The figures of a replay: per source, per account/region and per month, of the objects to replay. */
export function summarize(
  where: string,
  range: { from: string; to: string },
  listing: Listing,
  selection: Selection,
  worker: { memoryMb?: number; concurrency?: number } = {},
): ReplayReport {
  const bySource: Record<string, Tally> = {};
  const byAccountRegion: Record<string, Tally> = {};
  const byMonth: Record<string, Tally> = {};
  for (const c of selection.replay) {
    add(bySource, c.source, c);
    add(byAccountRegion, `${c.account ?? '-'}/${c.region ?? '-'}`, c);
    add(byMonth, c.day.slice(0, 7), c);
  }
  const total = (cs: readonly Candidate[]): Tally => ({ objects: cs.length, bytes: cs.reduce((n, c) => n + c.size, 0) });
  const toReplay = total(selection.replay);
  return {
    target: where,
    ...range,
    listed: total(listing.objects),
    toReplay,
    skipped: { ...selection.skippedBy },
    bySource: sorted(bySource),
    byAccountRegion: sorted(byAccountRegion),
    byMonth: sorted(byMonth),
    fallbackPrefixes: listing.fallbackPrefixes,
    estimate: estimateReplay({ ...toReplay, ...worker }),
  };
}

/** `1h05m`, `4:07`, for durations in seconds. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 86_400) return `${Math.floor(s / 86_400)}d${String(Math.floor((s % 86_400) / 3600)).padStart(2, '0')}h`;
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

const usd = (n: number): string => (n < 0.01 ? (n === 0 ? '$0' : '< $0.01') : `$${n.toFixed(2)}`);

export function dryRunText(r: ReplayReport): string {
  const lines = [`${r.target} ${r.from}..${r.to}: ${r.listed.objects} objects listed (${r.listed.bytes} bytes), ${r.toReplay.objects} to replay (${r.toReplay.bytes} bytes)`];
  const skipped = Object.entries(r.skipped).filter(([, n]) => n > 0);
  lines.push(skipped.length === 0 ? 'skipped: none' : `skipped: ${skipped.map(([rule, n]) => `${n} ${rule}`).join(', ')}`);
  for (const [title, m] of [['source', r.bySource], ['account/region', r.byAccountRegion], ['month', r.byMonth]] as const) {
    lines.push(`by ${title}:`);
    for (const [k, t] of Object.entries(m)) lines.push(`  ${k.padEnd(28)} ${String(t.objects).padStart(8)} objects ${String(t.bytes).padStart(14)} bytes`);
  }
  if (r.fallbackPrefixes.length > 0) lines.push(`no known layout, listed whole and filtered by LastModified: ${r.fallbackPrefixes.join(', ')}`);
  const e = r.estimate;
  lines.push(
    `estimate (deployed worker, ${e.assumptions.memoryMb} MB, ${e.assumptions.concurrency} at once; see docs/replay.md): ` +
      `${duration(e.wallSeconds)} wall, ${duration(e.workerSeconds)} of worker time, ` +
      `cost ${usd(e.costUsd.total)} (Lambda ${usd(e.costUsd.lambda)}, SQS ${usd(e.costUsd.sqs)}, S3 requests ${usd(e.costUsd.s3)})`,
  );
  return `${lines.join('\n')}\n`;
}

/** The part of a record a progress event carries. */
export function progressEvent(r: Readonly<ReplayRecord>, event: 'progress' | 'end', elapsedMs: number): Record<string, unknown> {
  return {
    event,
    run_id: r.run_id,
    status: r.status,
    window: Math.min(r.cursor.window + 1, r.windows),
    windows: r.windows,
    listed: r.listed.objects,
    skipped: r.skipped.unchanged + r.skipped['not-older-parser'],
    enqueued: r.enqueued.objects,
    enqueued_bytes: r.enqueued.bytes,
    errors: r.errors_total,
    elapsed_ms: elapsedMs,
  };
}

/**
 * Progress of a run that enqueues: a redrawn line on a terminal (listed, enqueued, rate, and an
 * ETA from the share of windows done), a JSON line per record write with `--json`, nothing else.
 */
export class ReplayProgress {
  private readonly started: number;
  private last = 0;
  private drawn = false;

  constructor(
    private readonly out: { readonly stdout: Out; readonly stderr: Out },
    private readonly mode: 'tty' | 'json' | 'none',
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  update(r: Readonly<ReplayRecord>): void {
    const t = this.now();
    if (this.mode === 'json') {
      this.out.stdout.write(`${JSON.stringify(progressEvent(r, 'progress', t - this.started))}\n`);
      return;
    }
    if (this.mode !== 'tty' || t - this.last < 250) return;
    this.last = t;
    const secs = (t - this.started) / 1000;
    const rate = secs > 0 ? r.enqueued.objects / secs : 0;
    const share = r.windows === 0 ? 1 : r.cursor.window / r.windows;
    const eta = share > 0 && share < 1 ? ` ETA ${duration((secs / share) * (1 - share))}` : '';
    this.out.stderr.write(`\r\x1b[2Kwindow ${Math.min(r.cursor.window + 1, r.windows)}/${r.windows} listed ${count(r.listed.objects)} skipped ${count(r.skipped.unchanged + r.skipped['not-older-parser'])} enqueued ${count(r.enqueued.objects)} (${rate.toFixed(0)}/s)${eta}`);
    this.drawn = true;
  }

  /** Ends the progress line before other output. */
  finish(): void {
    if (this.drawn) this.out.stderr.write('\n');
    this.drawn = false;
  }
}
