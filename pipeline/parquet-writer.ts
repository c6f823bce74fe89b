/**
 * Writes `events` rows to one Parquet file, a row group at a time, streaming each finished row
 * group to an `OutputFile`. Rows are accumulated as column arrays (what hyparquet-writer encodes
 * from), so memory is bounded by `rowGroupRows`, not by the object size.
 */
import { gzipSync } from 'node:zlib';
import * as zlib from 'node:zlib';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { Writer } from 'hyparquet-writer';
import { COLUMNS, parquetSchema, type ColumnName, type EventRow } from '../schema/index.js';
import type { ParquetCodec } from './options.js';
import type { OutputFile } from './storage.js';

type Compressor = (input: Uint8Array) => Uint8Array;

/** Codecs backed by node:zlib: native speed, no JavaScript compressor on the hot path. */
function compressorsFor(codec: ParquetCodec): Record<string, Compressor> {
  if (codec === 'GZIP') return { GZIP: (input) => gzipSync(input, { level: 6 }) };
  if (codec === 'ZSTD') {
    const zstd = (zlib as unknown as { zstdCompressSync?: (b: Uint8Array) => Buffer }).zstdCompressSync;
    if (!zstd) throw new Error('zstd is not available in this Node.js build');
    return { ZSTD: (input) => zstd(input) };
  }
  return {};
}

/** A ByteWriter whose flush hands each finished row group to the output and reuses the buffer. */
class StreamingByteWriter extends ByteWriter {
  written = 0;
  constructor(private readonly out: OutputFile) {
    super(1 << 20);
  }

  flush(): Promise<void> {
    const bytes = Buffer.from(new Uint8Array(this.buffer, 0, this.index));
    this.index = 0;
    this.written += bytes.byteLength;
    return this.out.write(bytes);
  }

  override finish(): Promise<void> {
    return this.flush();
  }
}

const SCHEMA = parquetSchema();
const NAMES: readonly ColumnName[] = COLUMNS.map((c) => c.name);
/** INT64 columns without a timestamp annotation: hyparquet-writer wants BigInt values there. */
const INT64_NAMES = new Set<ColumnName>(COLUMNS.filter((c) => c.type === 'bigint').map((c) => c.name));

function toInt64(values: unknown[]): Array<bigint | null> {
  const out = new Array<bigint | null>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = typeof v === 'number' ? BigInt(Math.trunc(v)) : null;
  }
  return out;
}

type Columns = { [K in ColumnName]: Array<EventRow[K] | null> };

function emptyColumns(): Columns {
  const cols = {} as Record<ColumnName, unknown[]>;
  for (const name of NAMES) cols[name] = [];
  return cols as Columns;
}

export interface ParquetFileOptions {
  readonly codec: ParquetCodec;
  readonly rowGroupRows: number;
  readonly createdBy: string;
}

/** One Parquet output file; `add` rows, `flushIfFull` between chunks, then `close` or `abort`. */
export class ParquetFileWriter {
  private columns: Columns = emptyColumns();
  private pending = 0;
  rows = 0;
  private readonly writer: StreamingByteWriter;
  private readonly parquet: ParquetWriter;

  constructor(
    private readonly out: OutputFile,
    private readonly opts: ParquetFileOptions,
  ) {
    this.writer = new StreamingByteWriter(out);
    this.parquet = new ParquetWriter({
      writer: this.writer as unknown as Writer,
      schema: SCHEMA as never,
      codec: opts.codec,
      compressors: compressorsFor(opts.codec),
      createdBy: opts.createdBy,
    });
  }

  /** Appends one row; values are read by column name, missing ones are null. */
  add(row: Partial<EventRow>): void {
    const cols = this.columns as Record<ColumnName, unknown[]>;
    for (let i = 0; i < NAMES.length; i++) {
      const name = NAMES[i] as ColumnName;
      const v = row[name];
      cols[name].push(v === undefined ? null : v);
    }
    this.pending++;
    this.rows++;
  }

  get full(): boolean {
    return this.pending >= this.opts.rowGroupRows;
  }

  /** Encodes the buffered rows as one row group and streams it out. */
  async flush(): Promise<void> {
    if (this.pending === 0) return;
    const columns = this.columns;
    const rows = this.pending;
    this.columns = emptyColumns();
    this.pending = 0;
    const columnData = NAMES.map((name) => ({ name, data: INT64_NAMES.has(name) ? toInt64(columns[name]) : (columns[name] as unknown[]) }));
    await this.parquet.write({ columnData: columnData as never, rowGroupSize: rows });
  }

  /** Writes the last row group and the footer, then publishes the file. Returns its size. */
  async close(): Promise<number> {
    await this.flush();
    await this.parquet.finish();
    await this.out.close();
    return this.writer.written;
  }

  async abort(): Promise<void> {
    await this.out.abort();
  }
}
