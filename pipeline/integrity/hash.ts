/**
 * The hash a digest lists for a log file: SHA-256 of the uncompressed content (see check.ts for
 * why), computed while the object streams, so a file is never held whole in memory.
 */
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, gunzipSync } from 'node:zlib';

const isGzip = (b: Uint8Array): boolean => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** Hex SHA-256 of a stream's content, gunzipped when it starts with gzip's magic bytes (all members). */
export async function hashUncompressed(body: AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  const it = body[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done === true) return hash.digest('hex');
  async function* all(): AsyncGenerator<Uint8Array> {
    yield first.value;
    for (let n = await it.next(); n.done !== true; n = await it.next()) yield n.value;
  }
  if (!isGzip(first.value)) {
    for await (const c of all()) hash.update(c);
    return hash.digest('hex');
  }
  await pipeline(all(), createGunzip(), new Writable({ write(c: Buffer, _e, done) { hash.update(c); done(); } }));
  return hash.digest('hex');
}

/** A whole object's uncompressed bytes (digests are small), gunzipped when gzip. */
export function uncompressed(bytes: Uint8Array): Buffer {
  return isGzip(bytes) ? gunzipSync(bytes) : Buffer.from(bytes);
}
