/**
 * Room `pipeline/run/`: the orchestration of one object run. `process-object.ts` runs an object
 * through decode → route → framing → parquet under a memory budget and writes its manifest
 * (`manifest.ts`), rejected lines (`errors-writer.ts`) and continuation bookkeeping
 * (`continuation.ts`); `failed-manifest.ts` records a run that threw; `ingest-files.ts` loops over
 * local files. The vocabulary every room shares lives here too: errors (`errors.ts`), object
 * ids and lake keys (`identity.ts`), run options (`options.ts`), the package version
 * (`version.ts`). The run imports no format extension: those reach it as `ObjectHook`s.
 *
 * One source object in, Parquet partitions + rejected lines + a manifest out. This is the one
 * entry point the CLI and the Lambda worker share (through `pipeline/index.ts`, which wires the
 * format hooks in): open → decompress → route → frame → parse →
 * partition by (source, dt) → write → replace the previous run's outputs → manifest.
 */
import type { RejectReason, SkipReason } from '../../schema/index.js';
import type { Parser } from '../../parsers/index.js';
import { SUPERSEDED_CONTINUATION, continuationMismatch, settleRun } from './continuation.js';
import { afterCompleteMember, decompress, salvageGzip, type ByteCounter, type Compression, type ContentChunk } from '../decode/decompress.js';
import { ErrorsWriter } from './errors-writer.js';
import { LoglakeError, ObjectError } from './errors.js';
import type { CutFrame, Framer, FrameSink } from '../framing/framing.js';
import { framerFor } from '../framing/parse-frame.js';
import {
  DayFormatter,
  accountRegionFromKey,
  accountRegionSegment,
  dayFromKey,
  errorsKey,
  lakeKey,
  manifestKey,
  objectId,
} from './identity.js';
import { parseManifest, serializeManifest, type Damage, type Manifest, type ObjectStatus, type PartitionOutput, type ResumePoint } from './manifest.js';
import type { PipelineOptions } from './options.js';
import { ParquetFileWriter, ROW_GROUP_CHARS } from '../parquet/parquet-writer.js';
import { DEFAULT_REGISTRY, HEAD_BYTES, routeByContent, routeByKey, type Pin, type Registry, type Route } from '../route/route.js';
import { objectUri, type LakeSink, type ObjectRef, type ObjectSource, type OpenedObject, type OutputFile } from '../storage/storage.js';
import { decodeVisible } from '../decode/utf8.js';
import { ContentHash } from './content-hash.js';
import { BATCH_CHARS, BatchBuilder, type FrameBatch } from '../threads/batch.js';
import { BatchProcessor, type BatchJob, type BatchResult } from '../threads/process-batch.js';
import { sharedPool, type ThreadPool } from '../threads/pool.js';

export { SELF_USER_AGENT_MARK } from '../threads/process-batch.js';

export interface ProcessDeps {
  readonly source: ObjectSource;
  readonly sink: LakeSink;
  readonly options: PipelineOptions;
  readonly registry?: Registry;
  /**
   * Pins a format or ignores the object before key patterns decide (user rules, replay and
   * continuation messages); null to fall through.
   */
  readonly rule?: (ref: ObjectRef) => Pin | null;
  /** Clock, injectable for tests. @default Date.now */
  readonly now?: () => number;
  /** `createdBy` written into Parquet footers. */
  readonly createdBy?: string;
  /**
   * Continue a `partial` run: frames up to `resume.ordinal` are skipped (header frames still
   * rebuild parser state) and outputs are numbered from `resume.part`. The run does nothing and
   * reports `ignored` / `superseded_continuation` unless the object's manifest is the partial one
   * this point came from. @default a fresh run from the first frame, part 0
   */
  readonly resume?: ResumePoint;
  /**
   * Asked between chunks, once the run has made progress: true closes the open parts and ends
   * the run with a `partial` manifest whose `resume` says where to continue (Lambda deadline).
   * @default never yield
   */
  readonly shouldYield?: () => boolean;
  /**
   * Told the records of the object so far, between chunks as batches are applied (progress on a
   * large object), and once more with the run's total when its last batches are applied.
   */
  readonly onRecords?: (records: number) => void;
  /**
   * Format extensions that run around the processing of each object (see `ObjectHook`), first
   * one outermost. The core knows none by name: the front door (`pipeline/index.ts`) wires the
   * format extensions of `pipeline/formats/`. @default none
   */
  readonly hooks?: readonly ObjectHook[];
  /** The worker threads batches run on when `options.threads` > 1. @default the process's pool of that many */
  readonly threadPool?: ThreadPool;
  /**
   * Hash the uncompressed content of CloudTrail log objects into the manifest (`sha256`), for
   * integrity validation (`content-hash.ts`). Off only to measure what it costs. @default true
   */
  readonly hashContent?: boolean;
}

/** Processes one object: the core run, or the core run wrapped by the hooks after the current one. */
export type ProcessOne = (ref: ObjectRef, deps: ProcessDeps) => Promise<ObjectReport>;

/**
 * A format extension: behaviour some format needs around the run of an object that the core
 * does not know about (CUR report versions staged and published whole, for one). `around` is
 * called for every object; it passes an object it does not claim straight to `next`, and may
 * run `next` with other deps (a staging sink) or change the report it returns.
 */
export interface ObjectHook {
  /** Names the extension in errors and tests. */
  readonly name: string;
  around(ref: ObjectRef, deps: ProcessDeps, next: ProcessOne): Promise<ObjectReport>;
}

/** The outcome of one object: its manifest, plus the error object for callers that log it. */
export interface ObjectReport {
  readonly manifest: Manifest;
  readonly error: LoglakeError | null;
}

interface Partition {
  readonly dt: string;
  readonly key: string;
  readonly writer: ParquetFileWriter;
}

/**
 * Rows and text buffered across ALL open partitions of one object, flushed largest first once
 * exceeded. Per-file row-group limits alone let memory grow with the number of days an object
 * spans (a CUR keeps 31 days open, a Config snapshot hundreds): this keeps it at about one row
 * group's worth whatever that number.
 */
const SPILL_CHARS = ROW_GROUP_CHARS;

/**
 * Rejected text held back while no record has said the object's day; past this it is written
 * under the key's or the clock's day, so an object of nothing but bad lines stays in bounded memory.
 */
const MAX_PENDING_REJECT_CHARS = 4 * 1024 * 1024;

/** Runs the batches of one object run: in worker threads, or on the main thread. */
interface BatchRunner {
  run(job: BatchJob, batch: FrameBatch): Promise<BatchResult>;
  /** Batches the run keeps in flight before it waits for the oldest. */
  readonly inFlight: number;
}

/**
 * Worker threads run the batches when the options ask for more than one thread and the parser
 * is one a worker thread can find (the default registry's). Otherwise the main thread runs them
 * through the same code, one in flight while it frames the next: parsing is synchronous, and
 * the previous batch's pages compress on libuv's thread pool meanwhile.
 */
function runnerFor(parser: Parser, options: PipelineOptions, threadPool: ThreadPool | undefined): BatchRunner {
  if (options.threads > 1 && DEFAULT_REGISTRY.parsers.includes(parser)) {
    const pool = threadPool ?? sharedPool(options.threads);
    // Two per thread, so a thread does not wait for its next batch while the main thread applies one.
    return { run: (job, batch) => pool.run(job, batch), inFlight: 2 * options.threads };
  }
  return { run: (job, batch) => new BatchProcessor(parser, job, batch, BATCH_CHARS).run(), inFlight: 1 };
}

/**
 * Holds the state of one run over one object. `FrameSink` is the hot path: it counts frames,
 * keeps the parser state a batch starts from (header hooks run here on every frame, as a
 * continuation's replay does) and cuts batches; batch results are applied in batch order, so
 * partitions, row groups and `errors/` lines are the same whichever thread parsed them.
 */
class ObjectRun implements FrameSink {
  linesIn = 0;
  records = 0;
  rejected = 0;
  skipped = 0;
  invalidUtf8 = 0;
  /** Frames the parser flagged with fields its version does not know. */
  drift = 0;
  readonly rejectedBy: Partial<Record<RejectReason, number>> = {};
  readonly skippedBy: Partial<Record<SkipReason, number>> = {};
  readonly partitions = new Map<string, Partition>();
  readonly full: Partition[] = [];
  private bufferedRows = 0;
  private bufferedChars = 0;
  errors: ErrorsWriter | null = null;
  errorsKey: string | null = null;
  private errorsOpening: Promise<void> | null = null;
  private readonly pendingRejects: Array<Parameters<ErrorsWriter['add']>[0]> = [];
  private pendingRejectChars = 0;
  /** The parser state after the frames framed so far. */
  private state: unknown;
  private entry: string | null = null;
  /** Values that did not fit their typed column and were kept in `fields`, by column. */
  readonly invalidValues: Record<string, number> = {};
  /** Day of the object's first record (carried over from earlier runs); names the errors partition. */
  firstDt: string | null;
  private readonly keyAccount: string | null;
  private readonly keyRegion: string | null;
  /** Frames up to this ordinal were processed by the runs this one continues. */
  private readonly resumeAfter: number;
  /** Part number of every output this run writes. */
  private readonly part: number;
  private readonly job: BatchJob;
  private readonly runner: BatchRunner;
  private batch: BatchBuilder | null = null;
  /** Batches cut so far in this run. */
  private batchesCut = 0;
  /** Batches cut and not applied yet, oldest first. */
  private readonly inFlight: Array<Promise<BatchResult>> = [];

  constructor(
    readonly parser: Parser,
    private readonly uri: string,
    private readonly id: string,
    private readonly ref: ObjectRef,
    private readonly deps: ProcessDeps,
    now: number,
  ) {
    this.state = parser.createState?.();
    this.resumeAfter = deps.resume?.ordinal ?? 0;
    this.firstDt = deps.resume?.first_dt ?? null;
    this.part = deps.resume?.part ?? 0;
    const fromKey = accountRegionFromKey(ref.key);
    this.keyAccount = fromKey.account;
    this.keyRegion = fromKey.region;
    const { keepRaw, keepSelfTraffic, maxRejectRawBytes, codec, rowGroupRows } = deps.options;
    this.job = { parserId: parser.id, uri, objectId: id, keyAccount: this.keyAccount, keyRegion: this.keyRegion, now, options: { keepRaw, keepSelfTraffic, maxRejectRawBytes, codec, rowGroupRows } };
    this.runner = runnerFor(parser, deps.options, deps.threadPool);
  }

  /** A new archive entry restarts per-file parser state (W3C `#Fields`, CSV headers). */
  resetState(entry: string | null): void {
    this.cut(false);
    this.state = this.parser.createState?.();
    this.entry = entry;
  }

  /** The open batch; a new one starts from a copy of the state, which the frames after it change. */
  private open(): BatchBuilder {
    this.batch ??= new BatchBuilder(this.linesIn, structuredClone(this.state), this.entry);
    return this.batch;
  }

  frame(text: string, invalidUtf8: boolean, cells?: readonly string[]): void {
    const ordinal = ++this.linesIn;
    if (ordinal > this.resumeAfter) this.open().frame(text, invalidUtf8, cells);
    this.header(text, cells);
    if (ordinal > this.resumeAfter) this.cutWhenFull();
  }

  reject(reason: RejectReason, raw: string, detail: string): void {
    const ordinal = ++this.linesIn;
    if (ordinal <= this.resumeAfter) return;
    this.open().reject(reason, raw, detail);
    this.cutWhenFull();
  }

  /** Runs the header hook over a frame, to know the state the next batch starts from. */
  private header(text: string, cells: readonly string[] | undefined): void {
    if (text.length === 0) return;
    const parser = this.parser;
    try {
      if (parser.framing === 'lines') parser.header?.(text, this.state);
      else if (parser.framing === 'csv') parser.header(cells ?? [text], this.state);
    } catch {
      // The batch meets the same exception on this frame and records it.
    }
  }

  private cutWhenFull(): void {
    const batch = this.batch as BatchBuilder;
    if (batch.entries >= this.deps.options.rowGroupRows || batch.chars >= BATCH_CHARS) this.cut(false);
  }

  /** Sends the open batch off; `last` when the run ends with it. */
  private cut(last: boolean): void {
    const batch = this.batch;
    this.batch = null;
    if (batch === null || batch.entries === 0) return;
    // Only the run's one batch is `final`: the last of several would make row groups of its few
    // rows of a day whose file holds (or parked) rows of the batches before it.
    const final = last && this.batchesCut === 0;
    this.batchesCut++;
    const result = this.runner.run(this.job, batch.build(final));
    // a failure surfaces when the batch is applied; until then it must not be unhandled
    result.catch(() => undefined);
    this.inFlight.push(result);
  }

  /** Applies finished batches until no more than the runner's bound are in flight; called between chunks. */
  async pump(now: number): Promise<void> {
    while (this.inFlight.length > this.runner.inFlight) await this.applyNext(now);
  }

  private async applyNext(now: number): Promise<void> {
    const result = await (this.inFlight[0] as Promise<BatchResult>);
    this.inFlight.shift();
    this.records += result.records;
    this.rejected += result.rejected;
    this.skipped += result.skipped;
    this.invalidUtf8 += result.invalidUtf8;
    this.drift += result.drift;
    addCounts(this.rejectedBy, result.rejectedBy);
    addCounts(this.skippedBy, result.skippedBy);
    addCounts(this.invalidValues, result.invalidValues);
    for (const r of result.rejects) {
      this.pendingRejects.push({ object: this.uri, ordinal: r.ordinal, reason: r.reason, detail: r.detail, raw: r.raw });
      this.pendingRejectChars += r.raw.length + r.detail.length;
    }
    this.firstDt ??= result.firstDt;
    for (const piece of result.pieces) {
      const partition = this.partitions.get(piece.dt) ?? this.openPartition(piece.dt, piece.account, piece.region);
      if (piece.group !== null) {
        // Rows the partition holds from earlier batches (parked ones too) go first, as the row
        // group before this one.
        const { bufferedRows, bufferedChars } = partition.writer;
        await partition.writer.appendRowGroup(piece.group);
        this.bufferedRows -= bufferedRows;
        this.bufferedChars -= bufferedChars;
        continue;
      }
      for (const values of piece.rows ?? []) {
        this.bufferedChars += partition.writer.addValues(values);
        this.bufferedRows++;
        if (partition.writer.full) this.full.push(partition);
      }
    }
    await this.drain(now);
  }

  /** Queues the partitions holding the most rows for a flush until the buffers are half empty. */
  private spill(): void {
    const open = [...this.partitions.values()].filter((p) => p.writer.bufferedRows > 0).sort((a, b) => b.writer.bufferedChars - a.writer.bufferedChars);
    let rows = this.bufferedRows;
    let chars = this.bufferedChars;
    for (const p of open) {
      if (rows <= this.deps.options.rowGroupRows / 2 && chars <= SPILL_CHARS / 2) break;
      this.full.push(p);
      rows -= p.writer.bufferedRows;
      chars -= p.writer.bufferedChars;
    }
  }

  private openPartition(dt: string, account: string | null, region: string | null): Partition {
    const key = lakeKey(this.parser.source, dt, accountRegionSegment(this.keyAccount ?? account, 'unknown'), accountRegionSegment(this.keyRegion ?? region, 'unknown'), this.id, this.part);
    const writer = new ParquetFileWriter(new DeferredOutput(this.deps.sink, key), {
      codec: this.deps.options.codec,
      rowGroupRows: this.deps.options.rowGroupRows,
      createdBy: this.deps.createdBy ?? 'loglake',
      stamp: { object: this.uri, objectId: this.id, ingestedAt: this.job.now, parserVersion: `${this.parser.id}@${this.parser.version}` },
    });
    const partition = { dt, key, writer };
    this.partitions.set(dt, partition);
    return partition;
  }

  /** Writes out (or parks) the rows a partition holds in memory. */
  private async write(p: Partition): Promise<void> {
    const rows = p.writer.bufferedRows;
    const chars = p.writer.bufferedChars;
    if (rows === 0) return;
    // A full file writes its row group; a day spilled for memory parks small remainders on disk.
    if (p.writer.full) await p.writer.flush();
    else await p.writer.release();
    this.bufferedRows -= rows;
    this.bufferedChars -= chars;
  }

  /** Writes out full row groups and queued rejections; called after each batch, never per line. */
  private async drain(now: number, final = false): Promise<void> {
    if (this.bufferedRows >= this.deps.options.rowGroupRows || this.bufferedChars >= SPILL_CHARS) this.spill();
    while (this.full.length > 0) await this.write(this.full.pop() as Partition);
    // Rejections wait for the first record's day, so their partition does not depend on where
    // reads or hand-overs cut the object; an object of rejections only waits a bounded while.
    const waitForDay = this.firstDt === null && !final && this.pendingRejectChars < MAX_PENDING_REJECT_CHARS;
    if (this.pendingRejects.length > 0 && !waitForDay) {
      if (this.errors === null) {
        this.errorsOpening ??= this.openErrors(now);
        await this.errorsOpening;
      }
      const errors = this.errors as ErrorsWriter | null;
      for (const r of this.pendingRejects) errors?.add(r);
      this.pendingRejects.length = 0;
      this.pendingRejectChars = 0;
    }
  }

  private async openErrors(now: number): Promise<void> {
    const dt = this.firstDt ?? dayFromKey(this.ref.key) ?? new Date(now).toISOString().slice(0, 10);
    this.errorsKey = errorsKey(this.parser.source, dt, this.id, this.part);
    this.errors = new ErrorsWriter(await this.deps.sink.create(this.errorsKey));
  }

  /** Cuts the last batch, applies every batch in flight and closes the outputs. */
  async close(now: number): Promise<PartitionOutput[]> {
    this.cut(true);
    while (this.inFlight.length > 0) await this.applyNext(now);
    await this.drain(now, true);
    const outputs: PartitionOutput[] = [];
    for (const p of this.partitions.values()) {
      const bytes = await p.writer.close();
      outputs.push({ source: this.parser.source, dt: p.dt, key: p.key, rows: p.writer.rows, bytes });
    }
    if (this.errors) await this.errors.close();
    outputs.sort((a, b) => a.key.localeCompare(b.key));
    return outputs;
  }

  async abort(): Promise<void> {
    await Promise.allSettled(this.inFlight.splice(0));
    await Promise.allSettled([...[...this.partitions.values()].map((p) => p.writer.abort()), this.errors?.abort()]);
  }
}

/** Adds counts by key (first keys first, so merged counts list keys as one pass would). */
function addCounts<K extends string>(into: Partial<Record<K, number>>, from: Partial<Record<K, number>>): void {
  for (const k of Object.keys(from) as K[]) into[k] = (into[k] ?? 0) + (from[k] ?? 0);
}

/** Opens the sink file on the first write, so that creating a partition stays synchronous. */
class DeferredOutput {
  private file: Promise<OutputFile> | null = null;
  constructor(
    private readonly sink: LakeSink,
    private readonly key: string,
  ) {}

  private get(): Promise<OutputFile> {
    this.file ??= this.sink.create(this.key);
    return this.file;
  }

  async write(bytes: Uint8Array): Promise<void> {
    await (await this.get()).write(bytes);
  }

  async close(): Promise<void> {
    await (await this.get()).close();
  }

  async abort(): Promise<void> {
    if (this.file) await (await this.file).abort();
  }
}

interface ManifestBase {
  ref: ObjectRef;
  uri: string;
  id: string;
  opened: OpenedObject | null;
  route: Route | null;
  compression: Compression | null;
  entries: number;
  counter: ByteCounter;
  decompressed: number;
  started: number;
  /** Set when the compressed stream broke after some content was read: what was kept ends there. */
  damage: Damage | null;
  /** The content's SHA-256 as it streams, for objects CloudTrail digests list; null for others. */
  hash: ContentHash | null;
}

function buildManifest(
  base: ManifestBase,
  status: ObjectStatus,
  reason: string | null,
  error: string | null,
  run: ObjectRun | null,
  outputs: readonly PartitionOutput[],
  errorsOutput: string | null,
  finished: number,
): Manifest {
  const route = base.route;
  return {
    manifest_version: 1,
    object: base.uri,
    object_id: base.id,
    bucket: base.ref.bucket,
    key: base.ref.key,
    version_id: base.opened?.versionId ?? base.ref.versionId ?? null,
    etag: base.opened?.etag ?? base.opened?.etagAfterRead?.() ?? null,
    source: route?.kind === 'parse' ? route.parser.source : null,
    parser_id: route?.kind === 'parse' ? route.parser.id : null,
    parser_version: route?.kind === 'parse' ? `${route.parser.id}@${route.parser.version}` : null,
    routed_by: route && route.kind !== 'unknown' ? route.by : null,
    status,
    reason,
    error,
    compression: base.compression,
    entries: base.entries,
    bytes_in: base.counter.bytes,
    bytes_decompressed: base.decompressed,
    lines_in: run?.linesIn ?? 0,
    records: run?.records ?? 0,
    rejected: run?.rejected ?? 0,
    skipped: run?.skipped ?? 0,
    rejected_by_reason: run?.rejectedBy ?? {},
    skipped_by_reason: run?.skippedBy ?? {},
    invalid_utf8_lines: run?.invalidUtf8 ?? 0,
    outputs,
    errors_output: errorsOutput,
    started_at: new Date(base.started).toISOString(),
    finished_at: new Date(finished).toISOString(),
    duration_ms: finished - base.started,
    object_last_modified: base.opened?.lastModifiedMs !== undefined ? new Date(base.opened.lastModifiedMs).toISOString() : null,
    schema_drift: run?.drift ?? 0,
    invalid_values: run?.invalidValues ?? {},
    damage: base.damage,
    ...(base.hash !== null ? base.hash.fields(status, base.damage?.reason ?? null) : {}),
  };
}

function manifestSource(route: Route | null): string {
  if (route?.kind === 'parse') return route.parser.source;
  if (route?.kind === 'ignore') return route.name;
  return 'unknown';
}

/** Codes of a compressed stream that broke after it began to decode. */
const DAMAGE_CODES: ReadonlySet<string> = new Set(['truncated_gzip', 'corrupt_gzip', 'corrupt_archive']);

function isDamage(e: unknown): e is ObjectError {
  return e instanceof ObjectError && DAMAGE_CODES.has(e.code);
}

/**
 * The decompressed content of an opened object. When `node:zlib` stops on damage in a gzip
 * object, the object is read again and a second decoder (`salvageGzip`) recovers what zlib
 * decoded but did not hand out; the damage that ends the salvage is thrown after that content.
 * The first damage stands when the object cannot be read again unchanged.
 */
async function* contentOf(ref: ObjectRef, base: ManifestBase, deps: ProcessDeps, opened: OpenedObject): AsyncGenerator<ContentChunk> {
  let delivered = 0;
  try {
    for await (const chunk of decompress(opened.body, base.uri, base.counter, (c) => (base.compression = c))) {
      delivered += chunk.data.byteLength;
      yield chunk;
    }
    return;
  } catch (e) {
    if (!isDamage(e) || base.compression !== 'gzip') throw e;
    const pinned: ObjectRef = opened.versionId !== undefined ? { ...ref, versionId: opened.versionId } : ref;
    let again: OpenedObject;
    try {
      again = await deps.source.open(pinned);
    } catch {
      throw e;
    }
    if (again.etag !== undefined && opened.etag !== undefined && again.etag !== opened.etag) throw e;
    // A damage the salvage meets is thrown from here: it says where decoding really stopped.
    for await (const data of salvageGzip(again.body, delivered, base.uri)) {
      yield { data, entry: null, entryStart: delivered === 0 };
      delivered += data.byteLength;
    }
    // The second decoder read to the end (a damage only zlib checks, such as a CRC): zlib's error stands.
    throw e;
  }
}

/**
 * Merges the first chunks of the object's first entry until they hold `HEAD_BYTES` (or the
 * entry ends), so content routing sees the same head however the source's reads are cut.
 * Chunks already collected are handed out before an error is passed on.
 */
async function* headFirst(chunks: AsyncIterable<ContentChunk>): AsyncGenerator<ContentChunk> {
  let first: ContentChunk | null = null;
  let parts: Buffer[] = [];
  let size = 0;
  let collecting = true;
  const merged = (): ContentChunk => {
    const head = first as ContentChunk;
    const out = { ...head, data: parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size) };
    first = null;
    parts = [];
    collecting = false;
    return out;
  };
  try {
    for await (const chunk of chunks) {
      if (!collecting) {
        yield chunk;
        continue;
      }
      if (first !== null && chunk.entryStart) {
        yield merged();
        yield chunk;
        continue;
      }
      first ??= chunk;
      parts.push(chunk.data);
      size += chunk.data.byteLength;
      if (size >= HEAD_BYTES) yield merged();
    }
  } catch (e) {
    if (first !== null) yield merged();
    throw e;
  }
  if (first !== null) yield merged();
}

/**
 * Processes one object end to end. Object-level problems (unreadable, corrupt, unknown format)
 * come back as a `failed` manifest; transient and unexpected errors are thrown after any
 * partial output has been discarded.
 */
export async function processObject(ref: ObjectRef, deps: ProcessDeps): Promise<ObjectReport> {
  const hooks = deps.hooks ?? [];
  const from = (i: number): ProcessOne => {
    const hook = hooks[i];
    return hook === undefined ? processSingleObject : (r, d) => hook.around(r, d, from(i + 1));
  };
  return from(0)(ref, deps);
}

/** `processObject` without the hooks: one run of the core over one object. */
function processSingleObject(ref: ObjectRef, deps: ProcessDeps): Promise<ObjectReport> {
  return new SingleObject(ref, deps).process();
}

/**
 * One run of the core over one object, in steps: check a continuation still owns the object,
 * read and parse the content entry by entry, then settle the manifest. Fields are what the
 * manifest is built from, whichever step ends the run.
 */
class SingleObject {
  private readonly now: () => number;
  private readonly registry: Registry;
  private readonly pin: Pin | null;
  private readonly base: ManifestBase;
  private run: ObjectRun | null = null;
  private framer: Framer | null = null;
  private resumeAt: ResumePoint | null = null;

  constructor(
    private readonly ref: ObjectRef,
    private readonly deps: ProcessDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.registry = deps.registry ?? DEFAULT_REGISTRY;
    this.pin = deps.rule?.(ref) ?? null;
    this.base = {
      ref,
      uri: objectUri(ref),
      id: objectId(ref),
      opened: null,
      route: routeByKey(ref.key, this.registry, this.pin),
      compression: null,
      entries: 0,
      counter: { bytes: 0 },
      decompressed: 0,
      started: this.now(),
      damage: null,
      hash: null,
    };
  }

  async process(): Promise<ObjectReport> {
    const { deps, base } = this;
    if (deps.resume !== undefined) {
      const mismatch = continuationMismatch(parseManifest(await deps.sink.get(this.manifestKey())), deps.resume);
      if (mismatch !== null) return this.superseded(mismatch);
    }
    if (base.route?.kind === 'ignore') return this.finish('ignored', base.route.name, null, [], null);
    try {
      return await this.read();
    } catch (e) {
      await this.run?.abort();
      if (e instanceof ObjectError && e.code === 'object_changed' && deps.resume !== undefined) return this.superseded(e.message);
      if (e instanceof ObjectError) return this.finish('failed', e.code, e, [], null);
      throw e;
    }
  }

  /** Reads the object to its end, its damage or the deadline, and writes what it parsed. */
  private async read(): Promise<ObjectReport> {
    const { deps, base } = this;
    const opened = await deps.source.open(this.ref);
    base.opened = opened;
    const chunks = headFirst(contentOf(this.ref, base, deps, opened));
    for (;;) {
      let next: IteratorResult<ContentChunk>;
      try {
        next = await chunks.next();
      } catch (e) {
        this.stopAtDamage(e, opened);
        break;
      }
      if (next.done === true) break;
      const chunk = next.value;
      if (chunk.entryStart) {
        const ignorable = this.startEntry(chunk);
        if (ignorable !== null) return await this.finish('ignored', ignorable, null, [], null);
        base.hash ??= ContentHash.forRoute(base.route, deps.hashContent !== false);
        base.hash?.entry(chunk.entry);
      }
      base.decompressed += chunk.data.byteLength;
      base.hash?.update(chunk.data);
      (this.framer as Framer).push(chunk.data);
      if (this.run !== null) {
        await this.run.pump(base.started);
        this.deps.onRecords?.(this.run.records);
      }
      if (this.deadlineReached(opened)) break;
    }
    if (this.resumeAt === null) this.framer?.end();
    if (base.compression === 'empty' && base.route === null) {
      base.route = { kind: 'unknown' };
    }
    const run = this.run;
    if (run === null) {
      // Zero-length object, or an archive with only empty entries: nothing to parse, nothing lost.
      return await this.finish('ok', 'empty', null, [], null);
    }
    const outputs = await run.close(base.started);
    // Batches are applied (and their records counted) in `pump` only past the runner's bound in
    // flight, so the last ones — all of a small object's — count here: progress ends at the total.
    deps.onRecords?.(run.records);
    // The first record's day may be in a batch applied only by `close`: the continuation carries
    // it as the run has it now, as an uninterrupted run would have it past this point.
    if (this.resumeAt !== null) this.resumeAt = { ...this.resumeAt, first_dt: run.firstDt };
    const status: ObjectStatus = this.resumeAt !== null ? 'partial' : base.damage !== null ? 'damaged' : 'ok';
    return await this.finish(status, base.damage?.reason ?? null, null, outputs, run.errorsKey);
  }

  /**
   * S3 objects never change: damage read once is read on every retry. Keeps what decoded before
   * it, rejects the frame it cut, and says in the manifest what was left unread. Anything else,
   * or damage before any content, is thrown on.
   */
  private stopAtDamage(e: unknown, opened: OpenedObject): void {
    const { run, framer, base } = this;
    if (run === null || framer === null || !isDamage(e)) throw e;
    base.damage = { reason: e.code, detail: e.message, compressed_bytes_unread: opened.size !== undefined ? Math.max(0, opened.size - base.counter.bytes) : null };
    let cut: CutFrame | null = null;
    if (afterCompleteMember(e)) framer.end();
    else cut = framer.abandon();
    if (cut !== null) run.reject('damaged_input', cut.text, `${cut.bytes} bytes cut off by the damage: ${e.message}`);
    this.framer = null;
  }

  /**
   * Starts an entry (the object itself, or one archive member): the first routes by content when
   * the key did not, and starts the run. Returns the ignorable's name when the content routes
   * to one, else null.
   */
  private startEntry(chunk: ContentChunk): string | null {
    const base = this.base;
    const uri = base.uri;
    base.entries++;
    this.framer?.end();
    if (this.run === null) {
      if (base.route === null) {
        const head = decodeVisible(chunk.data, 0, Math.min(chunk.data.byteLength, HEAD_BYTES)).text;
        base.route = routeByContent(head, this.registry, this.pin);
      }
      if (base.route.kind === 'ignore') return base.route.name;
      if (base.route.kind === 'unknown') {
        throw new ObjectError('unknown_format', `${uri}: no format matches the key or the first bytes ${JSON.stringify(chunk.data.subarray(0, 60).toString('utf8'))}`);
      }
      this.run = new ObjectRun(base.route.parser, uri, base.id, this.ref, this.deps, base.started);
    }
    this.run.resetState(chunk.entry);
    this.framer = framerFor(this.run.parser, this.run, this.deps.options, chunk.entry ? `${uri}#${chunk.entry}` : uri);
    return null;
  }

  /**
   * True when the invocation must hand over and this run has made progress past where it began;
   * sets the resume point. Frames up to `linesIn` are complete; a partial last line is re-read
   * by the continuation.
   */
  private deadlineReached(opened: OpenedObject): boolean {
    const { run, deps } = this;
    const unread = opened.size === undefined || this.base.counter.bytes < opened.size;
    if (run === null || !unread || run.linesIn <= (deps.resume?.ordinal ?? 0) || deps.shouldYield?.() !== true) return false;
    // first_dt is set again once the batches in flight are applied (`read`).
    this.resumeAt = { ordinal: run.linesIn, part: (deps.resume?.part ?? 0) + 1, first_dt: run.firstDt };
    return true;
  }

  private manifestKey(): string {
    return manifestKey(manifestSource(this.base.route), this.base.id);
  }

  /** Writes the manifest of the run (and deletes what a previous run left that this one replaces). */
  private async finish(status: ObjectStatus, reason: string | null, error: LoglakeError | null, outputs: PartitionOutput[], errorsOutput: string | null): Promise<ObjectReport> {
    const { deps } = this;
    const mKey = this.manifestKey();
    const previous = parseManifest(await deps.sink.get(mKey));
    let kept = outputs;
    let keptErrors = errorsOutput;
    if (status === 'failed' && previous) {
      // A failed run wrote nothing: the previous run's outputs are still live, so keep listing them.
      kept = [...previous.outputs];
      keptErrors = previous.errors_output;
    }
    const built = buildManifest(this.base, status, reason, error?.message ?? null, this.run, kept, keptErrors, this.now());
    const { manifest, stale } = settleRun(built, previous, deps.resume ?? null, this.resumeAt);
    await deps.sink.put(mKey, serializeManifest(manifest));
    if (stale.length > 0) await deps.sink.delete(stale);
    return { manifest, error };
  }

  /** A continuation whose chain was completed, restarted or changed writes nothing: the newer run owns the object. */
  private superseded(why: string): ObjectReport {
    return {
      manifest: buildManifest(this.base, 'ignored', SUPERSEDED_CONTINUATION, why, null, [], null, this.now()),
      error: null,
    };
  }
}
