/**
 * Queries a lake that lives in an S3 bucket. DuckDB's httpfs extension is downloaded at run time
 * and cannot be installed offline, so the `lake/`, `errors/`, `replays/` and `manifests/` prefixes are copied to a temporary
 * folder through the SDK (streamed, file by file) and queried there with the same views as a
 * local lake. Fine for a local runner's bucket or a slice of a real lake; Athena is the tool for
 * a whole production lake.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { INTEGRITY_ROWS_PREFIX, LAKE_PREFIXES } from '../schema/index.js';
import { ConfigError, toPipelineError } from '../pipeline/index.js';
import { LakeQuery } from './lake-query.js';

/** Bucket and key prefix of an `s3://bucket/prefix/` lake location. */
export interface S3Location {
  readonly bucket: string;
  /** Empty, or ends with `/`. */
  readonly prefix: string;
}

/** Parses `s3://bucket/` or `s3://bucket/some/prefix/`; throws `ConfigError` otherwise. */
export function parseS3Uri(uri: string): S3Location {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri);
  if (!m) throw new ConfigError('invalid_option', `expected s3://<bucket>/[prefix/], got ${JSON.stringify(uri)}`);
  const rest = m[2] ?? '';
  return { bucket: m[1] as string, prefix: rest === '' || rest.endsWith('/') ? rest : `${rest}/` };
}

/** Every key under a prefix. */
async function listKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    let out;
    try {
      out = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    } catch (e) {
      throw toPipelineError(e, `s3://${bucket}/${prefix}`);
    }
    for (const o of out.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys;
}

/**
 * Copies the `lake/`, `errors/`, `replays/`, `manifests/` and `integrity/rows/` objects under `location` into `dir`, keeping their relative
 * keys. Returns the number of files copied.
 */
export async function downloadLake(client: S3Client, location: S3Location, dir: string): Promise<number> {
  let files = 0;
  for (const sub of [LAKE_PREFIXES.lake, LAKE_PREFIXES.errors, LAKE_PREFIXES.replays, LAKE_PREFIXES.manifests, INTEGRITY_ROWS_PREFIX]) {
    for (const key of await listKeys(client, location.bucket, location.prefix + sub)) {
      const path = join(dir, key.slice(location.prefix.length));
      await mkdir(dirname(path), { recursive: true });
      let body;
      try {
        body = (await client.send(new GetObjectCommand({ Bucket: location.bucket, Key: key }))).Body;
      } catch (e) {
        throw toPipelineError(e, `s3://${location.bucket}/${key}`);
      }
      await pipeline(body as Readable, createWriteStream(path));
      files++;
    }
  }
  return files;
}

/** A `LakeQuery` over a copy of an S3 lake; `close()` also removes the copy. */
export interface S3LakeQuery {
  readonly query: LakeQuery;
  /** Files copied from the bucket. */
  readonly files: number;
  close(): Promise<void>;
}

/** Copies an S3 lake to a temporary folder and opens the `events` and `errors` views over it. */
export async function openS3Lake(client: S3Client, location: S3Location): Promise<S3LakeQuery> {
  const dir = await mkdtemp(join(tmpdir(), 'loglake-s3-lake-'));
  try {
    const files = await downloadLake(client, location, dir);
    const query = await LakeQuery.open(dir);
    return {
      query,
      files,
      async close() {
        query.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}
