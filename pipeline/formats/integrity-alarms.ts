/**
 * Integrity findings to the alarm topic, once each. A finding is named by what it is about
 * (status, digest, log file, hashes), not when it was seen, so the same tampering found again —
 * a redelivered digest, a re-check, the next digest naming the same missing one — has the same
 * id; `integrity/alarms/<finding-id>.json` records it as published. The record is written after
 * the publish succeeds, so a crash in between publishes again rather than never.
 */
import { createHash } from 'node:crypto';
import { LAKE_PREFIXES, type IntegrityRow, type IntegrityStatus } from '../../schema/index.js';
import type { AlarmTopic } from '../storage/alarm-topic.js';
import type { LakeSink } from '../storage/storage.js';

/** The statuses a person must look at (`missing_log` only exists past the allowed delay). */
export const ALARMED_STATUSES: readonly IntegrityStatus[] = ['hash_mismatch', 'signature_invalid', 'chain_broken', 'digest_missing', 'missing_log'];

export function findingId(r: IntegrityRow): string {
  return createHash('sha256')
    .update([r.status, r.digest_key, r.log_key ?? '', r.expected_hash ?? '', r.actual_hash ?? ''].join('\n'))
    .digest('hex')
    .slice(0, 20);
}

export const alarmKey = (id: string): string => `${LAKE_PREFIXES.integrity}alarms/${id}.json`;

/** The alarm's subject and text: the trail, the keys, and what differs. */
export function alarmMessage(r: IntegrityRow, bucket: string, id: string): { subject: string; message: string } {
  const lines = [
    `CloudTrail log file integrity finding: ${r.status}`,
    `trail ${r.trail}, account ${r.account}, region ${r.region}`,
    `digest: s3://${bucket}/${r.digest_key}`,
    ...(r.log_key !== null ? [`log file: s3://${bucket}/${r.log_key}`] : []),
    `what differs: ${r.detail ?? r.status}`,
    ...(r.expected_hash !== null || r.actual_hash !== null ? [`expected hash: ${r.expected_hash ?? '-'}`, `actual hash: ${r.actual_hash ?? '-'}`] : []),
    `digest end: ${new Date(r.digest_end_time).toISOString()}`,
    `finding id: ${id} (the integrity table has every row: SELECT * FROM integrity WHERE digest_key = '${r.digest_key.replaceAll("'", "''")}')`,
  ];
  return { subject: `loglake integrity: ${r.status} in trail ${r.trail} (${r.account} ${r.region})`, message: lines.join('\n') };
}

/** Publishes each alarmed finding of `rows` that was not published before. */
export async function alarmFindings(rows: readonly IntegrityRow[], bucket: string, sink: LakeSink, topic: AlarmTopic): Promise<number> {
  let published = 0;
  for (const r of rows) {
    if (!ALARMED_STATUSES.includes(r.status)) continue;
    const id = findingId(r);
    const key = alarmKey(id);
    if ((await sink.get(key)) !== null) continue;
    const { subject, message } = alarmMessage(r, bucket, id);
    await topic.publish(subject, message);
    await sink.put(key, `${JSON.stringify({ finding_id: id, published_at: new Date().toISOString(), subject, ...r })}\n`);
    published++;
  }
  return published;
}
