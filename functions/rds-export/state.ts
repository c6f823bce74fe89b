/**
 * What the RDS log exporter remembers per DB instance, and the keys of what it writes.
 *
 * One JSON object per instance, `rds-export/<account>/<region>/<instance>.json` in the central
 * bucket, rewritten after every object the exporter writes (and once at the end of every run,
 * so the lake's retention never expires the state of a running exporter). It holds, per log file
 * name, the content the name holds now (its generation), how far that content was exported (the
 * RDS marker and the byte count) and a fingerprint of its beginning; contents no longer under
 * their name (rotated, renamed, deleted) for a while, so a rename is recognized by its content;
 * and the objects written whose replay message was not yet sent.
 */
import { createHash } from 'node:crypto';
import type { LakeSink } from '../../pipeline/index.js';
import { isRecord, problemsText, versionedDocument } from '../../schema/checks.js';
import { LAKE_PREFIXES, RDS_RAW_PREFIX } from '../../schema/lake-layout.js';

/** Bytes of a content's beginning its fingerprint covers, at most: a few dozen lines of any log, so two different contents differ in it. */
export const FINGERPRINT_BYTES = 4096;

/** The beginning of one content, as exported: what tells a grown file from a replaced one, and a renamed content from a new one. */
export interface Fingerprint {
  /** Bytes covered: the content's first `min(exported bytes, FINGERPRINT_BYTES)`. */
  readonly n: number;
  /** SHA-256 (hex) of those bytes. */
  readonly sha256: string;
  /** The bytes themselves (base64) while fewer than {@link FINGERPRINT_BYTES}, so the fingerprint grows with the content; null once full. */
  readonly head: string | null;
}

/** The content a log file name holds now, and how far it was exported. */
export interface FileState {
  /** Its generation: a number unique within the instance, the second path segment after the file name in object keys. */
  gen: number;
  /** Objects written for this generation; the next is `seq + 1`. */
  seq: number;
  /** Where the next download starts: `"0"` (the beginning) or a marker RDS returned. */
  marker: string;
  /** Bytes to discard from `marker` on before writing: content already exported under another name or before a marker RDS refused. */
  skip: number;
  /** Bytes of this content exported (under this name or the name it had before): the offset of the next byte written. */
  bytes: number;
  /** `Size` DescribeDBLogFiles last reported. */
  size: number;
  /** `LastWritten` (ms) DescribeDBLogFiles last reported. */
  last_written: number;
  /** True when the last download reached the end of the file (`AdditionalDataPending` false). */
  complete: boolean;
  /** Null until some bytes were exported. */
  fingerprint: Fingerprint | null;
  /** The name the content was exported under before it was seen here (a rotation by rename), else null. */
  renamed_from: string | null;
}

/** A content no longer under its name; kept for {@link RETIRED_KEEP_MS} so that it is recognized if it shows up under another name. */
export interface RetiredContent {
  readonly name: string;
  readonly gen: number;
  readonly bytes: number;
  readonly fingerprint: Fingerprint;
  readonly retired_at: string;
}

/** The state of one instance. */
export interface InstanceState {
  readonly v: 1;
  readonly instance: string;
  readonly account: string;
  readonly region: string;
  updated_at: string;
  /** The next generation number. A fresh state starts at the clock's seconds, so a state lost and started again never reuses a generation of the old one. */
  next_gen: number;
  /** By log file name, the files of the last listing that pass the filter. */
  files: Record<string, FileState>;
  retired: RetiredContent[];
  /** Keys of objects written whose replay message is not known to be sent; sent first by the next run. */
  pending: string[];
}

/** How long a content that left its name is remembered: longer than any rotation takes to show its new name. */
export const RETIRED_KEEP_MS = 2 * 86_400_000;
/** At most this many retired contents are kept (the newest), so the state stays small whatever happens. */
export const RETIRED_MAX = 500;

/** Where the exporter keeps the state of one instance. */
export function stateKey(account: string, region: string, instance: string): string {
  return `${LAKE_PREFIXES.rdsExport}${account}/${region}/${instance}.json`;
}

/**
 * A log file name as key segments: each of its `/`-separated parts URI-encoded, so any name maps
 * to one key and back (`error/postgresql.log.2024-05-01-13` stays as it is).
 */
export function fileNameSegments(name: string): string {
  return name
    .split('/')
    .map((part) => {
      const enc = encodeURIComponent(part);
      return enc === '' ? '%00' : enc === '.' || enc === '..' ? enc.replaceAll('.', '%2E') : enc;
    })
    .join('/');
}

/** Widths of the zero-padded numbers in object keys, so keys sort in the order they were written. */
const GEN_WIDTH = 10;
const SEQ_WIDTH = 6;

/**
 * The key of the `seq`th object of generation `gen` of a log file:
 * `raw/rds/<account>/<region>/<instance>/<log file name>/<gen>/<seq>.log.gz`. Deterministic:
 * written again after a crash, it replaces the object it was before.
 */
export function objectKey(account: string, region: string, instance: string, fileName: string, gen: number, seq: number): string {
  return `${RDS_RAW_PREFIX}${account}/${region}/${instance}/${fileNameSegments(fileName)}/${String(gen).padStart(GEN_WIDTH, '0')}/${String(seq).padStart(SEQ_WIDTH, '0')}.log.gz`;
}

/** An empty state: nothing exported yet. */
export function freshState(instance: string, account: string, region: string, nowMs: number): InstanceState {
  return { v: 1, instance, account, region, updated_at: new Date(nowMs).toISOString(), next_gen: Math.floor(nowMs / 1000), files: {}, retired: [], pending: [] };
}

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The fingerprint of a content whose first bytes (up to {@link FINGERPRINT_BYTES}) are `head`. */
export function fingerprintOf(head: Uint8Array): Fingerprint {
  const n = Math.min(head.length, FINGERPRINT_BYTES);
  const covered = head.subarray(0, n);
  return { n, sha256: sha256(covered), head: n < FINGERPRINT_BYTES ? Buffer.from(covered).toString('base64') : null };
}

/** True when `head` (the current beginning of a file, at least `n` bytes of it, or all of it) begins with the fingerprinted bytes. */
export function matchesFingerprint(fp: Fingerprint, head: Uint8Array): boolean {
  return head.length >= fp.n && sha256(head.subarray(0, fp.n)) === fp.sha256;
}

/** `fp` grown by `bytes`, exported right after the `exported` bytes it was taken over; unchanged once full or when it does not cover all of them. */
export function extendFingerprint(fp: Fingerprint | null, exported: number, bytes: Uint8Array): Fingerprint | null {
  if (bytes.length === 0) return fp;
  if (fp === null) return exported === 0 ? fingerprintOf(bytes) : null;
  if (fp.head === null || fp.n !== exported) return fp;
  return fingerprintOf(Buffer.concat([Buffer.from(fp.head, 'base64'), bytes.subarray(0, FINGERPRINT_BYTES - fp.n)]));
}

const FINGERPRINT_KEYS = ['n', 'sha256', 'head'];

function fingerprintProblem(v: unknown): string | null {
  if (v === null) return null;
  if (!isRecord(v)) return 'must be an object or null';
  if (Object.keys(v).some((k) => !FINGERPRINT_KEYS.includes(k))) return `has keys other than ${FINGERPRINT_KEYS.join(', ')}`;
  if (typeof v.n !== 'number' || !Number.isSafeInteger(v.n) || v.n < 0 || v.n > FINGERPRINT_BYTES) return 'n must be a byte count';
  if (typeof v.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(v.sha256)) return 'sha256 must be a SHA-256 in hex';
  if (v.head !== null && typeof v.head !== 'string') return 'head must be base64 or null';
  return null;
}

const count = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Reads a state object, or says what is wrong with it. */
export function parseState(bytes: Uint8Array, where: string): InstanceState | string {
  const doc = versionedDocument(bytes, where);
  if (typeof doc === 'string') return doc;
  const s = doc.section;
  for (const k of ['instance', 'account', 'region', 'updated_at']) if (typeof s.raw(k) !== 'string') s.problem(k, 'must be a string');
  if (!count(s.raw('next_gen'))) s.problem('next_gen', 'must be a non-negative integer');
  const files = s.raw('files');
  if (!isRecord(files)) s.problem('files', 'must be an object');
  else {
    for (const [name, f] of Object.entries(files)) {
      const at = `files[${JSON.stringify(name)}]`;
      if (!isRecord(f)) {
        s.problem(at, 'must be an object');
        continue;
      }
      for (const k of ['gen', 'seq', 'skip', 'bytes', 'size', 'last_written']) if (!count(f[k])) s.problem(`${at}.${k}`, 'must be a non-negative integer');
      if (typeof f.marker !== 'string' || f.marker === '') s.problem(`${at}.marker`, 'must be a marker');
      if (typeof f.complete !== 'boolean') s.problem(`${at}.complete`, 'must be true or false');
      if (f.renamed_from !== null && typeof f.renamed_from !== 'string') s.problem(`${at}.renamed_from`, 'must be a name or null');
      const fp = fingerprintProblem(f.fingerprint);
      if (fp !== null) s.problem(`${at}.fingerprint`, fp);
    }
  }
  const retired = s.raw('retired');
  if (!Array.isArray(retired)) s.problem('retired', 'must be an array');
  else {
    retired.forEach((r: unknown, i) => {
      const at = `retired[${i}]`;
      if (!isRecord(r) || typeof r.name !== 'string' || !count(r.gen) || !count(r.bytes) || typeof r.retired_at !== 'string' || r.fingerprint === null || fingerprintProblem(r.fingerprint) !== null) {
        s.problem(at, 'must be a retired content (name, gen, bytes, fingerprint, retired_at)');
      }
    });
  }
  const pending = s.raw('pending');
  if (!Array.isArray(pending) || pending.some((k) => typeof k !== 'string' || !k.startsWith(RDS_RAW_PREFIX))) s.problem('pending', `must be an array of keys under ${RDS_RAW_PREFIX}`);
  if (s.problems.length > 0) return `${where} is not an RDS export state: ${problemsText(s.problems)}`;
  return doc.value as InstanceState;
}

/** The state of an instance: null when there is none yet, a string when the object is unreadable. */
export async function readState(lake: LakeSink, account: string, region: string, instance: string): Promise<InstanceState | string | null> {
  const key = stateKey(account, region, instance);
  const bytes = await lake.get(key);
  return bytes === null ? null : parseState(bytes, lake.describe(key));
}

export async function writeState(lake: LakeSink, state: InstanceState, nowMs: number): Promise<void> {
  state.updated_at = new Date(nowMs).toISOString();
  await lake.put(stateKey(state.account, state.region, state.instance), `${JSON.stringify(state, null, 1)}\n`);
}
