/**
 * Room `pipeline/storage/`: the ports objects are read from and outputs written to (this file),
 * their adapters (`local-storage.ts`; `s3-source.ts`, `s3-sink.ts`), the AWS SDK clients and the
 * mapping of AWS errors onto the pipeline's (`aws-clients.ts`, `aws-errors.ts`), and the raw
 * archive copy (`raw-archive.ts`).
 *
 * Where objects come from and where outputs go. The rest of the pipeline sees only these
 * interfaces, so the same run writes a local folder (the CLI, tests) or S3 (the worker).
 */

/** Identity of one source object. */
export interface ObjectRef {
  /** Bucket name, or `''` for a local file named by its path (`loglake ingest --as` names it by its S3 object). */
  readonly bucket: string;
  /** Object key, or the absolute path of a local file. */
  readonly key: string;
  readonly versionId?: string;
  /**
   * The ETag the object must still have; set by continuations so the rest of an object is read
   * from the same bytes as its start. A source that can check it fails with
   * `ObjectError('object_changed')` on a mismatch. @default no check
   */
  readonly etag?: string;
}

/** An opened object: a byte stream plus what the store knows about it. */
export interface OpenedObject {
  readonly body: AsyncIterable<Uint8Array>;
  readonly size?: number;
  readonly etag?: string;
  /**
   * The ETag when the store learns it only by reading the body: a local copy named as an S3
   * object (`loglake ingest --as`) hashes its bytes as they stream. Undefined until the body
   * has been read to its end; `etag`, when set, wins.
   */
  readonly etagAfterRead?: () => string | undefined;
  readonly versionId?: string;
  readonly lastModifiedMs?: number;
  /** User metadata (`x-amz-meta-*` without the prefix): a CloudTrail digest's `signature` and `signing-algorithm`. */
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface ObjectSource {
  /** Opens an object for streaming; a missing or forbidden object throws `ObjectError('unreadable')`. */
  open(ref: ObjectRef): Promise<OpenedObject>;
}

/** A file being written: bytes in order, then `close` publishes it atomically, or `abort` drops it. */
export interface OutputFile {
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

/** The central bucket (or a local lake folder), addressed by keys like `lake/source=…/…`. */
export interface LakeSink {
  /** Human-readable location of a key, for messages and summaries. */
  describe(key: string): string;
  create(key: string): Promise<OutputFile>;
  put(key: string, bytes: Uint8Array | string): Promise<void>;
  /** The bytes at `key`, or null when there is none. */
  get(key: string): Promise<Uint8Array | null>;
  /**
   * Copies the object at `fromKey` to `toKey` inside the sink, without the bytes passing through
   * this process; `toKey` appears whole or not at all. Returns false when there is nothing at
   * `fromKey`.
   */
  copy(fromKey: string, toKey: string): Promise<boolean>;
  delete(keys: readonly string[]): Promise<void>;
}

/** `s3://bucket/key` for S3 objects, the path itself for local files. */
export function objectUri(ref: ObjectRef): string {
  const base = ref.bucket === '' ? ref.key : `s3://${ref.bucket}/${ref.key}`;
  return ref.versionId ? `${base}?versionId=${ref.versionId}` : base;
}
