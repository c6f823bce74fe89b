/**
 * An audit over history (`loglake verify`): the digests of a listing read in parallel, each
 * authenticated, linked to the digest it names as previous (read too when it lies before the
 * range), and every log file an authentic digest lists hashed from its bytes. Storage is reached
 * only through `AuditSource`, so the same code runs on S3 and on a local copy.
 */
import type { IntegrityRow, IntegrityStatus } from '../../schema/index.js';
import { Pool } from '../replay/list.js';
import { authenticate, checkDigest, type DigestUnderCheck, type PreviousDigest } from './check.js';
import { DigestError, digestKeyFacts, parseDigest } from './digest.js';
import { uncompressed } from './hash.js';
import type { PublicKeyStore } from './public-keys.js';
import { sha256Hex } from './signature.js';

export interface DigestRef {
  readonly bucket: string;
  readonly key: string;
}

/** A digest object's bytes (as stored) and its user metadata (`signature`, `signing-algorithm`). */
export interface ReadDigest {
  readonly body: Uint8Array;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface AuditSource {
  /** The digest object, or null when it does not exist. */
  readDigest(ref: DigestRef): Promise<ReadDigest | null>;
  /** Hex SHA-256 of the log object's uncompressed content, or null when it does not exist. */
  hashLog(ref: DigestRef): Promise<string | null>;
}

export interface AuditProgress {
  readonly digests: number;
  readonly digestsTotal: number;
  readonly logs: number;
  readonly logsTotal: number;
}

export interface AuditOptions {
  readonly keys: PublicKeyStore;
  /** Objects read at once (default 16). */
  readonly concurrency?: number;
  readonly now?: () => number;
  readonly onProgress?: (p: AuditProgress) => void;
}

export interface AuditSummary {
  readonly digests: { readonly listed: number; readonly valid: number; readonly invalid: number; readonly missing: number };
  readonly logs: { readonly listed: number; readonly valid: number; readonly invalid: number; readonly missing: number };
  /** Rows that are findings, by status. */
  readonly findings: Partial<Record<IntegrityStatus, number>>;
}

export interface AuditResult {
  readonly rows: IntegrityRow[];
  readonly summary: AuditSummary;
}

type Loaded = { readonly ok: true; readonly d: DigestUnderCheck } | { readonly ok: false; readonly ref: DigestRef; readonly detail: string; readonly hash: string | null };

const refKey = (r: DigestRef): string => `${r.bucket}\u0000${r.key}`;

async function load(source: AuditSource, ref: DigestRef): Promise<Loaded | null> {
  const read = await source.readDigest(ref);
  if (read === null) return null;
  let bytes: Buffer;
  try {
    bytes = uncompressed(read.body);
  } catch (e) {
    return { ok: false, ref, detail: `damaged digest: it does not decompress (${(e as Error).message})`, hash: null };
  }
  const hash = sha256Hex(bytes);
  try {
    const digest = parseDigest(bytes.toString('utf8'), ref.key);
    return { ok: true, d: { key: ref.key, digest, contentHash: hash, signature: read.metadata.signature ?? null, signingAlgorithm: read.metadata['signing-algorithm'] ?? null } };
  } catch (e) {
    if (!(e instanceof DigestError)) throw e;
    return { ok: false, ref, detail: `damaged digest: ${e.message}`, hash };
  }
}

/** Runs `each` over `items` with at most `limit` at once. */
async function forEach<T>(items: readonly T[], limit: number, each: (item: T) => Promise<void>): Promise<void> {
  const pool = new Pool(limit);
  for (const item of items) pool.add(() => each(item));
  await pool.idle();
}

/** Verifies the digests `refs` and the log files they list. */
export async function auditDigests(refs: readonly DigestRef[], source: AuditSource, opts: AuditOptions): Promise<AuditResult> {
  const limit = opts.concurrency ?? 16;
  const now = opts.now ?? Date.now;
  const loaded = new Map<string, Loaded>();
  const progress = { digests: 0, digestsTotal: refs.length, logs: 0, logsTotal: 0 };
  const report = (): void => opts.onProgress?.({ ...progress });

  await forEach(refs, limit, async (ref) => {
    const l = await load(source, ref);
    // A listed digest that is gone by the time it is read counts like one named and missing.
    if (l !== null) loaded.set(refKey(ref), l);
    progress.digests++;
    report();
  });

  // A local copy keeps no S3 metadata: a digest without a signature takes the one its successor
  // carries as previousDigestSignature (that successor's own signature covers it).
  const chained = new Map<string, string>();
  for (const l of loaded.values()) {
    if (l.ok && l.d.digest.previousDigestS3Object !== null && l.d.digest.previousDigestSignature !== null) {
      chained.set(refKey({ bucket: l.d.digest.previousDigestS3Bucket ?? '', key: l.d.digest.previousDigestS3Object }), l.d.digest.previousDigestSignature);
    }
  }
  const withSignature = (d: DigestUnderCheck, ref: DigestRef): DigestUnderCheck => (d.signature !== null ? d : { ...d, signature: chained.get(refKey(ref)) ?? chained.get(refKey({ bucket: d.digest.digestS3Bucket, key: d.digest.digestS3Object })) ?? null });

  const authentic = new Map<string, boolean>();
  const isAuthentic = async (ref: DigestRef, d: DigestUnderCheck): Promise<boolean> => {
    const k = refKey(ref);
    let a = authentic.get(k);
    if (a === undefined) authentic.set(k, (a = authenticate(d, await opts.keys.keyFor(d.digest.digestPublicKeyFingerprint)).ok));
    return a;
  };

  /** What the previous digest a digest names is, reading it when the listing did not hold it. */
  const previousOf = async (d: DigestUnderCheck, ref: DigestRef): Promise<PreviousDigest> => {
    const key = d.digest.previousDigestS3Object;
    if (key === null) return { state: 'none' };
    // A local copy is keyed from the listing's prefix: look the previous digest up beside this one.
    const prevRef = { bucket: ref.bucket, key: ref.key === d.digest.digestS3Object ? key : localKey(ref.key, d.digest.digestS3Object, key) };
    let p = loaded.get(refKey(prevRef));
    if (p === undefined) {
      const l = await load(source, prevRef);
      if (l === null) return { state: 'missing' };
      loaded.set(refKey(prevRef), l);
      p = l;
    }
    if (!p.ok) return { state: 'found', contentHash: p.hash ?? '', signature: null, authentic: false, endMs: 0 };
    const pd = withSignature(p.d, prevRef);
    return { state: 'found', contentHash: pd.contentHash, signature: pd.signature, authentic: await isAuthentic(prevRef, pd), endMs: pd.digest.endMs };
  };

  // Log files of authentic digests, hashed once each.
  const listed = new Map<string, { ref: DigestRef; hash: string | null }>();
  const checks: { d: DigestUnderCheck; ref: DigestRef; previous: PreviousDigest; publicKey: Awaited<ReturnType<PublicKeyStore['keyFor']>> }[] = [];
  const damaged: IntegrityRow[] = [];
  for (const ref of refs) {
    const l = loaded.get(refKey(ref));
    if (l === undefined) continue;
    if (!l.ok) {
      damaged.push(damagedRow(l.ref, l.detail, l.hash, now()));
      continue;
    }
    const d = withSignature(l.d, ref);
    const publicKey = await opts.keys.keyFor(d.digest.digestPublicKeyFingerprint);
    const previous = await previousOf(d, ref);
    checks.push({ d, ref, previous, publicKey });
    if (await isAuthentic(ref, d)) {
      for (const f of d.digest.logFiles) {
        const logRef = { bucket: ref.key === d.digest.digestS3Object ? f.s3Bucket : ref.bucket, key: ref.key === d.digest.digestS3Object ? f.s3Object : localKey(ref.key, d.digest.digestS3Object, f.s3Object) };
        listed.set(refKey({ bucket: f.s3Bucket, key: f.s3Object }), { ref: logRef, hash: null });
      }
    }
  }
  progress.logsTotal = listed.size;
  report();
  await forEach([...listed.values()], limit, async (entry) => {
    entry.hash = await source.hashLog(entry.ref);
    progress.logs++;
    report();
  });

  const rows: IntegrityRow[] = [...damaged];
  const seenMissing = new Set<string>();
  for (const c of checks) {
    const result = checkDigest(c.d, {
      publicKey: c.publicKey,
      previous: c.previous,
      logHash: (bucket, key) => listed.get(refKey({ bucket, key }))?.hash ?? null,
      // The audit downloads: an absent log file is missing whatever its age.
      isMissing: () => true,
      checkedAt: now(),
    });
    for (const r of result.rows) {
      // Two digests may name the same missing predecessor (a backfill digest and the hourly one).
      if (r.status === 'digest_missing' && r.digest_key !== c.d.key) {
        if (seenMissing.has(r.digest_key)) continue;
        seenMissing.add(r.digest_key);
      }
      rows.push(r);
    }
  }
  return { rows, summary: summarize(rows) };
}

/**
 * The key of `target` in a local copy where `found` is the key a digest named `named` was read
 * at: the copy's root is what `found` has before the part it shares with `named` (from `AWSLogs/` on).
 */
function localKey(found: string, named: string, target: string): string {
  const at = named.indexOf('AWSLogs/');
  const tail = at >= 0 ? named.slice(at) : named;
  const root = found.endsWith(tail) ? found.slice(0, found.length - tail.length) : '';
  const t = target.indexOf('AWSLogs/');
  return `${root}${t >= 0 ? target.slice(t) : target}`;
}

function damagedRow(ref: DigestRef, detail: string, hash: string | null, checkedAt: number): IntegrityRow {
  const facts = digestKeyFacts(ref.key);
  return {
    trail: facts?.trail ?? 'unknown',
    account: facts?.account ?? 'unknown',
    region: facts?.region ?? 'unknown',
    digest_key: ref.key,
    log_key: null,
    kind: 'digest',
    status: 'signature_invalid',
    detail,
    expected_hash: null,
    actual_hash: hash,
    digest_end_time: facts?.endMs ?? 0,
    checked_at: checkedAt,
  };
}

/** Counts as `aws cloudtrail validate-logs` reports them, plus findings by status. */
export function summarize(rows: readonly IntegrityRow[]): AuditSummary {
  const digests = { listed: 0, valid: 0, invalid: 0, missing: 0 };
  const logs = { listed: 0, valid: 0, invalid: 0, missing: 0 };
  const findings: Partial<Record<IntegrityStatus, number>> = {};
  for (const r of rows) {
    if (r.status !== 'valid' && r.status !== 'not_yet_ingested') findings[r.status] = (findings[r.status] ?? 0) + 1;
    const c = r.kind === 'digest' ? digests : logs;
    if (r.status === 'digest_missing' || r.status === 'missing_log') c.missing++;
    else {
      c.listed++;
      if (r.status === 'valid') c.valid++;
      else if (r.status !== 'not_yet_ingested') c.invalid++;
    }
  }
  // A gap row is not a listed digest; a log file listed and missing is a listed one.
  logs.listed += logs.missing;
  return { digests, logs, findings };
}
