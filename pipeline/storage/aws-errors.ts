/**
 * Sorts AWS SDK failures into the pipeline's tiers: a missing, forbidden or archived object is
 * an `ObjectError('unreadable')` (recorded, never retried into success); throttling, 5xx,
 * timeouts and broken connections are a `TransientError` (the SQS message is retried). The SDK
 * has already retried with backoff by the time an error reaches this point, so a transient error
 * here means "let SQS try again later", not "retry now".
 */
import { LoglakeError, ObjectError, TransientError, type TransientErrorCode } from '../run/errors.js';

/** What the SDK attaches to a service error; read defensively since errors cross package versions. */
interface SdkErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly Code?: unknown;
  readonly message?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

/** Service error codes meaning the object cannot be read by us, now or later. */
const UNREADABLE_CODES = new Set([
  'NoSuchKey',
  'NotFound',
  'NoSuchBucket',
  'NoSuchVersion',
  'AccessDenied',
  'AllAccessDisabled',
  'InvalidObjectState',
  'PreconditionFailed',
  'InvalidBucketName',
  'KMS.DisabledException',
  'KMS.NotFoundException',
  'KMS.KMSInvalidStateException',
]);

const THROTTLING_CODES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'KMS.ThrottlingException',
]);

const TIMEOUT_CODES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'EHOSTUNREACH', 'ERR_STREAM_PREMATURE_CLOSE']);

function text(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/** The most specific error code an SDK or Node error carries. */
export function awsErrorCode(e: unknown): string | null {
  if (typeof e !== 'object' || e === null) return null;
  const err = e as SdkErrorShape;
  return text(err.Code) ?? text(err.code) ?? text(err.name);
}

/** HTTP status of a service error, when the SDK recorded one. */
export function awsHttpStatus(e: unknown): number | null {
  if (typeof e !== 'object' || e === null) return null;
  const status = (e as SdkErrorShape).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : null;
}

function transientCode(code: string | null, status: number | null, message: string): TransientErrorCode | null {
  if ((code !== null && THROTTLING_CODES.has(code)) || status === 429) return 'throttled';
  if (code !== null && TIMEOUT_CODES.has(code)) return 'timeout';
  if (code !== null && NETWORK_CODES.has(code)) return 'network';
  if (status !== null && status >= 500) return code === 'SlowDown' ? 'throttled' : 'service_unavailable';
  if (/socket hang up|ECONNRESET|premature close|aborted/i.test(message)) return 'network';
  return null;
}

/**
 * Classifies an error from an S3 (or other AWS) call about the object `where`. Returns null for
 * errors that fit no tier (programming errors, unexpected 4xx): callers re-throw those as they are.
 */
export function classifyAwsError(e: unknown, where: string): LoglakeError | null {
  if (e instanceof LoglakeError) return e;
  const code = awsErrorCode(e);
  const status = awsHttpStatus(e);
  const message = typeof e === 'object' && e !== null ? (text((e as SdkErrorShape).message) ?? '') : String(e);
  const label = `${code ?? 'error'}${status !== null ? `, HTTP ${status}` : ''}`;
  if ((code !== null && UNREADABLE_CODES.has(code)) || status === 404 || status === 403 || status === 412) {
    const what =
      status === 404 || code === 'NoSuchKey' || code === 'NotFound' || code === 'NoSuchBucket' || code === 'NoSuchVersion'
        ? 'object not found'
        : code === 'InvalidObjectState'
          ? 'object is archived (restore it first)'
          : status === 412 || code === 'PreconditionFailed'
            ? 'object changed since the notification'
            : 'access denied';
    return new ObjectError('unreadable', `${where}: ${what} (${label})`, { cause: e });
  }
  const transient = transientCode(code, status, message);
  if (transient !== null) {
    return new TransientError(transient, `${where}: ${transient.replace('_', ' ')} (${label})${message ? `: ${message.slice(0, 200)}` : ''}`, { cause: e });
  }
  return null;
}

/** Classifies and returns the error to throw: the pipeline's error when one fits, else `e` itself. */
export function toPipelineError(e: unknown, where: string): unknown {
  return classifyAwsError(e, where) ?? e;
}
