/**
 * The AWS side of `loglake replay` and its `status`/`cancel`: S3 clients for the replayed bucket
 * and the central bucket (an S3-compatible `--endpoint` for both), SQS for the queues (region
 * from the queue URL), and the stack's outputs for `--stack`. Loaded only by those commands, so
 * nothing else pays for the AWS SDK.
 */
import { resolve } from 'node:path';
import { ConfigError, LocalLakeSink, LoglakeError, type LakeSink, type ListPages, type ObjectSource, type ReplayQueue } from '../pipeline/index.js';
import { UsageError } from './args.js';
import type { Io } from './io.js';

type AwsDoor = typeof import('../pipeline/aws.js');

/** Where a lake is: a central bucket (and prefix) or a local folder. */
export type LakeLocation = { readonly kind: 's3'; readonly bucket: string; readonly prefix: string } | { readonly kind: 'local'; readonly dir: string };

export function lakeFrom(io: Io, text: string): LakeLocation {
  const s3 = /^s3:\/\/([^/]*)\/?(.*)$/.exec(text);
  if (!s3) return { kind: 'local', dir: resolve(io.cwd, text) };
  if (s3[1] === '') throw new UsageError(`the bucket is missing in --lake ${JSON.stringify(text)}`);
  const prefix = s3[2] ?? '';
  return { kind: 's3', bucket: s3[1] as string, prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/` };
}

export interface Aws {
  readonly door: AwsDoor;
  pages(bucket: string): ListPages;
  source(): ObjectSource;
  lake(bucket: string, prefix: string): LakeSink;
  queue(url: string): ReplayQueue & { backlog(): Promise<{ visible: number; inFlight: number }> };
  /** Sends one message; throws with the cause when SQS refuses it. */
  send(url: string, body: string): Promise<void>;
  stackOutputs(name: string): Promise<Record<string, string>>;
  destroy(): void;
}

export function connectLake(aws: Aws, at: LakeLocation): LakeSink {
  return at.kind === 'local' ? new LocalLakeSink(at.dir) : aws.lake(at.bucket, at.prefix);
}

/** The one-line cause of a listing, lake or queue failure. */
export function cause(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Clients for one command; credentials from the environment (s3rver's defaults with `--endpoint`). */
export async function awsOptions(io: Io, endpoint: string | undefined): Promise<Aws> {
  const door = await import('../pipeline/aws.js');
  const region = io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  const s3 = door.createS3Client({
    ...(endpoint !== undefined
      ? {
          endpoint,
          credentials: {
            accessKeyId: io.env.AWS_ACCESS_KEY_ID ?? 'S3RVER',
            secretAccessKey: io.env.AWS_SECRET_ACCESS_KEY ?? 'S3RVER',
            ...(io.env.AWS_SESSION_TOKEN ? { sessionToken: io.env.AWS_SESSION_TOKEN } : {}),
          },
        }
      : {}),
    region: region ?? 'us-east-1',
  });
  const sqs = new Map<string, ReturnType<AwsDoor['createSqsClient']>>();
  const sqsFor = (url: string): ReturnType<AwsDoor['createSqsClient']> => {
    const r = door.queueRegion(url) ?? region ?? 'us-east-1';
    let c = sqs.get(r);
    if (c === undefined) sqs.set(r, (c = door.createSqsClient({ region: r })));
    return c;
  };
  return {
    door,
    pages: (bucket) => new door.S3ListPages(s3, bucket),
    source: () => new door.S3Source(s3),
    lake: (bucket, prefix) => new door.S3LakeSink(s3, { bucket, ...(prefix !== '' ? { prefix } : {}) }),
    queue: (url) => new door.SqsReplayQueue(sqsFor(url), url),
    async send(url, body) {
      const failed = await new door.SqsReplayQueue(sqsFor(url), url).sendBatch([{ id: '0', body }]);
      if (failed.length > 0) throw new ConfigError('invalid_option', `${url} refused the request: ${failed[0]?.code}: ${failed[0]?.message}`);
    },
    stackOutputs: (name) => door.stackOutputs(name, region !== undefined ? { region } : {}),
    destroy() {
      s3.destroy();
      for (const c of sqs.values()) c.destroy();
    },
  };
}

export interface StackInfo {
  readonly lakeBucket: string;
  readonly replayQueueUrl: string;
  readonly controlQueueUrl: string | null;
}

/** The replay queue, central bucket and (for `--deployed`) the replay function's control queue of a deployed stack. */
export async function resolveStack(aws: Aws, name: string, opts: { deployed?: boolean } = {}): Promise<StackInfo> {
  const outputs = await aws.stackOutputs(name);
  try {
    return {
      lakeBucket: aws.door.requireOutput(outputs, 'LakeBucketName', name),
      replayQueueUrl: aws.door.requireOutput(outputs, 'ReplayQueueUrl', name),
      controlQueueUrl: opts.deployed === true ? aws.door.requireOutput(outputs, 'ReplayControlQueueUrl', name) : (outputs.ReplayControlQueueUrl ?? null),
    };
  } catch (e) {
    if (e instanceof LoglakeError) throw e;
    throw new ConfigError('invalid_option', cause(e));
  }
}
