/**
 * A real S3-API server on loopback for integration tests: s3rver on a free port, in a temporary
 * folder, with SDK clients that use path-style addressing. Records the User-Agent of every
 * request so tests can check that the project's clients mark their traffic.
 */
import { mkdtempSync, readdirSync, rmSync, type Dirent } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import S3rver from 's3rver';
import { createS3Client } from '../../pipeline/storage/aws-clients.js';

export interface LocalS3 {
  readonly endpoint: string;
  readonly client: S3Client;
  /** `user-agent` header of every request received, in order. */
  readonly userAgents: string[];
  createBucket(name: string): Promise<void>;
  put(bucket: string, key: string, body: string | Uint8Array): Promise<void>;
  /** Streams a generated body into an object without holding it in memory. */
  putStream(bucket: string, key: string, body: Readable | AsyncIterable<Uint8Array>): Promise<void>;
  get(bucket: string, key: string): Promise<Buffer | null>;
  list(bucket: string, prefix?: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** Starts s3rver on 127.0.0.1 with an OS-chosen port. */
export async function startLocalS3(): Promise<LocalS3> {
  const directory = mkdtempSync(join(tmpdir(), 'loglake-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory });
  fixDelimiterListing(server.store, directory);
  const { port } = await server.run();
  const userAgents: string[] = [];
  server.httpServer?.on('request', (req: { headers: Record<string, string | string[] | undefined> }) => {
    const ua = req.headers['user-agent'];
    userAgents.push(Array.isArray(ua) ? ua.join(' ') : (ua ?? ''));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = createS3Client({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  return {
    endpoint,
    client,
    userAgents,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async put(bucket, key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async putStream(bucket, key, body) {
      const stream = new PassThrough();
      const upload = new Upload({ client, params: { Bucket: bucket, Key: key, Body: stream }, partSize: 8 * 1024 * 1024, queueSize: 2 });
      const done = upload.done();
      for await (const chunk of body) {
        if (!stream.write(chunk)) await new Promise((r) => stream.once('drain', r));
      }
      stream.end();
      await done;
    },
    async get(bucket, key) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return Buffer.from(await (out.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
      } catch (e) {
        if ((e as { name?: string }).name === 'NoSuchKey') return null;
        throw e;
      }
    },
    async list(bucket, prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const out = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = out.NextContinuationToken;
      } while (token);
      return keys.sort();
    },
    async stop() {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

interface ListResult {
  objects: { key: string }[];
  commonPrefixes: string[];
  isTruncated: boolean;
}
interface ListOptions {
  delimiter?: string;
  startAfter?: string;
  prefix?: string;
}
interface Store {
  listObjects(bucket: string, options: ListOptions): Promise<ListResult>;
}

/** Whether a folder of the store holds an object at any depth. */
function holdsObject(dir: string): boolean {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isFile() && e.name.endsWith('._S3rver_object')) return true;
    if (e.isDirectory() && holdsObject(join(dir, e.name))) return true;
  }
  return false;
}

/**
 * s3rver 3.7.1 stores keys as folders and, under `Delimiter: '/'`, never descends below the first
 * delimiter after the prefix, so a common prefix whose objects all lie deeper (`AWSLogs/` of
 * `AWSLogs/<account>/CloudTrail/…`) is missing from the answer. This adds those common prefixes,
 * as S3 returns them; keys and everything else stay s3rver's own. Only `/` is handled (on
 * POSIX, where s3rver maps a key to the same path).
 */
function fixDelimiterListing(storeValue: unknown, root: string): void {
  const store = storeValue as Store;
  const original = store.listObjects.bind(store);
  store.listObjects = async (bucket, options) => {
    const result = await original(bucket, options);
    if (options.delimiter !== '/') return result;
    const prefix = options.prefix ?? '';
    const startAfter = options.startAfter ?? '';
    const cut = prefix.lastIndexOf('/') + 1;
    const folder = join(root, bucket, prefix.slice(0, cut));
    let entries: Dirent[];
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return result;
    }
    const last = result.isTruncated ? result.objects[result.objects.length - 1]?.key : undefined;
    const prefixes = new Set(result.commonPrefixes);
    for (const e of entries) {
      const cp = `${prefix.slice(0, cut)}${e.name}/`;
      if (!e.isDirectory() || !cp.startsWith(prefix) || (cp <= startAfter && !startAfter.startsWith(cp)) || (last !== undefined && cp > last)) continue;
      if (holdsObject(join(folder, e.name))) prefixes.add(cp);
    }
    return { ...result, commonPrefixes: [...prefixes].sort() };
  };
}
