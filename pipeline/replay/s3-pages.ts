/**
 * `ListPages` over S3: one `ListObjectsV2` call per page, with AWS errors mapped onto the
 * pipeline's (a missing bucket or denied listing becomes an `ObjectError` naming the prefix).
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { toPipelineError } from '../storage/aws-errors.js';
import type { ListPage, ListPages, ListRequest } from './list.js';

/** Pages of one bucket; `expectedOwner` is sent as `ExpectedBucketOwner` with every call. */
export class S3ListPages implements ListPages {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly expectedOwner: string | null = null,
  ) {}

  async page(req: ListRequest): Promise<ListPage> {
    let out;
    try {
      out = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: req.prefix,
          ...(req.delimiter !== undefined ? { Delimiter: req.delimiter } : {}),
          ...(req.startAfter !== undefined ? { StartAfter: req.startAfter } : {}),
          ...(req.continuationToken !== undefined ? { ContinuationToken: req.continuationToken } : {}),
          ...(this.expectedOwner !== null ? { ExpectedBucketOwner: this.expectedOwner } : {}),
        }),
      );
    } catch (e) {
      throw toPipelineError(e, `listing s3://${this.bucket}/${req.prefix}`);
    }
    return {
      keys: (out.Contents ?? []).flatMap((o) =>
        o.Key === undefined ? [] : [{ key: o.Key, size: o.Size ?? 0, etag: o.ETag ?? null, lastModifiedMs: o.LastModified ? o.LastModified.getTime() : null }],
      ),
      prefixes: (out.CommonPrefixes ?? []).flatMap((p) => (p.Prefix === undefined ? [] : [p.Prefix])),
      ...(out.IsTruncated === true && out.NextContinuationToken !== undefined ? { nextToken: out.NextContinuationToken } : {}),
    };
  }
}
