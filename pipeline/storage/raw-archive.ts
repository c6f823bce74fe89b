/**
 * The optional raw archive (DESIGN: central bucket, `raw/…`): a server-side `CopyObject` of each
 * source object the worker normalized, so the original bytes are kept under the lake's own
 * retention without passing through the Lambda.
 */
import { CopyObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { LAKE_PREFIXES } from '../../schema/index.js';
import { toPipelineError } from './aws-errors.js';
import { copySource } from './s3-sink.js';
import { accountRegionFromKey, accountRegionSegment, dayFromKey, keySegment } from '../run/identity.js';
import type { Manifest } from '../run/manifest.js';
import type { SourceReader, SourceReaders } from './source-readers.js';
import { objectUri, type ObjectRef } from './storage.js';

/** CopyObject copies at most 5 GiB; larger objects would need a multipart copy. */
export const MAX_COPY_BYTES = 5 * 1024 ** 3;

/** Account and region from an output name `<account>_<region>_<id>_<part>.parquet`. */
function fromOutputs(m: Manifest): { account: string | null; region: string | null } {
  const first = m.outputs[0];
  if (first === undefined) return { account: null, region: null };
  const name = first.key.slice(first.key.lastIndexOf('/') + 1);
  const [account, region] = name.split('_');
  return { account: account ?? null, region: region ?? null };
}

/**
 * `raw/<source>/<account>/<region>/<YYYY>/<MM>/<DD>/<original file name>`. Account and region
 * come from the key (AWSLogs layout) or the outputs; the day from the key, else the first
 * output partition, else the day the run started.
 */
export function rawArchiveKey(ref: ObjectRef, m: Manifest): string {
  const fromKey = accountRegionFromKey(ref.key);
  const outputs = fromOutputs(m);
  const account = accountRegionSegment(fromKey.account ?? outputs.account, 'unknown');
  const region = accountRegionSegment(fromKey.region ?? outputs.region, 'unknown');
  const day = dayFromKey(ref.key) ?? m.outputs[0]?.dt ?? m.started_at.slice(0, 10);
  const [yyyy, mm, dd] = day.split('-');
  const name = ref.key.slice(ref.key.lastIndexOf('/') + 1) || 'object';
  return `${LAKE_PREFIXES.raw}${keySegment(m.source, 'unknown')}/${account}/${region}/${yyyy}/${mm}/${dd}/${name}`;
}

/**
 * Copies source objects into the central bucket's `raw/` prefix. With `readers`, a copy names the
 * source bucket's expected owner, and an object of a source read by role is streamed through
 * (read with the role, written with the function's own credentials): a server-side copy is one
 * request under one identity, and no single identity may both read that source and write the lake.
 */
export class RawArchiver {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly readers: SourceReaders | null = null,
  ) {}

  /**
   * Archives the object a complete manifest describes; returns the archive key (its own key for
   * an object already under this bucket's `raw/`), or null when the object is too large for a
   * single copy (recorded by the caller, never silently dropped).
   */
  async archive(ref: ObjectRef, m: Manifest, sizeBytes?: number): Promise<string | null> {
    // Already in this archive (the RDS log exporter writes its downloads to `raw/rds/…`): the
    // object is its own copy, and a second one under a day folder would only cost storage.
    if (ref.bucket === this.bucket && ref.key.startsWith(LAKE_PREFIXES.raw)) return ref.key;
    if (sizeBytes !== undefined && sizeBytes > MAX_COPY_BYTES) return null;
    const key = rawArchiveKey(ref, m);
    const reader = this.readers?.for(ref.bucket, ref.key) ?? null;
    const owner = reader?.expectedOwner ?? null;
    try {
      if (reader !== null && reader.roleArn !== null) await this.streamCopy(ref, key, reader);
      else {
        await this.client.send(
          new CopyObjectCommand({
            Bucket: this.bucket,
            Key: key,
            CopySource: copySource(ref.bucket, ref.key, ref.versionId),
            ...(owner !== null ? { ExpectedSourceBucketOwner: owner } : {}),
          }),
        );
      }
    } catch (e) {
      throw toPipelineError(e, `${objectUri(ref)} → s3://${this.bucket}/${key}`);
    }
    return key;
  }

  /** One read by the source's role, one write with the archiver's client; the body is streamed, never held. */
  private async streamCopy(ref: ObjectRef, key: string, reader: SourceReader): Promise<void> {
    const out = await reader.client.send(
      new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, VersionId: ref.versionId, ...(reader.expectedOwner !== null ? { ExpectedBucketOwner: reader.expectedOwner } : {}) }),
    );
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: out.Body, ContentLength: out.ContentLength }));
  }
}
