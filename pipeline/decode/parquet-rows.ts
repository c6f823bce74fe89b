/**
 * Parquet objects (VPC Flow Logs delivered with `FileFormat: parquet`) as content: one JSON line
 * per row, so the rest of the pipeline frames, routes, accounts for and hands over rows exactly as
 * it does NDJSON — the ordinal of a row is its line, a continuation skips rows it already wrote,
 * a rejected row keeps its JSON as raw text.
 *
 * Parquet is read from its footer, which a stream gives last: the object is spooled to a
 * temporary file as it streams (Lambda's `/tmp`, the CLI's temp folder), then read one row group
 * at a time with `hyparquet` (its columns decoded once) and handed on as JSON lines a slice of
 * rows at a time, so memory holds one row group's decoded columns — bounded by the file's
 * row-group size, not by the object's size. Column chunks are
 * decompressed with `node:zlib` (GZIP, as AWS writes them; ZSTD and Brotli where Node has them);
 * SNAPPY is hyparquet's own.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import * as zlib from 'node:zlib';
import { parquetMetadataAsync, parquetRead, parquetSchema, type AsyncBuffer, type FileMetaData } from 'hyparquet';
import { ObjectError } from '../run/errors.js';

/** Rows turned into JSON lines and handed on at once. */
export const PARQUET_SLICE_ROWS = 4096;

type Decompressor = (input: Uint8Array, outputLength: number) => Uint8Array;

const zstd = (zlib as unknown as { zstdDecompressSync?: (b: Uint8Array) => Buffer }).zstdDecompressSync;

/** The codecs `node:zlib` decodes for hyparquet (SNAPPY and UNCOMPRESSED are built in). */
const COMPRESSORS: Record<string, Decompressor> = {
  GZIP: (input) => gunzipSync(input),
  BROTLI: (input) => brotliDecompressSync(input),
  ...(zstd !== undefined ? { ZSTD: (input: Uint8Array) => zstd(input) } : {}),
};

/** A row value as JSON can hold it: 64-bit integers as numbers when exact, else as text; bytes as text. */
function jsonValue(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return value;
}

/** `AsyncBuffer` over an open file. */
function fileBuffer(handle: FileHandle, byteLength: number): AsyncBuffer {
  return {
    byteLength,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const stop = end ?? byteLength;
      const out = new Uint8Array(Math.max(0, stop - start));
      let done = 0;
      while (done < out.byteLength) {
        const { bytesRead } = await handle.read(out, done, out.byteLength - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return out.buffer;
    },
  };
}

/**
 * The rows of a Parquet object (its bytes from `input`, magic included) as JSON lines. A file
 * that is not valid Parquet (a truncated upload, a damaged footer) is `corrupt_archive`.
 */
export async function* parquetRows(input: AsyncIterable<Buffer>, where: string): AsyncGenerator<{ data: Buffer; entry: null; entryStart: boolean }> {
  const dir = await mkdtemp(join(tmpdir(), 'loglake-parquet-'));
  const path = join(dir, 'object.parquet');
  let handle: FileHandle | null = null;
  try {
    await pipeline(Readable.from(input), createWriteStream(path));
    handle = await open(path, 'r');
    const size = (await handle.stat()).size;
    const file = fileBuffer(handle, size);
    let metadata: FileMetaData;
    try {
      metadata = await parquetMetadataAsync(file);
    } catch (e) {
      throw new ObjectError('corrupt_archive', `${where}: not a readable Parquet file (${size} bytes): ${(e as Error).message}`, { cause: e });
    }
    const names = parquetSchema(metadata).children.map((c) => c.element.name);
    let first = true;
    let groupStart = 0;
    for (const group of metadata.row_groups) {
      const rows = Number(group.num_rows);
      // One read per row group: hyparquet decodes a column chunk from its start, so reading a
      // group in slices would decode it again for every slice.
      const columns = new Map<string, unknown[]>(names.map((n) => [n, new Array<unknown>(rows)]));
      try {
        await parquetRead({
          file,
          metadata,
          rowStart: groupStart,
          rowEnd: groupStart + rows,
          compressors: COMPRESSORS,
          onChunk: ({ columnName, columnData, rowStart }) => {
            const column = columns.get(columnName);
            if (column === undefined) return;
            const at = rowStart - groupStart;
            for (let i = 0; i < columnData.length && at + i < rows; i++) column[at + i] = columnData[i];
          },
        });
      } catch (e) {
        throw new ObjectError('corrupt_archive', `${where}: Parquet rows ${groupStart}-${groupStart + rows - 1} cannot be read: ${(e as Error).message}`, { cause: e });
      }
      const values = names.map((n) => columns.get(n) as unknown[]);
      for (let sliceStart = 0; sliceStart < rows; sliceStart += PARQUET_SLICE_ROWS) {
        let text = '';
        for (let r = sliceStart, end = Math.min(rows, sliceStart + PARQUET_SLICE_ROWS); r < end; r++) {
          const row: Record<string, unknown> = {};
          for (let c = 0; c < names.length; c++) row[names[c] as string] = (values[c] as unknown[])[r] ?? null;
          text += `${JSON.stringify(row, jsonValue)}\n`;
        }
        yield { data: Buffer.from(text, 'utf8'), entry: null, entryStart: first };
        first = false;
      }
      groupStart += rows;
    }
  } finally {
    await handle?.close();
    await rm(dir, { recursive: true, force: true });
  }
}
