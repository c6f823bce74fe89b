/**
 * Pipeline options: loaded once per entry point, validated, frozen. Unknown keys are errors and
 * every name carries its unit.
 */
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
};

const CODECS: readonly ParquetCodec[] = ['GZIP', 'ZSTD', 'SNAPPY', 'UNCOMPRESSED'];

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new ConfigError('invalid_option', `option ${name} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function bool(name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ConfigError('invalid_option', `option ${name} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

/** Validates user options over the defaults; throws `ConfigError` naming the bad key. */
export function resolveOptions(input: Readonly<Record<string, unknown>> = {}): PipelineOptions {
  const out: { -readonly [K in keyof PipelineOptions]: PipelineOptions[K] } = { ...DEFAULTS };
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    switch (key) {
      case 'maxLineBytes':
      case 'rowGroupRows':
      case 'maxRejectRawBytes':
      case 'maxJsonDepth':
        out[key] = positiveInt(key, value);
        break;
      case 'keepRaw':
      case 'keepSelfTraffic':
        out[key] = bool(key, value);
        break;
      case 'codec':
        if (!CODECS.includes(value as ParquetCodec)) {
          throw new ConfigError('invalid_option', `option codec must be one of ${CODECS.join(', ')}, got ${JSON.stringify(value)}`);
        }
        if (value === 'ZSTD' && !hasZstd()) {
          throw new ConfigError('invalid_option', `option codec ZSTD needs Node.js with zstd in node:zlib (>= 22.15); this is ${process.version}`);
        }
        out.codec = value as ParquetCodec;
        break;
      default:
        throw new ConfigError('unknown_option', `unknown option ${JSON.stringify(key)}; known: ${Object.keys(DEFAULTS).join(', ')}`);
    }
  }
  return Object.freeze(out);
}
