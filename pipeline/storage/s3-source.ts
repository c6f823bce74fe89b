/**
 * Reads source objects from S3 as a stream: one `GetObject`, its body fed to the pipeline chunk
 * by chunk and never held whole. The version and ETag the response names go to the manifest, so
 * a manifest says exactly which bytes it describes.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { awsErrorCode, awsHttpStatus, toPipelineError } from './aws-errors.js';
import { ObjectError, TransientError } from '../run/errors.js';
import type { SourceReaders } from './source-readers.js';
import { objectUri, type ObjectRef, type ObjectSource, type OpenedObject } from './storage.js';

/** Chunks handed on are at least this big: gunzip and the framers run far faster on large reads (bench/README.md). */
const COALESCE_BYTES = 1024 * 1024;

/**
 * Re-chunks a body into reads of at least `COALESCE_BYTES`, and turns a connection that breaks
 * mid-body into a `TransientError` so the message is retried rather than the object failed.
 */
async function* coalesced(body: AsyncIterable<Uint8Array>, where: string): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      pending.push(chunk);
      size += chunk.byteLength;
      if (size >= COALESCE_BYTES) {
        yield pending.length === 1 ? (pending[0] as Uint8Array) : Buffer.concat(pending, size);
        pending = [];
        size = 0;
      }
    }
  } catch (e) {
    const err = toPipelineError(e, where);
    throw err instanceof Error && err !== e ? err : new TransientError('network', `${where}: reading the object failed mid-stream: ${(e as Error).message}`, { cause: e });
  }
  if (size > 0) yield pending.length === 1 ? (pending[0] as Uint8Array) : Buffer.concat(pending, size);
}

function isAsyncIterable(v: unknown): v is AsyncIterable<Uint8Array> {
  return typeof v === 'object' && v !== null && Symbol.asyncIterator in v;
}

/**
 * Objects in S3 buckets; `ref.versionId` pins a version when the notification named one. With
 * `readers`, each read goes through the client of its source (its role's, if it has one) and
 * names the bucket's expected owner.
 */
export class S3Source implements ObjectSource {
  constructor(
    private readonly client: S3Client,
    private readonly readers: SourceReaders | null = null,
  ) {}

  async open(ref: ObjectRef): Promise<OpenedObject> {
    const where = objectUri(ref);
    const reader = this.readers?.for(ref.bucket, ref.key) ?? { client: this.client, expectedOwner: null, roleArn: null };
    let out;
    try {
      out = await reader.client.send(
        new GetObjectCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          VersionId: ref.versionId,
          IfMatch: ref.etag,
          ...(reader.expectedOwner !== null ? { ExpectedBucketOwner: reader.expectedOwner } : {}),
        }),
      );
    } catch (e) {
      if (ref.etag !== undefined && (awsHttpStatus(e) === 412 || awsErrorCode(e) === 'PreconditionFailed')) {
        throw new ObjectError('object_changed', `${where}: the object no longer has ETag ${ref.etag}`, { cause: e });
      }
      throw toPipelineError(e, where);
    }
    const body: unknown = out.Body;
    if (!isAsyncIterable(body)) throw new TransientError('network', `${where}: GetObject returned no readable body`);
    if (ref.etag !== undefined && out.ETag !== undefined && out.ETag !== ref.etag) {
      // Servers that ignore If-Match still name the ETag: release the connection and report the change.
      (body as { destroy?: () => void }).destroy?.();
      throw new ObjectError('object_changed', `${where}: the object has ETag ${out.ETag}, the run being continued read ${ref.etag}`);
    }
    return {
      body: coalesced(body, where),
      ...(out.ContentLength !== undefined ? { size: out.ContentLength } : {}),
      ...(out.ETag !== undefined ? { etag: out.ETag } : {}),
      ...(out.VersionId !== undefined && out.VersionId !== 'null' ? { versionId: out.VersionId } : {}),
      ...(out.LastModified !== undefined ? { lastModifiedMs: out.LastModified.getTime() } : {}),
      ...(out.Metadata !== undefined ? { metadata: out.Metadata } : {}),
    };
  }
}
