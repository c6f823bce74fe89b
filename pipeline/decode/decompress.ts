/**
 * Room `pipeline/decode/`: bytes of an object → decoded content. `decompress.ts` picks the
 * decoder by magic bytes (gzip, zip, Parquet, plain) and salvages damaged gzip; `parquet-rows.ts`
 * turns a Parquet object into JSON lines; `utf8.ts` decodes text and counts invalid UTF-8.
 * Knows nothing of formats or the lake.
 *
 * Decompression chosen by magic bytes, never by file name: gzip (multi-member too), zip (every
 * entry, in order), Parquet (one JSON line per row), or plain bytes. Zero-length objects yield
 * nothing.
 */
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Gunzip, Unzip, UnzipInflate } from 'fflate';
import { ObjectError } from '../run/errors.js';
import { parquetRows } from './parquet-rows.js';

/** A piece of decompressed content; `entryStart` marks the first chunk of each archive entry. */
export interface ContentChunk {
  readonly data: Buffer;
  /** Entry name inside a zip, null for gzip and plain objects. */
  readonly entry: string | null;
  readonly entryStart: boolean;
}

export type Compression = 'gzip' | 'zip' | 'parquet' | 'none' | 'empty';

/** Output chunk size of gunzip: 256 KiB chunks run about 2x faster than the 16 KiB default (bench/README.md). */
const GUNZIP_CHUNK_BYTES = 256 * 1024;

/** Counts bytes as they stream past, for `bytes_in` of the manifest. */
export interface ByteCounter {
  bytes: number;
}

async function* counted(body: AsyncIterable<Uint8Array>, counter: ByteCounter): AsyncGenerator<Buffer> {
  for await (const chunk of body) {
    counter.bytes += chunk.byteLength;
    yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
}

async function* prepend(first: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield first;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

function gzipError(e: unknown, where: string): ObjectError {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(err.message)) {
    return new ObjectError('truncated_gzip', `${where}: gzip stream ends before its end marker (truncated object)`, { cause: e });
  }
  return new ObjectError('corrupt_gzip', `${where}: invalid gzip data: ${err.message}`, { cause: e });
}

async function* gunzip(input: AsyncIterable<Buffer>, where: string): AsyncGenerator<ContentChunk> {
  // pipeline, not pipe: a reader that stops early (a head read) destroys the gunzip stream, and
  // pipe would leave the source stream reading; when its body then fails (the caller closes the
  // file or the connection), that error had no listener and ended the process.
  let inputError: unknown = null;
  const source = (async function* (): AsyncGenerator<Buffer> {
    try {
      yield* input;
    } catch (e) {
      inputError = e;
      throw e;
    }
  })();
  const stream = pipeline(source, createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES }), () => undefined);
  let first = true;
  try {
    for await (const data of stream as AsyncIterable<Buffer>) {
      yield { data, entry: null, entryStart: first };
      first = false;
    }
  } catch (e) {
    // A failed read of the object (throttling, a reset connection) is not damage of the gzip data.
    if (inputError !== null) throw inputError;
    throw gzipError(e, where);
  }
}

async function* unzip(input: AsyncIterable<Buffer>, where: string): AsyncGenerator<ContentChunk> {
  const ready: ContentChunk[] = [];
  let failure: ObjectError | null = null;
  let entries = 0;
  const fail = (message: string, cause?: unknown): void => {
    failure ??= new ObjectError('corrupt_archive', `${where}: ${message}`, { cause });
  };
  const unzipper = new Unzip((file) => {
    entries++;
    const name = file.name;
    let started = false;
    file.ondata = (err, data, final) => {
      if (err) return fail(`zip entry ${JSON.stringify(name)} is corrupt: ${err.message}`, err);
      if (data.byteLength > 0 || !started) {
        ready.push({ data: Buffer.from(data.buffer, data.byteOffset, data.byteLength), entry: name, entryStart: !started });
        started = true;
      }
      void final;
    };
    try {
      file.start();
    } catch (e) {
      fail(`zip entry ${JSON.stringify(name)} uses an unsupported compression method (${file.compression})`, e);
    }
  });
  unzipper.register(UnzipInflate);
  const push = (chunk: Uint8Array, final: boolean): void => {
    try {
      unzipper.push(chunk, final);
    } catch (e) {
      fail(`invalid zip data: ${(e as Error).message}`, e);
    }
  };
  // Entries decoded before a failure are handed out first: the caller keeps what was readable.
  for await (const chunk of input) {
    push(chunk, false);
    while (ready.length > 0) yield ready.shift() as ContentChunk;
    if (failure) throw failure;
  }
  push(new Uint8Array(0), true);
  while (ready.length > 0) yield ready.shift() as ContentChunk;
  if (failure) throw failure;
  if (entries === 0) fail('the zip archive holds no entry');
  if (failure) throw failure;
}

/** Which decoder the first bytes call for. */
export function detectCompression(head: Uint8Array): Compression {
  if (head.byteLength === 0) return 'empty';
  if (head.byteLength >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.byteLength >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 0x03 || head[2] === 0x05) && (head[3] === 0x04 || head[3] === 0x06)) {
    return 'zip';
  }
  if (head.byteLength >= 4 && head[0] === 0x50 && head[1] === 0x41 && head[2] === 0x52 && head[3] === 0x31) return 'parquet';
  return 'none';
}

/**
 * Streams the decompressed content of an object. `where` names the object in error messages;
 * `onCompression` learns the detected compression before the first chunk is yielded.
 */
export async function* decompress(
  body: AsyncIterable<Uint8Array>,
  where: string,
  counter: ByteCounter,
  onCompression?: (c: Compression) => void,
): AsyncGenerator<ContentChunk> {
  const iterator = counted(body, counter)[Symbol.asyncIterator]();
  let head: Buffer = Buffer.alloc(0);
  // Magic bytes may straddle tiny first chunks; collect at least four bytes before deciding.
  while (head.byteLength < 4) {
    const next = await iterator.next();
    if (next.done) break;
    head = head.byteLength === 0 ? next.value : Buffer.concat([head, next.value]);
  }
  const compression = detectCompression(head);
  onCompression?.(compression);
  if (compression === 'empty') return;
  const input = prepend(head, iterator);
  if (compression === 'gzip') {
    yield* gunzip(input, where);
  } else if (compression === 'zip') {
    yield* unzip(input, where);
  } else if (compression === 'parquet') {
    yield* parquetRows(input, where);
  } else {
    let first = true;
    for await (const data of input) {
      yield { data, entry: null, entryStart: first };
      first = false;
    }
  }
}

const AFTER_COMPLETE_MEMBER = new WeakSet<Error>();

/** True for damage found after a complete gzip member: the content before it is whole, its last line included. */
export function afterCompleteMember(e: Error): boolean {
  return AFTER_COMPLETE_MEMBER.has(e);
}

/**
 * Decodes a gzip object a second time, after `node:zlib` stopped on damage, to recover what it
 * could not hand out: zlib drops the output it holds when it meets an error (up to a whole
 * output chunk, or all of a small object before trailing garbage). fflate's streaming gunzip
 * hands out every byte it decoded before the damage, members one after another. Only the
 * decoded bytes past `skipBytes` (what the first pass already delivered) are yielded; the error
 * that ends the salvage, if any, is thrown after them. Slower than `node:zlib`, so it only
 * runs on this path.
 */
export async function* salvageGzip(body: AsyncIterable<Uint8Array>, skipBytes: number, where: string): AsyncGenerator<Buffer> {
  let skip = skipBytes;
  const ready: Buffer[] = [];
  const gunzip = new Gunzip((data) => {
    if (skip >= data.byteLength) {
      skip -= data.byteLength;
      return;
    }
    ready.push(Buffer.from(data.buffer, data.byteOffset + skip, data.byteLength - skip));
    skip = 0;
  });
  const push = (chunk: Uint8Array, final: boolean): ObjectError | null => {
    try {
      gunzip.push(chunk, final);
      return null;
    } catch (e) {
      const message = (e as Error).message;
      if (message === 'invalid gzip data') {
        // fflate says this only where a member's header should start: every member before it
        // ended whole, so what they held is complete and only the bytes after them are bad.
        const tail = new ObjectError('corrupt_gzip', `${where}: the bytes after the last complete gzip member are not gzip (trailing garbage)`, { cause: e });
        AFTER_COMPLETE_MEMBER.add(tail);
        return tail;
      }
      return /EOF/i.test(message)
        ? new ObjectError('truncated_gzip', `${where}: gzip stream ends before its end marker (truncated object)`, { cause: e })
        : new ObjectError('corrupt_gzip', `${where}: invalid gzip data: ${message}`, { cause: e });
    }
  };
  for await (const chunk of body) {
    const failure = push(chunk, false);
    while (ready.length > 0) yield ready.shift() as Buffer;
    if (failure !== null) throw failure;
  }
  const failure = push(new Uint8Array(0), true);
  while (ready.length > 0) yield ready.shift() as Buffer;
  if (failure !== null) throw failure;
}
