import { gzipSync } from 'node:zlib';
import { Zip, ZipDeflate, zipSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { decompress, detectCompression, type ContentChunk } from '../../pipeline/decode/decompress.js';
import { ObjectError } from '../../pipeline/run/errors.js';

async function* chunks(buf: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < buf.byteLength; i += size) yield buf.subarray(i, i + size);
}

async function collect(buf: Uint8Array, size = 7): Promise<{ entries: Array<{ entry: string | null; text: string }>; compression: string | null }> {
  let compression: string | null = null;
  const out: Array<{ entry: string | null; text: string }> = [];
  const counter = { bytes: 0 };
  for await (const c of decompress(chunks(buf, size), 'test://object', counter, (x) => (compression = x)) as AsyncIterable<ContentChunk>) {
    if (c.entryStart) out.push({ entry: c.entry, text: '' });
    (out[out.length - 1] as { text: string }).text += c.data.toString('utf8');
  }
  expect(counter.bytes).toBe(buf.byteLength);
  return { entries: out, compression };
}

async function failure(buf: Uint8Array): Promise<ObjectError> {
  try {
    await collect(buf);
  } catch (e) {
    if (e instanceof ObjectError) return e;
    throw e;
  }
  throw new Error('expected an ObjectError');
}

/** A zip written in streaming mode: sizes follow the data in data descriptors. */
function streamingZip(files: Record<string, string>): Uint8Array {
  const parts: Uint8Array[] = [];
  const zip = new Zip((err, data) => {
    if (err) throw err;
    parts.push(data);
  });
  for (const [name, text] of Object.entries(files)) {
    const entry = new ZipDeflate(name);
    zip.add(entry);
    entry.push(strToU8(text), true);
  }
  zip.end();
  return Buffer.concat(parts);
}

describe('decompress', () => {
  it('passes plain text through, whatever the file name says', async () => {
    expect(await collect(Buffer.from('hello\nworld\n'))).toEqual({ entries: [{ entry: null, text: 'hello\nworld\n' }], compression: 'none' });
  });

  it('gunzips by magic bytes', async () => {
    expect(await collect(gzipSync('a\nb\n'))).toEqual({ entries: [{ entry: null, text: 'a\nb\n' }], compression: 'gzip' });
  });

  it('reads every member of a multi-member gzip', async () => {
    const buf = Buffer.concat([gzipSync('first\n'), gzipSync('second\n'), gzipSync('third\n')]);
    expect((await collect(buf, 5)).entries).toEqual([{ entry: null, text: 'first\nsecond\nthird\n' }]);
  });

  it('yields every zip entry in order, with and without data descriptors', async () => {
    const files = { 'a.csv': 'x,y\n1,2\n', 'dir/b.csv': 'x,y\n3,4\n', 'empty.txt': '' };
    const expected = [
      { entry: 'a.csv', text: 'x,y\n1,2\n' },
      { entry: 'dir/b.csv', text: 'x,y\n3,4\n' },
      { entry: 'empty.txt', text: '' },
    ];
    const sized = zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, strToU8(v)])));
    expect(await collect(sized, 11)).toEqual({ entries: expected, compression: 'zip' });
    expect((await collect(streamingZip(files), 3)).entries).toEqual(expected);
  });

  it('yields nothing for a zero-length object', async () => {
    expect(await collect(new Uint8Array(0))).toEqual({ entries: [], compression: 'empty' });
  });

  it('fails a truncated gzip as truncated_gzip', async () => {
    const gz = gzipSync('x'.repeat(10_000) + '\n'.repeat(100));
    const e = await failure(gz.subarray(0, gz.byteLength - 12));
    expect(e.code).toBe('truncated_gzip');
    expect(e.message).toContain('test://object');
  });

  it('fails corrupt gzip data as corrupt_gzip', async () => {
    const gz = Buffer.from(gzipSync('some text that is long enough to corrupt '.repeat(50)));
    gz.fill(0xaa, 20, 60);
    expect((await failure(gz)).code).toBe('corrupt_gzip');
  });

  it('lets a reader stop after the first chunk and the body fail afterwards without an unhandled error', async () => {
    // A head read (the CloudWatch Logs hook's): take the first chunk, stop, close the object,
    // whose body then fails as a destroyed file stream does. That failure used to be emitted on
    // a stream nobody listened to and ended the process.
    const gz = gzipSync(Buffer.from('0123456789abcdef\n'.repeat(200_000)));
    let failBody: (e: Error) => void = () => undefined;
    const bodyFailed = new Promise<never>((_, reject) => (failBody = reject));
    async function* body(): AsyncGenerator<Uint8Array> {
      yield gz.subarray(0, 64 * 1024);
      await bodyFailed;
    }
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown): void => void uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      for await (const c of decompress(body(), 'test://object', { bytes: 0 })) {
        expect(c.data.byteLength).toBeGreaterThan(0);
        break;
      }
      failBody(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
  });

  it('passes a failed read of the object through as itself, not as damaged gzip', async () => {
    const gz = gzipSync(Buffer.from('line\n'.repeat(100_000)));
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    async function* body(): AsyncGenerator<Uint8Array> {
      yield gz.subarray(0, 1024);
      throw reset;
    }
    const read = async (): Promise<void> => {
      for await (const _ of decompress(body(), 'test://object', { bytes: 0 })) void _;
    };
    await expect(read()).rejects.toBe(reset);
  });

  it('fails a zip with a corrupt entry as corrupt_archive naming the entry', async () => {
    const zip = Buffer.from(zipSync({ 'good.txt': strToU8('fine\n'), 'bad.txt': strToU8('z'.repeat(5000)) }));
    const at = zip.indexOf('bad.txt') + 'bad.txt'.length;
    zip.fill(0xff, at, at + 20);
    const e = await failure(zip);
    expect(e.code).toBe('corrupt_archive');
    expect(e.message).toContain('bad.txt');
  });

  it('detects compression from the first bytes only', () => {
    expect(detectCompression(Buffer.from([0x1f, 0x8b, 8, 0]))).toBe('gzip');
    expect(detectCompression(Buffer.from('PK\x03\x04'))).toBe('zip');
    expect(detectCompression(Buffer.from('{"Records"'))).toBe('none');
    expect(detectCompression(new Uint8Array(0))).toBe('empty');
  });
});
