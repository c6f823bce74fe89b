/**
 * CloudTrail log file integrity validation in the worker, as an `ObjectHook`. Digests reach the
 * worker with the log files (the core ignores them as `cloudtrail-digest`); after the core has
 * written an object's manifest this hook:
 *
 * - for a digest: verifies it with `pipeline/integrity/` (signature with the key of its
 *   fingerprint, link to the previous digest, each listed log file's hash) and writes the rows of
 *   the `integrity` table to `integrity/rows/<digest-object-id>.json`, replaced on redelivery. A
 *   log file's hash is the `sha256` its manifest recorded while it was ingested, so no log file
 *   is read again; one ingested before hashing existed is hashed once from the source. A log
 *   file not ingested yet is `not_yet_ingested` and gets a pending entry; after
 *   `missingLogAfterMs` past the digest's end it is `missing_log`;
 * - for a CloudTrail log object: when a pending entry names it, checks its digest again;
 * - on every digest, sweeps pending entries older than `missingLogAfterMs`, so one whose log
 *   file never comes becomes `missing_log` without waiting for it.
 *
 * Findings go to the alarm topic once each (`integrity-alarms.ts`).
 */
import { INTEGRITY_ROWS_PREFIX, LAKE_PREFIXES, type IntegrityRow } from '../../schema/index.js';
import { auditDigests, type AuditSource, type DigestRef } from '../integrity/audit.js';
import { UNREADABLE_CONTENT } from '../integrity/check.js';
import { digestKeyFacts } from '../integrity/digest.js';
import { objectAuditSource } from '../integrity/object-source.js';
import type { PublicKeyStore } from '../integrity/public-keys.js';
import type { ListPages } from '../replay/list.js';
import { HASHED_SOURCE } from '../run/content-hash.js';
import { manifestKey, objectId } from '../run/identity.js';
import { parseManifest } from '../run/manifest.js';
import type { ObjectHook, ProcessDeps } from '../run/process-object.js';
import type { AlarmTopic } from '../storage/alarm-topic.js';
import type { LakeSink, ObjectRef } from '../storage/storage.js';
import { alarmFindings } from './integrity-alarms.js';
import { serializeIntegrityRows } from './integrity-rows.js';

/** What the integrity hook needs beyond the run's own deps. */
export interface IntegritySettings {
  /** The public keys of a region's digests (CloudTrail's keys are per region); null: the digest's region is unknown. */
  readonly keys: (region: string | null) => PublicKeyStore;
  /** Where findings are published; null records them in the table only. */
  readonly alarms: AlarmTopic | null;
  /** A listed log file still not ingested this long after its digest's end is `missing_log`. */
  readonly missingLogAfterMs: number;
  /** Lists the central bucket, for the sweep of `integrity/pending/`. */
  readonly lake: ListPages;
}

/** Default of `missingLogAfterMs`: CloudTrail delivers a log file within minutes, its digest an hour later. */
export const DEFAULT_MISSING_LOG_AFTER_MS = 24 * 3_600_000;

/** The ignorable the core reports digests as (`parsers/cloudtrail.ts`). */
const DIGEST_IGNORABLE = 'cloudtrail-digest';

const PENDING_PREFIX = `${LAKE_PREFIXES.integrity}pending/`;

/** What a pending entry holds: the digest to check again when its log file arrives. */
interface Pending {
  readonly digest_bucket: string;
  readonly digest_key: string;
  readonly digest_end_time: number;
  readonly log_bucket: string;
  readonly log_key: string;
}

export const rowsKey = (digest: ObjectRef): string => `${INTEGRITY_ROWS_PREFIX}${objectId(digest)}.json`;
export const pendingKey = (log: DigestRef): string => `${PENDING_PREFIX}${objectId(log)}.json`;

/**
 * The hash a log file's manifest recorded: null while it is not (fully) ingested, the unreadable
 * mark for a damaged one, and for one ingested before hashing, the hash of its content read once.
 */
function manifestHashes(deps: ProcessDeps): AuditSource {
  const direct = objectAuditSource(deps.source);
  return {
    readDigest: (ref) => direct.readDigest(ref),
    async hashLog(ref) {
      const m = parseManifest(await deps.sink.get(manifestKey(HASHED_SOURCE, objectId(ref))));
      if (m === null || m.status === 'partial' || m.status === 'failed' || m.status === 'ignored') return null;
      if (m.status === 'damaged') return `${UNREADABLE_CONTENT}ingested as damaged (${m.damage?.reason ?? 'unknown'})`;
      if (typeof m.sha256 === 'string') return m.sha256;
      return direct.hashLog(ref);
    },
  };
}

/** `missing_log` from the audit means "not ingested": it is only missing once old enough. */
function aged(row: IntegrityRow, now: number, afterMs: number): IntegrityRow {
  if (row.status !== 'missing_log') return row;
  const waited = now - row.digest_end_time;
  if (waited < afterMs) return { ...row, status: 'not_yet_ingested', detail: 'listed by the digest, not ingested yet' };
  return { ...row, detail: `listed by the digest, not ingested ${Math.floor(waited / 3_600_000)} h after the digest's end` };
}

async function readPending(sink: LakeSink, key: string): Promise<Pending | null> {
  const bytes = await sink.get(key);
  if (bytes === null) return null;
  try {
    const v = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<Pending>;
    return typeof v.digest_bucket === 'string' && typeof v.digest_key === 'string' && typeof v.digest_end_time === 'number' ? (v as Pending) : null;
  } catch {
    return null;
  }
}

/** Checks one digest and records the result: rows, pending entries, alarms. */
async function checkAndRecord(digest: ObjectRef, deps: ProcessDeps, settings: IntegritySettings): Promise<readonly IntegrityRow[]> {
  const now = deps.now ?? Date.now;
  const keys = settings.keys(digestKeyFacts(digest.key)?.region ?? null);
  const { rows } = await auditDigests([{ bucket: digest.bucket, key: digest.key }], manifestHashes(deps), { keys, now, concurrency: 8 });
  const at = now();
  const result = rows.map((r) => aged(r, at, settings.missingLogAfterMs));
  await deps.sink.put(rowsKey(digest), serializeIntegrityRows(result));
  const waiting = result.filter((r) => r.status === 'not_yet_ingested' && r.log_key !== null);
  const settled = result.filter((r) => r.kind === 'log' && r.status !== 'not_yet_ingested' && r.log_key !== null);
  await Promise.all(
    waiting.map((r) => {
      const entry: Pending = { digest_bucket: digest.bucket, digest_key: digest.key, digest_end_time: r.digest_end_time, log_bucket: digest.bucket, log_key: r.log_key as string };
      return deps.sink.put(pendingKey({ bucket: digest.bucket, key: r.log_key as string }), JSON.stringify(entry));
    }),
  );
  if (settled.length > 0) await deps.sink.delete(settled.map((r) => pendingKey({ bucket: digest.bucket, key: r.log_key as string })));
  if (settings.alarms !== null) await alarmFindings(result, digest.bucket, deps.sink, settings.alarms);
  return result;
}

/**
 * Pending entries whose digest ended longer than the missing-log age ago: their digests are
 * checked again, which turns what is still absent into `missing_log`. Each entry is read for its
 * digest's end (a re-check rewrites an entry, so its last-modified time says nothing); the set
 * holds only log files a digest listed before they were ingested, normally almost none.
 */
async function sweep(deps: ProcessDeps, settings: IntegritySettings, except: ObjectRef): Promise<void> {
  const now = (deps.now ?? Date.now)();
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await settings.lake.page({ prefix: PENDING_PREFIX, ...(token !== undefined ? { continuationToken: token } : {}) });
    keys.push(...page.keys.map((k) => k.key));
    token = page.nextToken;
  } while (token !== undefined);
  const digests = new Map<string, ObjectRef>();
  for (const key of keys) {
    const p = await readPending(deps.sink, key);
    if (p === null) await deps.sink.delete([key]);
    else if (now - p.digest_end_time >= settings.missingLogAfterMs && !(p.digest_bucket === except.bucket && p.digest_key === except.key)) {
      digests.set(`${p.digest_bucket}\n${p.digest_key}`, { bucket: p.digest_bucket, key: p.digest_key });
    }
  }
  for (const d of digests.values()) await checkAndRecord(d, deps, settings);
}

/** The integrity hook with its settings (keys, alarm topic, missing-log age, lake listing). */
export function cloudtrailIntegrity(settings: IntegritySettings): ObjectHook {
  return {
    name: 'cloudtrail-integrity',
    async around(ref, deps, next) {
      const report = await next(ref, deps);
      const m = report.manifest;
      if (m.status === 'ignored' && m.reason === DIGEST_IGNORABLE) {
        await checkAndRecord(ref, deps, settings);
        await sweep(deps, settings, ref);
      } else if (m.source === HASHED_SOURCE && (m.status === 'ok' || m.status === 'damaged')) {
        const pending = await readPending(deps.sink, pendingKey(ref));
        if (pending !== null) await checkAndRecord({ bucket: pending.digest_bucket, key: pending.digest_key }, deps, settings);
      }
      return report;
    },
  };
}
