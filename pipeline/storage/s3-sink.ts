/**
 * The central bucket as a `LakeSink`. Outputs stream out through multipart uploads fed by a
 * PassThrough, so a row group leaves memory as soon as it is encoded; an S3 object only appears
 * when its upload completes, which gives `close()` the atomic publish the pipeline relies on,
 * and `abort()` cancels the upload so nothing is left behind.
 */
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { CopyObjectCommand, DeleteObjectsCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { awsErrorCode, awsHttpStatus, classifyAwsError } from './aws-errors.js';
import { ObjectError, TransientError } from '../run/errors.js';
import type { LakeSink, OutputFile } from './storage.js';

/** Options of {@link S3LakeSink}. */
export interface S3LakeSinkOptions {
  readonly bucket: string;
  /** Prepended to every key, for a lake that is not at the bucket root. @default '' */
  readonly prefix?: string;
  /** Multipart part size; S3's minimum is 5 MiB. Memory per open output is about (queueSize + 1) parts. @default 8 MiB */
  readonly partSizeBytes?: number;
  /** Parts of one output uploading at once. @default 2 */
  readonly queueSize?: number;
}

/** DeleteObjects takes at most this many keys per request. */
const DELETE_BATCH = 1000;

/**
 * `x-amz-copy-source`: bucket and key URL-encoded segment by segment, version appended. `=` is
 * left as it is: it means nothing in this header, every lake key holds it (`source=…/dt=…`),
 * and S3-compatible servers that decode the header as a URI (s3rver) would not find `%3D`.
 */
export function copySource(bucket: string, key: string, versionId?: string): string {
  const segment = (s: string): string => encodeURIComponent(s).replaceAll('%3D', '=');
  const path = `${bucket}/${key}`.split('/').map(segment).join('/');
  return versionId ? `${path}?versionId=${encodeURIComponent(versionId)}` : path;
}

/** S3's answer to a CopyObject whose source is over the 5 GiB a single copy takes. */
function isTooLargeToCopy(e: unknown): boolean {
  return awsErrorCode(e) === 'InvalidRequest' && /larger than the maximum allowable size/i.test(e instanceof Error ? e.message : '');
}

/**
 * An error writing to the lake: transient ones stay transient (the message is retried); anything
 * else is `output_failed`, since "object not found" or "access denied" would misname the problem.
 */
function sinkError(e: unknown, where: string): Error {
  const classified = classifyAwsError(e, where);
  if (classified instanceof TransientError) return classified;
  const message = e instanceof Error ? e.message : String(e);
  return new ObjectError('output_failed', `${where}: writing to the lake failed (${awsErrorCode(e) ?? 'error'}): ${message}`, { cause: e });
}

function contentType(key: string): string {
  if (key.endsWith('.parquet')) return 'application/vnd.apache.parquet';
  if (key.endsWith('.json')) return 'application/json';
  if (key.endsWith('.jsonl.gz')) return 'application/gzip';
  return 'application/octet-stream';
}

/** One multipart upload in progress; see the module comment for the publish/abort contract. */
class S3OutputFile implements OutputFile {
  private readonly stream = new PassThrough({ highWaterMark: 1024 * 1024 });
  private readonly upload: Upload;
  private readonly done: Promise<unknown>;
  private failure: unknown = null;
  private aborted = false;

  constructor(
    client: S3Client,
    bucket: string,
    key: string,
    private readonly where: string,
    opts: S3LakeSinkOptions,
  ) {
    this.upload = new Upload({
      client,
      params: { Bucket: bucket, Key: key, Body: this.stream, ContentType: contentType(key) },
      partSize: opts.partSizeBytes ?? 8 * 1024 * 1024,
      queueSize: opts.queueSize ?? 2,
      leavePartsOnError: false,
    });
    this.done = this.upload.done();
    // Recorded here so a failing upload is seen by the next write instead of surfacing as an unhandled rejection.
    this.done.catch((e: unknown) => {
      this.failure ??= e;
    });
  }

  private error(): Error {
    return sinkError(this.failure, this.where);
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.failure !== null) throw this.error();
    if (this.stream.write(bytes)) return;
    // Wait for the upload to take the bytes, or for it to fail (then drain never comes).
    await Promise.race([once(this.stream, 'drain'), this.done]);
    if (this.failure !== null) throw this.error();
  }

  async close(): Promise<void> {
    this.stream.end();
    try {
      await this.done;
    } catch {
      throw this.error();
    }
  }

  async abort(): Promise<void> {
    if (this.aborted) return;
    this.aborted = true;
    await this.upload.abort().catch(() => undefined);
    this.stream.destroy();
    await this.done.catch(() => undefined);
  }
}

/** A lake in an S3 bucket, with the key layout of DESIGN's central bucket. */
export class S3LakeSink implements LakeSink {
  private readonly prefix: string;

  constructor(
    private readonly client: S3Client,
    private readonly opts: S3LakeSinkOptions,
  ) {
    this.prefix = opts.prefix ?? '';
  }

  describe(key: string): string {
    return `s3://${this.opts.bucket}/${this.prefix}${key}`;
  }

  async create(key: string): Promise<OutputFile> {
    return new S3OutputFile(this.client, this.opts.bucket, this.prefix + key, this.describe(key), this.opts);
  }

  async put(key: string, bytes: Uint8Array | string): Promise<void> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.opts.bucket, Key: this.prefix + key, Body: bytes, ContentType: contentType(key) }));
    } catch (e) {
      throw sinkError(e, this.describe(key));
    }
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.opts.bucket, Key: this.prefix + key }));
      return out.Body ? await out.Body.transformToByteArray() : new Uint8Array(0);
    } catch (e) {
      if (awsHttpStatus(e) === 404 || awsErrorCode(e) === 'NoSuchKey') return null;
      throw sinkError(e, this.describe(key));
    }
  }

  /**
   * A server-side CopyObject. The copy takes no tags (`TaggingDirective: REPLACE` with none), so
   * S3 authorizes it as a read of the source and a `PutObject` of the destination, the accesses
   * the worker already has there. Objects over 5 GiB would need a multipart copy
   * (`UploadPartCopy`); the sink copies only staged outputs, Parquet and gzipped rejections of
   * one report file each, orders of magnitude smaller, so it refuses those with a clear
   * `output_failed` instead of carrying a code path no run exercises.
   */
  async copy(fromKey: string, toKey: string): Promise<boolean> {
    const where = `${this.describe(fromKey)} → ${this.describe(toKey)}`;
    try {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.opts.bucket,
          Key: this.prefix + toKey,
          CopySource: copySource(this.opts.bucket, this.prefix + fromKey),
          TaggingDirective: 'REPLACE',
        }),
      );
      return true;
    } catch (e) {
      if (awsHttpStatus(e) === 404 || awsErrorCode(e) === 'NoSuchKey') return false;
      if (isTooLargeToCopy(e)) {
        throw new ObjectError('output_failed', `${where}: the object is over the 5 GiB a single CopyObject copies, and this sink does not copy in parts`, { cause: e });
      }
      throw sinkError(e, where);
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      let out;
      try {
        out = await this.client.send(
          new DeleteObjectsCommand({ Bucket: this.opts.bucket, Delete: { Objects: batch.map((k) => ({ Key: this.prefix + k })), Quiet: true } }),
        );
      } catch (e) {
        throw sinkError(e, this.describe(batch[0] as string));
      }
      const failed = out.Errors ?? [];
      if (failed.length > 0) {
        const first = failed[0];
        throw new TransientError(
          'service_unavailable',
          `s3://${this.opts.bucket}/${first?.Key ?? '?'}: deleting ${failed.length} replaced output(s) failed (${first?.Code ?? 'error'}: ${first?.Message ?? ''})`,
        );
      }
    }
  }
}
