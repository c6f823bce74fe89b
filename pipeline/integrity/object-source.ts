/**
 * An `AuditSource` over an `ObjectSource` (S3 or a local folder): a digest read whole with its
 * metadata, a log file hashed as it streams. A local copy keeps no S3 metadata, so with
 * `sidecars` a digest's metadata is read from `<name>.metadata.json` beside it (a JSON object
 * of the user metadata, e.g. `{"signature": "…", "signing-algorithm": "SHA256withRSA"}`).
 */
import { awsErrorCode, awsHttpStatus } from '../storage/aws-errors.js';
import { ObjectError } from '../run/errors.js';
import type { ObjectSource } from '../storage/storage.js';
import type { AuditSource, DigestRef, ReadDigest } from './audit.js';
import { UNREADABLE_CONTENT } from './check.js';
import { hashUncompressed, uncompressed } from './hash.js';
import { sha256Hex } from './signature.js';

/** Compressed size up to which a log file is read whole rather than streamed. */
const WHOLE_BYTES = 1024 * 1024;

/** Whether a read failed because the object is not there (not: denied, unreachable). */
export function isNotFound(e: unknown): boolean {
  if (!(e instanceof ObjectError) || e.code !== 'unreadable') return false;
  const cause = e.cause;
  if ((cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return true;
  const code = awsErrorCode(cause);
  return awsHttpStatus(cause) === 404 || code === 'NoSuchKey' || code === 'NotFound';
}

async function bytesOf(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of body) parts.push(c);
  return Buffer.concat(parts);
}

/** Opens `ref`, or null when it does not exist. */
async function openOrNull(source: ObjectSource, ref: DigestRef): Promise<Awaited<ReturnType<ObjectSource['open']>> | null> {
  try {
    return await source.open(ref);
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}

export function objectAuditSource(source: ObjectSource, opts: { sidecars?: boolean } = {}): AuditSource {
  const sidecar = async (ref: DigestRef): Promise<Record<string, string>> => {
    const opened = await openOrNull(source, { bucket: ref.bucket, key: `${ref.key}.metadata.json` });
    if (opened === null) return {};
    const text = (await bytesOf(opened.body)).toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new ObjectError('unreadable', `${ref.key}.metadata.json: not JSON (${(e as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ObjectError('unreadable', `${ref.key}.metadata.json: expected a JSON object of the digest's user metadata`);
    return Object.fromEntries(Object.entries(value).filter((kv): kv is [string, string] => typeof kv[1] === 'string'));
  };
  return {
    async readDigest(ref: DigestRef): Promise<ReadDigest | null> {
      const opened = await openOrNull(source, ref);
      if (opened === null) return null;
      const body = await bytesOf(opened.body);
      return { body, metadata: opened.metadata ?? (opts.sidecars === true ? await sidecar(ref) : {}) };
    },
    async hashLog(ref: DigestRef): Promise<string | null> {
      const opened = await openOrNull(source, ref);
      if (opened === null) return null;
      try {
        // Most log files are a few KB: one read and a one-shot gunzip cost a third of a stream's
        // setup; large ones stream so that memory stays flat whatever the concurrency.
        if (opened.size !== undefined && opened.size <= WHOLE_BYTES) return sha256Hex(uncompressed(await bytesOf(opened.body)));
        return await hashUncompressed(opened.body);
      } catch (e) {
        // A damaged gzip stream (a byte changed in the stored object) is content that cannot match.
        if ((e as NodeJS.ErrnoException).code?.startsWith('Z_') === true) return `${UNREADABLE_CONTENT}${(e as Error).message}`;
        throw e;
      }
    },
  };
}
