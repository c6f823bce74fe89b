/**
 * One batch of frames → accounting, rejected lines and the rows of each day partition, as the
 * main thread (one thread) and the worker threads both run it, so the bytes do not depend on
 * where it ran. A partition's rows come back as an encoded, compressed row group, or — when
 * they are too few for a row group of their own and the batch is not the run's only one — as
 * row values the main thread adds to that partition's file (the Parquet writer's parking and
 * spilling bound an object spread over hundreds of days as in one thread).
 */
import { timeBounds, validateRecord, type EventFields, type RejectReason, type SkipReason, type TimeBounds } from '../../schema/index.js';
import type { ParseContext, ParseResult, Parser } from '../../parsers/index.js';
import { parseFrame } from '../framing/parse-frame.js';
import { RowGroupBuilder, rowChars, rowValues, type EncodedRowGroup, type RowValues } from '../parquet/parquet-writer.js';
import type { PipelineOptions } from '../run/options.js';
import { DayFormatter } from '../run/identity.js';
import { REJECTED, ROW, type FrameBatch } from './batch.js';

/** The user-agent mark of the pipeline's own AWS requests (DESIGN: the pipeline's own traffic). */
export const SELF_USER_AGENT_MARK = 'loglake/';

/** What every batch of one object run shares; small, sent with each batch. */
export interface BatchJob {
  readonly parserId: string;
  /** `ParseContext.object` and the `object` column. */
  readonly uri: string;
  readonly objectId: string;
  /** Account and region the object's key says, for records that do not say theirs. */
  readonly keyAccount: string | null;
  readonly keyRegion: string | null;
  /** The run's clock reading: `ingested_at` and the event-time window. */
  readonly now: number;
  readonly options: Pick<PipelineOptions, 'keepRaw' | 'keepSelfTraffic' | 'maxRejectRawBytes' | 'codec' | 'rowGroupRows'>;
}

/** A rejected line of the batch, as the `errors/` writer takes it (without the object). */
export interface BatchReject {
  readonly ordinal: number;
  readonly reason: RejectReason;
  readonly detail: string;
  readonly raw: string;
}

/** The rows of one day partition in one batch. */
export interface BatchPiece {
  readonly dt: string;
  /** Account and region of the partition's first record, which name a new partition's file. */
  readonly account: string | null;
  readonly region: string | null;
  /** A row group of its own, or the rows to add to the partition's file. */
  readonly group: EncodedRowGroup | null;
  readonly rows: readonly RowValues[] | null;
}

export interface BatchResult {
  records: number;
  rejected: number;
  skipped: number;
  invalidUtf8: number;
  drift: number;
  readonly rejectedBy: Partial<Record<RejectReason, number>>;
  readonly skippedBy: Partial<Record<SkipReason, number>>;
  readonly invalidValues: Record<string, number>;
  readonly rejects: BatchReject[];
  /** Day of the batch's first record. */
  firstDt: string | null;
  readonly pieces: BatchPiece[];
}

/**
 * A partition's rows of a batch, held as records until there are enough for a row group of
 * their own, then staged and encoded as they come.
 */
class PieceRows {
  readonly held: Array<{ record: EventFields; raw: string | null; ordinal: number }> = [];
  builder: RowGroupBuilder | null = null;
  chars = 0;
  constructor(
    readonly dt: string,
    readonly account: string | null,
    readonly region: string | null,
  ) {}
}

/** Rows of a partition within one batch from which they make a row group of their own. */
function ownGroupRows(options: BatchJob['options']): number {
  return Math.ceil(options.rowGroupRows / 4);
}

/** Runs one batch; `parser` is the job's parser (looked up by id in a worker thread). */
export class BatchProcessor {
  private readonly result: BatchResult = {
    records: 0,
    rejected: 0,
    skipped: 0,
    invalidUtf8: 0,
    drift: 0,
    rejectedBy: {},
    skippedBy: {},
    invalidValues: {},
    rejects: [],
    firstDt: null,
    pieces: [],
  };
  private readonly ctx: ParseContext;
  private readonly bounds: TimeBounds;
  private readonly days = new DayFormatter();
  private readonly partitions = new Map<string, PieceRows>();
  private readonly parserVersion: string;

  constructor(
    private readonly parser: Parser,
    private readonly job: BatchJob,
    private readonly batch: FrameBatch,
    /** Characters of a batch's cut (`BATCH_CHARS`): a quarter of them makes a row group of its own. */
    private readonly batchChars: number,
  ) {
    this.ctx = { object: job.uri, ordinal: 0, state: batch.state, drift: 0, entry: batch.entry };
    this.bounds = timeBounds(job.now);
    this.parserVersion = `${parser.id}@${parser.version}`;
  }

  async run(): Promise<BatchResult> {
    const { kinds, invalid, counts, strings } = this.batch;
    let s = 0;
    for (let i = 0; i < kinds.length; i++) {
      const ordinal = this.batch.first + i;
      const kind = kinds[i];
      const count = counts[i] as number;
      if (kind === REJECTED) this.addReject(ordinal, strings[s] as RejectReason, strings[s + 1] as string, strings[s + 2] as string);
      else this.frame(ordinal, strings[s] as string, invalid[i] === 1, kind === ROW ? strings.slice(s + 1, s + count) : undefined);
      s += count;
    }
    this.result.drift = this.ctx.drift ?? 0;
    const small = ownGroupRows(this.job.options);
    for (const p of this.partitions.values()) {
      let group: EncodedRowGroup | null = null;
      let rows: RowValues[] | null = null;
      if (p.builder === null && !this.batch.final && p.held.length < small && p.chars < this.batchChars / 4) {
        rows = p.held.map((h) => rowValues(h.record, h.raw, h.ordinal));
      } else {
        group = await this.builderOf(p).build();
      }
      this.result.pieces.push({ dt: p.dt, account: p.account, region: p.region, group, rows });
    }
    return this.result;
  }

  private newBuilder(p: PieceRows): RowGroupBuilder {
    const { job } = this;
    const builder = new RowGroupBuilder({ object: job.uri, objectId: job.objectId, ingestedAt: job.now, parserVersion: this.parserVersion }, job.options.codec, job.options.rowGroupRows);
    for (const h of p.held) builder.add(h.record, h.raw, h.ordinal);
    p.held.length = 0;
    return builder;
  }

  private builderOf(p: PieceRows): RowGroupBuilder {
    p.builder ??= this.newBuilder(p);
    return p.builder;
  }

  private frame(ordinal: number, text: string, invalidUtf8: boolean, cells: readonly string[] | undefined): void {
    if (invalidUtf8) this.result.invalidUtf8++;
    if (text.length === 0) return this.skip('blank');
    this.ctx.ordinal = ordinal;
    let result: ParseResult | null;
    try {
      result = parseFrame(this.parser, text, cells, this.ctx);
    } catch (e) {
      // A parser bug or a pathological value (deep recursion) costs this record, not the object.
      const err = e instanceof Error ? e : new Error(String(e));
      result = { ok: false, reason: 'parser_error', detail: `${this.parserVersion} threw ${err.name}: ${err.message.slice(0, 200)}` };
    }
    if (result === null) return this.skip('header');
    if (result.ok === true) this.accept(result.record, text, ordinal);
    else if (result.ok === false) this.addReject(ordinal, result.reason, text, result.detail ?? '');
    else this.skip(result.reason);
  }

  private skip(reason: SkipReason): void {
    this.result.skipped++;
    this.result.skippedBy[reason] = (this.result.skippedBy[reason] ?? 0) + 1;
  }

  private addReject(ordinal: number, reason: RejectReason, raw: string, detail: string): void {
    const r = this.result;
    r.rejected++;
    r.rejectedBy[reason] = (r.rejectedBy[reason] ?? 0) + 1;
    const max = this.job.options.maxRejectRawBytes;
    r.rejects.push({ ordinal, reason, detail, raw: raw.length > max ? raw.slice(0, max) : raw });
  }

  private accept(record: EventFields, raw: string, ordinal: number): void {
    const { job, result } = this;
    const invalid = validateRecord(record, this.bounds, result.invalidValues);
    if (invalid !== null) return this.addReject(ordinal, invalid.reason, raw, invalid.detail);
    if (!job.options.keepSelfTraffic && record.user_agent != null && record.user_agent.includes(SELF_USER_AGENT_MARK)) {
      return this.skip('self_traffic');
    }
    // A line that does not say its account or region (load balancer logs) takes them from the
    // AWSLogs/<account>/<service>/<region>/ key it was delivered under.
    if (record.account_id == null && job.keyAccount !== null) record.account_id = job.keyAccount;
    if (record.region == null && job.keyRegion !== null) record.region = job.keyRegion;
    const dt = this.days.format(record.time);
    result.firstDt ??= dt;
    let p = this.partitions.get(dt);
    if (p === undefined) {
      p = new PieceRows(dt, record.account_id ?? null, record.region ?? null);
      this.partitions.set(dt, p);
    }
    const kept = job.options.keepRaw ? raw : null;
    result.records++;
    p.chars += rowChars(kept);
    if (p.builder !== null) {
      p.builder.add(record, kept, ordinal);
      return;
    }
    p.held.push({ record, raw: kept, ordinal });
    if (p.held.length >= ownGroupRows(job.options) || p.chars >= this.batchChars / 4) p.builder = this.newBuilder(p);
  }
}
