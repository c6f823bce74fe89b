/**
 * The S3 client every part of loglake uses (worker, CLI, tests), so each request carries the
 * `loglake/<version>` user agent the self-traffic filter recognizes, and S3-compatible servers
 * (s3rver, MinIO) work with one `endpoint` option.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { LOGLAKE_USER_AGENT } from '../run/version.js';

/** Credentials as the SDK takes them. */
export interface StaticCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Connection options shared by the project's AWS clients. */
export interface AwsClientOptions {
  /** Region; @default the SDK's own resolution (AWS_REGION, profile) */
  readonly region?: string;
  /**
   * An S3-compatible endpoint such as `http://127.0.0.1:4568`. Implies path-style addressing
   * and checksums only where the API requires them, which such servers understand.
   * @default AWS's own endpoints
   */
  readonly endpoint?: string;
  /** Static credentials, or a provider of expiring ones (a role's, `assume-role.ts`); @default the SDK's provider chain */
  readonly credentials?: StaticCredentials | (() => Promise<StaticCredentials & { readonly expiration?: Date }>);
  /** Attempts per request, backoff between them, before the error reaches the pipeline. @default 4 */
  readonly maxAttempts?: number;
}

/** SDK settings common to every client of the project: user agent, retries, custom endpoint. */
export function clientConfig(opts: AwsClientOptions): {
  customUserAgent: string;
  maxAttempts: number;
  region?: string;
  endpoint?: string;
  credentials?: AwsClientOptions['credentials'];
} {
  return {
    customUserAgent: LOGLAKE_USER_AGENT,
    maxAttempts: opts.maxAttempts ?? 4,
    ...(opts.region !== undefined ? { region: opts.region } : {}),
    ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {}),
    ...(opts.credentials !== undefined ? { credentials: opts.credentials } : {}),
  };
}

/** An S3 client with the project's user agent; path-style and minimal checksums on custom endpoints. */
export function createS3Client(opts: AwsClientOptions = {}): S3Client {
  const custom = opts.endpoint !== undefined;
  return new S3Client({
    ...clientConfig(opts),
    forcePathStyle: custom,
    // S3-compatible servers reject the aws-chunked trailing checksums newer SDKs send by default.
    ...(custom ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' } : {}),
  });
}

/** An SQS client with the project's user agent (an `endpoint` here is an SQS-compatible one). */
export function createSqsClient(opts: AwsClientOptions = {}): SQSClient {
  return new SQSClient(clientConfig(opts));
}
