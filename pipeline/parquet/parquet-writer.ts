/**
 * Room `pipeline/parquet/`: rows → Parquet files. `parquet-encoding.ts` encodes columns and
 * pages; `parquet-writer.ts` assembles row groups and the footer and is the one module of the
 * project that imports `hyparquet-writer` internals.
 *
 * Writes `events` rows to one Parquet file, a row group at a time, streaming each finished row
 * group to an `OutputFile`. Rows are staged as column arrays and encoded a batch at a time; a
 * row group closes at `rowGroupRows` rows or about `ROW_GROUP_CHARS` of text, so memory is
 * bounded by the row group, not by the object. Pages are compressed on libuv's thread pool while the caller parses the next
 * rows, which puts the second core to work.
 */
import { open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { ByteWriter } from 'hyparquet-writer';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import { snappyCompress } from 'hyparquet-writer/src/snappy.js';
import type { ColumnChunk, RowGroup } from 'hyparquet';
import { COLUMNS, parquetSchema, type ColumnName, type EventFields, type EventRow } from '../../schema/index.js';
import type { ParquetCodec } from '../run/options.js';
import { recordId } from '../run/identity.js';
import { RowGroupEncoder, type EncodedChunk, type RawPage } from './parquet-encoding.js';
import type { OutputFile } from '../storage/storage.js';

/**
 * A row group closes once its buffered text reaches about this many characters (24 Mi). The run
 * also bounds all open partitions of an object together by it, so one object holds about one
 * row group's worth of text whatever the number of days it spans.
 */
export const ROW_GROUP_CHARS = 24 * 1024 * 1024;

/**
 * The size guess of a row, in characters. `raw` dominates the text of a row and the parsed
 * fields mostly repeat it, so a row counts as twice its raw text plus a fixed allowance for the
 * columns that do not; a row without raw text counts as a typical line.
 */
const ROW_CHARS_PER_RAW_CHAR = 2;
const ROW_CHARS_BESIDES_RAW = 256;
const ROW_CHARS_WITHOUT_RAW = 1024;

type Compress = (input: Uint8Array) => Promise<Uint8Array>;

/**
 * Pages compressing at once, across all writers of the process. Each in-flight async gzip holds
 * its own native zlib state (~256 KiB), and an object that keeps hundreds of day partitions open
 * (a Config snapshot, a CUR) flushes hundreds of row groups together: unbounded, that is GiBs
 * of native memory outside the V8 heap. Four times the default thread pool keeps it busy.
 */
const MAX_COMPRESSING = 16;
let compressing = 0;
const waiting: Array<() => void> = [];

/** `compress` behind the process-wide limit; a finished page hands its slot to the next waiting one. */
function limited(compress: Compress): Compress {
  return async (input) => {
    if (compressing < MAX_COMPRESSING) compressing++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await compress(input);
    } finally {
      const next = waiting.shift();
      if (next) next();
      else compressing--;
    }
  };
}

/**
 * Encoded row groups waiting for compression or writing, across all writers of the process. An
 * object with many open days flushes many files in a row; each holds its encoded pages until
 * written, so without a shared bound memory grows with the number of days.
 */
const MAX_INFLIGHT_BYTES = 64 * 1024 * 1024;
let inflightBytes = 0;
let byteWaiters: Array<() => void> = [];

/** Waits until `n` more bytes fit under the bound (a group alone always fits). */
async function reserveBytes(n: number): Promise<void> {
  while (inflightBytes > 0 && inflightBytes + n > MAX_INFLIGHT_BYTES) {
    await new Promise<void>((resolve) => byteWaiters.push(resolve));
  }
  inflightBytes += n;
}

function releaseBytes(n: number): void {
  inflightBytes -= n;
  const waiting = byteWaiters;
  byteWaiters = [];
  for (const wake of waiting) wake();
}

const gzip = promisify(zlib.gzip);
/**
 * Level 3, not zlib's default 6: on our encoded pages it measured 1.7–2.5x the speed of level 6
 * for files 9–12 % larger (bench/writer.bench.ts). The whole path keeps both cores busy, so
 * compression time is taken from parsing; this matters on Node 20 only, as newer runtimes
 * write ZSTD.
 */
export const GZIP_LEVEL = 3;
/**
 * Level 1, not zstd's default 3: on our encoded pages (Node 24, bench/writer.bench.ts) it ran
 * 1.6–1.8x the speed of level 3 and wrote files no larger (CloudTrail 5.1 vs 5.4 MiB, ALB 2.6 vs
 * 2.7 MiB of pages); levels 6 and 9 save 5–10 % more at a third of the speed or less.
 */
export const ZSTD_LEVEL = 1;
type ZstdAsync = (b: Uint8Array, opts: { params: Record<number, number> }, cb: (e: Error | null, r: Buffer) => void) => void;
const zstdCompress = (zlib as unknown as { zstdCompress?: ZstdAsync }).zstdCompress;
/** `zlib.constants.ZSTD_c_compressionLevel` where this Node.js has zstd. */
const ZSTD_C_COMPRESSION_LEVEL = (zlib.constants as unknown as Record<string, number | undefined>).ZSTD_c_compressionLevel;

/** Async codecs run on the thread pool; snappy has no native binding here and runs inline. */
function compressorFor(codec: ParquetCodec): Compress {
  switch (codec) {
    case 'GZIP':
      return (input) => gzip(input, { level: GZIP_LEVEL });
    case 'ZSTD': {
      if (!zstdCompress || ZSTD_C_COMPRESSION_LEVEL === undefined) throw new Error('zstd is not available in this Node.js build');
      const zstd = promisify(zstdCompress);
      const opts = { params: { [ZSTD_C_COMPRESSION_LEVEL]: ZSTD_LEVEL } };
      return (input) => zstd(input, opts);
    }
    case 'SNAPPY':
      return (input) => Promise.resolve(snappyCompress(input));
    case 'UNCOMPRESSED':
      return (input) => Promise.resolve(input);
  }
}

const SCHEMA = parquetSchema();
/** Columns a parser fills; the stamped ones are the same for every row of a file, or derived. */
const PARSED: readonly ColumnName[] = COLUMNS.filter((c) => !('stamped' in c && c.stamped)).map((c) => c.name);

type Columns = Record<ColumnName, unknown[]>;

function emptyColumns(): Columns {
  const cols = {} as Columns;
  for (const c of COLUMNS) cols[c.name] = [];
  return cols;
}

/** Identity columns every row of one output file shares, filled in at row-group time. */
export interface RowStamp {
  readonly object: string;
  /** Prefix of `record_id` (the object id); the ordinal completes it. */
  readonly objectId: string;
  readonly ingestedAt: number;
  readonly parserVersion: string;
}

export interface ParquetFileOptions {
  readonly codec: ParquetCodec;
  readonly rowGroupRows: number;
  readonly createdBy: string;
  readonly stamp: RowStamp;
}

interface CompressedPage {
  readonly raw: RawPage;
  readonly bytes: Uint8Array;
}

const MAGIC = Buffer.from('PAR1');

let parkCounter = 0;
/** Pending rows below `rowGroupRows / PARK_BELOW_FRACTION` are parked rather than written. */
const PARK_BELOW_FRACTION = 64;
/**
 * Rows staged as JavaScript values before they are encoded: enough for tight per-column loops,
 * few enough that the records die young (see parquet-encoding.ts). Never below the parking
 * threshold, so rows that may be parked are still staged, not encoded.
 */
const STAGE_ROWS = 1024;

/**
 * Rows parked on local disk (JSON lines of column values) when memory is needed back before they
 * make a row group worth writing: an object spread over hundreds of days (a Config snapshot)
 * would otherwise write row groups of a dozen rows, each holding footer metadata until close.
 */
interface Park {
  readonly path: string;
  readonly handle: FileHandle;
  rows: number;
  /** Bytes written; writes and reads use explicit positions, so truncation needs no seek. */
  bytes: number;
}

/**
 * A row as the values of `PARSED` followed by `raw` and `ordinal`: how rows are parked on disk
 * and how a worker thread hands back the few rows of a partition too small for a row group of
 * their own (pipeline/threads/); both come back in through `addValues`.
 */
export type RowValues = unknown[];

/** The size guess of a row of `raw` text, in characters (see `ROW_CHARS_PER_RAW_CHAR`). */
export function rowChars(raw: string | null): number {
  return raw ? raw.length * ROW_CHARS_PER_RAW_CHAR + ROW_CHARS_BESIDES_RAW : ROW_CHARS_WITHOUT_RAW;
}

/** A parsed record as `RowValues`. */
export function rowValues(record: EventFields, raw: string | null, ordinal: number): RowValues {
  const row = record as Partial<EventRow>;
  const values: RowValues = new Array<unknown>(PARSED.length + 2);
  for (let i = 0; i < PARSED.length; i++) values[i] = row[PARSED[i] as ColumnName] ?? null;
  values[PARSED.length] = raw;
  values[PARSED.length + 1] = ordinal;
  return values;
}

/**
 * The rows of one row group under construction: staged as column arrays, encoded a batch at a
 * time, stamped with the file's identity columns. A file writer keeps one; a worker thread
 * builds the row groups of its batch with one each (`RowGroupBuilder`).
 */
class RowStage {
  private columns: Columns = emptyColumns();
  /** Rows in `columns`, not yet encoded. */
  private staged = 0;
  private readonly stageRows: number;
  readonly encoder = new RowGroupEncoder();
  /** Rows of the current row group: staged plus encoded. */
  pending = 0;
  pendingChars = 0;

  constructor(
    private readonly stamp: RowStamp,
    rowGroupRows: number,
  ) {
    this.stageRows = Math.max(Math.ceil(rowGroupRows / PARK_BELOW_FRACTION), Math.min(STAGE_ROWS, rowGroupRows));
  }

  add(record: EventFields, raw: string | null, ordinal: number): number {
    const cols = this.columns;
    const row = record as Partial<EventRow>;
    for (let i = 0; i < PARSED.length; i++) {
      const name = PARSED[i] as ColumnName;
      cols[name].push(row[name] ?? null);
    }
    cols.raw.push(raw);
    cols.ordinal.push(ordinal);
    return this.added(raw);
  }

  addValues(values: RowValues): number {
    const cols = this.columns;
    for (let j = 0; j < PARSED.length; j++) cols[PARSED[j] as ColumnName].push(values[j] ?? null);
    const raw = (values[PARSED.length] ?? null) as string | null;
    cols.raw.push(raw);
    cols.ordinal.push(values[PARSED.length + 1]);
    return this.added(raw);
  }

  private added(raw: string | null): number {
    this.pending++;
    if (++this.staged >= this.stageRows) this.encodeStaged();
    const chars = rowChars(raw);
    this.pendingChars += chars;
    return chars;
  }

  /** Encodes the staged rows into the row group under construction. */
  private encodeStaged(): void {
    if (this.staged === 0) return;
    const columns = this.columns;
    this.stampColumns(columns, this.staged);
    this.encoder.append(columns, this.staged);
    this.columns = emptyColumns();
    this.staged = 0;
  }

  /** Fills the stamped columns of a row group: constants, and record ids from ordinals. */
  private stampColumns(columns: Columns, rows: number): void {
    const { object, objectId, ingestedAt, parserVersion } = this.stamp;
    columns.object = new Array<string>(rows).fill(object);
    columns.ingested_at = new Array<number>(rows).fill(ingestedAt);
    columns.parser_version = new Array<string>(rows).fill(parserVersion);
    const ordinals = columns.ordinal as number[];
    columns.record_id = ordinals.map((o) => recordId(objectId, o));
  }

  /** The staged (not yet encoded) rows as values, taken off the stage. */
  takeStaged(): RowValues[] {
    const cols = this.columns;
    const rows: RowValues[] = [];
    for (let i = 0; i < this.staged; i++) {
      const values: RowValues = [];
      for (const name of PARSED) values.push(cols[name][i]);
      values.push(cols.raw[i], cols.ordinal[i]);
      rows.push(values);
    }
    this.columns = emptyColumns();
    this.pending -= this.staged;
    this.staged = 0;
    if (this.pending === 0) this.pendingChars = 0;
    return rows;
  }

  /** Encodes what is staged and returns the row group's chunks; the stage starts the next row group. */
  finish(): { chunks: EncodedChunk[]; rows: number } {
    const rows = this.pending;
    this.encodeStaged();
    this.pending = 0;
    this.pendingChars = 0;
    return { chunks: this.encoder.finish(), rows };
  }
}

/** Compresses every page of a row group's chunks. */
function compressChunks(chunks: readonly EncodedChunk[], compress: Compress): Promise<CompressedPage[][]> {
  return Promise.all(chunks.map((c) => Promise.all(c.pages.map(async (raw) => ({ raw, bytes: await compress(raw.bytes) })))));
}

/** A column chunk of an `EncodedRowGroup`: its metadata, with positions from the group's start. */
export interface PlacedChunk {
  readonly start: number;
  readonly dataOffset: number;
  readonly dictionaryOffset: number | null;
  readonly leaf: EncodedChunk['leaf'];
  readonly dictionary: boolean;
  readonly numValues: number;
  readonly nullCount: number;
  readonly min: unknown;
  readonly max: unknown;
  readonly uncompressed: number;
  readonly compressed: number;
}

/**
 * One row group encoded and compressed away from its file: the column chunks' pages (headers
 * included) back to back, positions relative to the group's start. A file places it at its
 * current end (`ParquetFileWriter.appendRowGroup`); where it was built changes no byte of it.
 */
export interface EncodedRowGroup {
  readonly rows: number;
  readonly body: Uint8Array;
  readonly chunks: readonly PlacedChunk[];
}

/** Lays out a row group's compressed pages behind their page headers. */
function assembleRowGroup(chunks: readonly EncodedChunk[], pages: readonly CompressedPage[][], rows: number): EncodedRowGroup {
  const placed: PlacedChunk[] = [];
  const parts: Uint8Array[] = [];
  const header = new ByteWriter();
  let position = 0;
  for (let c = 0; c < chunks.length; c++) {
    const chunk = chunks[c] as EncodedChunk;
    const start = position;
    let dictionaryOffset: number | null = null;
    let dataOffset: number | null = null;
    let uncompressed = 0;
    for (const page of pages[c] as CompressedPage[]) {
      header.index = 0;
      header.offset = 0;
      writePageHeader(header as never, {
        type: page.raw.kind,
        uncompressed_page_size: page.raw.bytes.byteLength,
        compressed_page_size: page.bytes.byteLength,
        ...(page.raw.kind === 'DICTIONARY_PAGE'
          ? { dictionary_page_header: { num_values: page.raw.numValues, encoding: 'PLAIN' } }
          : { data_page_header: { num_values: page.raw.numValues, encoding: page.raw.encoding, definition_level_encoding: 'RLE', repetition_level_encoding: 'RLE' } }),
      } as never);
      const head = Buffer.from(header.getBytes());
      if (page.raw.kind === 'DICTIONARY_PAGE') dictionaryOffset = position;
      else dataOffset ??= position;
      parts.push(head, page.bytes);
      position += head.byteLength + page.bytes.byteLength;
      uncompressed += head.byteLength + page.raw.bytes.byteLength;
    }
    const { leaf, dictionary, numValues, nullCount, min, max } = chunk;
    placed.push({ start, dataOffset: dataOffset ?? start, dictionaryOffset, leaf, dictionary, numValues, nullCount, min, max, uncompressed, compressed: position - start });
  }
  return { rows, body: Buffer.concat(parts, position), chunks: placed };
}

/**
 * Builds row groups away from any file, for a worker thread: the staging, encoding and
 * compression of `ParquetFileWriter`, so a row group is the same bytes wherever it was built.
 */
export class RowGroupBuilder {
  private readonly stage: RowStage;
  private readonly compress: Compress;

  constructor(stamp: RowStamp, codec: ParquetCodec, rowGroupRows: number) {
    this.stage = new RowStage(stamp, rowGroupRows);
    this.compress = limited(compressorFor(codec));
  }

  add(record: EventFields, raw: string | null, ordinal: number): number {
    return this.stage.add(record, raw, ordinal);
  }

  get rows(): number {
    return this.stage.pending;
  }

  /** Encodes and compresses the rows added as one row group. */
  async build(): Promise<EncodedRowGroup> {
    const { chunks, rows } = this.stage.finish();
    return assembleRowGroup(chunks, await compressChunks(chunks, this.compress), rows);
  }
}

/** One Parquet output file; `add` rows, `flush` when `full`, `release` under memory pressure, then `close` or `abort`. */
export class ParquetFileWriter {
  private readonly stage: RowStage;
  rows = 0;
  private offset = 0;
  private readonly rowGroups: RowGroup[] = [];
  private readonly compress: Compress;
  /** The previous row group, compressing and then writing; at most one is in flight. */
  private inflight: Promise<void> = Promise.resolve();
  private started = false;
  private park: Park | null = null;

  constructor(
    private readonly out: OutputFile,
    private readonly opts: ParquetFileOptions,
  ) {
    this.compress = limited(compressorFor(opts.codec));
    this.stage = new RowStage(opts.stamp, opts.rowGroupRows);
  }

  /**
   * Appends one parsed record with its raw text and position; missing columns are null.
   * Returns the row's estimated size in characters, the unit of `bufferedChars`.
   */
  add(record: EventFields, raw: string | null, ordinal: number): number {
    this.rows++;
    return this.stage.add(record, raw, ordinal);
  }

  /** Appends one row given as values (`RowValues`); returns its estimated size like `add`. */
  addValues(values: RowValues): number {
    this.rows++;
    return this.stage.addValues(values);
  }

  /** Rows of the current row group held in memory (staged or already encoded), not yet written or parked. */
  get bufferedRows(): number {
    return this.stage.pending;
  }

  /** Estimated characters of the rows held in memory. */
  get bufferedChars(): number {
    return this.stage.pendingChars;
  }

  /** Rows this file holds that are not written yet: in memory and parked on disk. */
  get unwritten(): number {
    return this.stage.pending + (this.park?.rows ?? 0);
  }

  /**
   * Gives the buffered rows' memory back: writes them as a row group when they are not tiny, or
   * when with the rows parked earlier they make at least half a row group; parks them on local
   * disk otherwise.
   */
  async release(): Promise<void> {
    const stage = this.stage;
    if (stage.pending === 0) return;
    // Park only what would make a tiny row group: re-reading parked rows costs more than a
    // modest row group (measured on a CUR with 31 open days: parking everything grew RSS from
    // ~420 to ~600 MiB at 256 MiB of input; a Config snapshot with 365 days needs it).
    if (this.unwritten >= this.opts.rowGroupRows / 2 || stage.pending >= this.opts.rowGroupRows / PARK_BELOW_FRACTION || stage.encoder.rows > 0) {
      await this.unpark();
      await this.flush();
      return;
    }
    const rows = stage.takeStaged();
    const lines = rows.map((values) => JSON.stringify(values));
    if (this.park === null) {
      const path = join(tmpdir(), `loglake-park-${process.pid}-${parkCounter++}.jsonl`);
      this.park = { path, handle: await open(path, 'w+'), rows: 0, bytes: 0 };
    }
    const chunk = Buffer.from(`${lines.join('\n')}\n`);
    await this.park.handle.write(chunk, 0, chunk.byteLength, this.park.bytes);
    this.park.bytes += chunk.byteLength;
    this.park.rows += rows.length;
  }

  /** Brings parked rows back into the buffer (at most half a row group of them) and empties the park. */
  private async unpark(): Promise<void> {
    const park = this.park;
    if (park === null || park.rows === 0) return;
    const { buffer } = await park.handle.read({ buffer: Buffer.alloc(park.bytes), position: 0 });
    for (const line of buffer.toString('utf8').split('\n')) {
      if (line !== '') this.stage.addValues(JSON.parse(line) as RowValues);
    }
    await park.handle.truncate(0);
    park.rows = 0;
    park.bytes = 0;
  }

  private async dropPark(): Promise<void> {
    const park = this.park;
    if (park === null) return;
    this.park = null;
    await park.handle.close().catch(() => undefined);
    await rm(park.path, { force: true });
  }

  get full(): boolean {
    return this.stage.pending >= this.opts.rowGroupRows || this.stage.pendingChars >= ROW_GROUP_CHARS;
  }

  /**
   * Encodes the buffered rows as one row group and starts compressing it; resolves once the
   * previous row group of this file has been written, so the caller parses the next rows while
   * the thread pool compresses this one. Not waiting at all measured ~10 % faster on CloudTrail
   * but let a 300 MB object in a 128 MiB heap grow RSS past its bound: memory first.
   */
  async flush(): Promise<void> {
    if (this.stage.pending === 0) return;
    const { chunks, rows } = this.stage.finish();
    let encodedBytes = 0;
    for (const c of chunks) for (const page of c.pages) encodedBytes += page.bytes.byteLength;
    await reserveBytes(encodedBytes);
    const compressed = compressChunks(chunks, this.compress);
    await this.chain(
      compressed.then((pages) => assembleRowGroup(chunks, pages, rows)),
      () => releaseBytes(encodedBytes),
    );
  }

  /**
   * Places a row group built elsewhere (a worker thread's `RowGroupBuilder`) after the rows this
   * file holds, which are written first (in memory and parked, as one row group); resolves, like
   * `flush`, once the previous row group is written.
   */
  async appendRowGroup(group: EncodedRowGroup): Promise<void> {
    await this.unpark();
    await this.flush();
    this.rows += group.rows;
    await this.chain(Promise.resolve(group), () => undefined);
  }

  /** Writes `group` once the previous row group is written; resolves when that previous one is. */
  private async chain(group: Promise<EncodedRowGroup>, done: () => void): Promise<void> {
    const previous = this.inflight;
    this.inflight = (async () => {
      try {
        const built = await group;
        await previous;
        await this.placeRowGroup(built);
      } finally {
        done();
      }
    })();
    // keep a failure from becoming an unhandled rejection; it surfaces on the next await
    this.inflight.catch(() => undefined);
    await previous;
  }

  private async write(bytes: Uint8Array): Promise<void> {
    if (!this.started) {
      this.started = true;
      await this.out.write(MAGIC);
      this.offset = MAGIC.byteLength;
    }
    await this.out.write(bytes);
    this.offset += bytes.byteLength;
  }

  /** Writes a row group's body at the end of the file and records its column chunks at their file positions. */
  private async placeRowGroup(group: EncodedRowGroup): Promise<void> {
    const groupStart = this.offset === 0 ? MAGIC.byteLength : this.offset;
    await this.write(group.body);
    let totalUncompressed = 0;
    const columns = group.chunks.map((chunk) => {
      totalUncompressed += chunk.uncompressed;
      return {
        file_offset: BigInt(groupStart + chunk.start),
        meta_data: {
          type: chunk.leaf.type,
          encodings: chunk.dictionary ? ['PLAIN', 'RLE', 'RLE_DICTIONARY'] : ['PLAIN', 'RLE'],
          path_in_schema: [...chunk.leaf.path],
          codec: this.opts.codec,
          num_values: BigInt(chunk.numValues),
          total_uncompressed_size: BigInt(chunk.uncompressed),
          total_compressed_size: BigInt(chunk.compressed),
          data_page_offset: BigInt(groupStart + chunk.dataOffset),
          ...(chunk.dictionaryOffset !== null ? { dictionary_page_offset: BigInt(groupStart + chunk.dictionaryOffset) } : {}),
          statistics: {
            null_count: BigInt(chunk.nullCount),
            ...(chunk.min !== undefined ? { min_value: chunk.min, max_value: chunk.max } : {}),
          },
        },
      };
    });
    this.rowGroups.push({
      columns,
      total_byte_size: BigInt(totalUncompressed),
      num_rows: BigInt(group.rows),
      file_offset: BigInt(groupStart),
      total_compressed_size: BigInt(this.offset - groupStart),
    } as never);
  }

  /** Writes the last row group and the footer, then publishes the file. Returns its size. */
  async close(): Promise<number> {
    await this.unpark();
    await this.dropPark();
    await this.flush();
    await this.inflight;
    const footer = new ByteWriter();
    const metadata = {
      version: 1,
      schema: SCHEMA,
      num_rows: BigInt(this.rows),
      row_groups: this.rowGroups,
      created_by: this.opts.createdBy,
    };
    // hyparquet-writer bundles its own hyparquet types; the shapes are the same.
    writeMetadata(footer as never, metadata as never);
    const meta = footer.getBytes();
    const tail = Buffer.alloc(8);
    tail.writeUInt32LE(meta.byteLength, 0);
    MAGIC.copy(tail, 4);
    await this.write(Buffer.concat([meta, tail]));
    await this.out.close();
    return this.offset;
  }

  async abort(): Promise<void> {
    await this.dropPark();
    await this.inflight.catch(() => undefined);
    await this.out.abort();
  }
}
