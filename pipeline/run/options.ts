/**
 * Pipeline options: loaded once per entry point, validated, frozen. Unknown keys are errors and
 * every name carries its unit.
 */
import { availableParallelism } from 'node:os';
import { Section, problemsText } from '../../schema/checks.js';
import { ConfigError } from './errors.js';

export type ParquetCodec = 'GZIP' | 'ZSTD' | 'SNAPPY' | 'UNCOMPRESSED';

export interface PipelineOptions {
  /** Longest line or JSON record kept, in bytes; longer ones are rejected as `line_too_long`. @default 4 MiB */
  readonly maxLineBytes: number;
  /** Rows per Parquet row group; bounds writer memory. @default 20_000 */
  readonly rowGroupRows: number;
  /** Parquet compression. @default ZSTD where node:zlib has it (Node >= 22.15), else GZIP */
  readonly codec: ParquetCodec;
  /** Store the original line in `raw`. @default true */
  readonly keepRaw: boolean;
  /** Keep records caused by the pipeline's own requests instead of skipping them. @default false */
  readonly keepSelfTraffic: boolean;
  /** Bytes of a rejected line kept in `errors/` when the line is oversized. @default 64 KiB */
  readonly maxRejectRawBytes: number;
  /**
   * Deepest nesting of objects and arrays a JSON record may have; deeper records are rejected
   * as `too_deep`. AWS's own records nest a few dozen levels at most, while thousands exhaust
   * the stack of every recursive reader (JSON.stringify, encoders). @default 512
   */
  readonly maxJsonDepth: number;
  /**
   * Threads that parse, validate and encode (pipeline/threads/); 1 runs everything on the main
   * thread, with no worker thread at all. The output is the same bytes whatever the number.
   * The CLI and the Lambda default to the machine's cores (`defaultThreads`). @default 1
   */
  readonly threads: number;
}

/** Threads to use when the user says nothing: one per core this process may use. */
export function defaultThreads(): number {
  return availableParallelism();
}

/** True where this Node.js build has zstd in node:zlib. */
export function hasZstd(): boolean {
  return typeof (globalThis.process?.versions as Record<string, string | undefined>)?.zstd === 'string';
}

const DEFAULTS: PipelineOptions = {
  maxLineBytes: 4 * 1024 * 1024,
  rowGroupRows: 20_000,
  codec: hasZstd() ? 'ZSTD' : 'GZIP',
  keepRaw: true,
  keepSelfTraffic: false,
  maxRejectRawBytes: 64 * 1024,
  maxJsonDepth: 512,
  threads: 1,
};

/** More threads than this is a typo: no machine the pipeline runs on has that many cores. */
export const MAX_THREADS = 256;

const CODECS: readonly ParquetCodec[] = ['GZIP', 'ZSTD', 'SNAPPY', 'UNCOMPRESSED'];

/** Validates user options over the defaults; throws `ConfigError` naming every bad key. */
export function resolveOptions(input: Readonly<Record<string, unknown>> = {}): PipelineOptions {
  const s = new Section(input, { known: Object.keys(DEFAULTS), noun: 'option' });
  const out: PipelineOptions = {
    maxLineBytes: s.int('maxLineBytes', DEFAULTS.maxLineBytes, 1),
    rowGroupRows: s.int('rowGroupRows', DEFAULTS.rowGroupRows, 1),
    codec: s.oneOf('codec', DEFAULTS.codec, CODECS),
    keepRaw: s.bool('keepRaw', DEFAULTS.keepRaw),
    keepSelfTraffic: s.bool('keepSelfTraffic', DEFAULTS.keepSelfTraffic),
    maxRejectRawBytes: s.int('maxRejectRawBytes', DEFAULTS.maxRejectRawBytes, 1),
    maxJsonDepth: s.int('maxJsonDepth', DEFAULTS.maxJsonDepth, 1),
    threads: s.int('threads', DEFAULTS.threads, 1, MAX_THREADS),
  };
  if (s.raw('codec') === 'ZSTD' && !hasZstd()) s.problem('codec', `ZSTD needs Node.js with zstd in node:zlib (>= 22.15); this is ${process.version}`);
  const [first] = s.problems;
  if (first !== undefined) {
    throw new ConfigError(first.unknown ? 'unknown_option' : 'invalid_option', problemsText(s.problems.map((p) => ({ ...p, path: `option ${p.path}` }))));
  }
  return Object.freeze(out);
}
