/**
 * The error classes of the pipeline, one base with a stable `code` (a metric dimension) and a
 * `cause`. Three tiers: rejected lines are return values, not errors; an `ObjectError` ends one
 * object and is not retried; a `TransientError` is re-thrown so the message is retried.
 */

export const OBJECT_ERROR_CODES = {
  unreadable: 'the object could not be read (missing, access denied, I/O error)',
  object_changed: 'the object no longer has the ETag the run being continued read',
  truncated_gzip: 'the gzip stream ends before its end marker',
  corrupt_gzip: 'the gzip data is invalid',
  corrupt_archive: 'the zip archive or one of its entries is invalid',
  unknown_format: 'no format matched the key or the content',
  records_not_array: 'a JSON container key such as Records does not hold an array',
  output_failed: 'writing an output failed',
} as const;
export type ObjectErrorCode = keyof typeof OBJECT_ERROR_CODES;

export const TRANSIENT_ERROR_CODES = {
  throttled: 'the service asked us to slow down',
  service_unavailable: 'the service answered 5xx',
  timeout: 'the request timed out',
  network: 'the connection failed or was reset mid-transfer',
} as const;
export type TransientErrorCode = keyof typeof TRANSIENT_ERROR_CODES;

export const CONFIG_ERROR_CODES = {
  invalid_option: 'an option has a wrong type or value',
  unknown_option: 'an option name is not known',
  invalid_rules: 'the routing rules are invalid',
} as const;
export type ConfigErrorCode = keyof typeof CONFIG_ERROR_CODES;

export const MESSAGE_ERROR_CODES = {
  invalid_json: 'the queue message body is not JSON',
  unknown_shape: 'the queue message is no notification shape the worker knows',
  invalid_message: 'a known notification shape with a missing or malformed field',
} as const;
export type MessageErrorCode = keyof typeof MESSAGE_ERROR_CODES;

/**
 * Base of every error the pipeline raises on purpose.
 *
 * Each class states its `name` as a literal: the Lambda bundle is minified, which renames
 * classes, so a name taken from `new.target.name` or `constructor.name` would read `s` or `e`
 * in logs and stack traces (test/pipeline/errors.test.ts minifies these classes to check).
 */
export class LoglakeError<C extends string = string> extends Error {
  override readonly name: string = 'LoglakeError';
  readonly code: C;
  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Ends processing of one object: recorded in its manifest, never retried. */
export class ObjectError extends LoglakeError<ObjectErrorCode> {
  override readonly name = 'ObjectError';
}

/** A retryable failure (throttling, 5xx, timeouts): re-thrown so SQS redelivers the message. */
export class TransientError extends LoglakeError<TransientErrorCode> {
  override readonly name = 'TransientError';
}

/** A queue message that cannot be decoded: it fails alone and ends in the DLQ, never retried into success. */
export class MessageError extends LoglakeError<MessageErrorCode> {
  override readonly name = 'MessageError';
}

/** Invalid configuration or usage, found before any object is processed. */
export class ConfigError extends LoglakeError<ConfigErrorCode> {
  override readonly name = 'ConfigError';
}

/** Shortens a received value for an error message, so messages stay readable and bounded. */
export function preview(value: string, max = 80): string {
  const s = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(s);
}
