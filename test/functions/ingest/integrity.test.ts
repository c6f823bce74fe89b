/**
 * CloudTrail integrity validation in the worker, end to end against s3rver: log files and signed
 * digests (signature in the object metadata, as CloudTrail writes them) arrive through S3 event
 * messages; the handler, configured from the environment as in Lambda, checks each digest with
 * the hashes the log files' manifests recorded, writes the `integrity` table (read back through
 * its DuckDB view) and publishes findings once each. CloudTrail's ListPublicKeys and SNS cannot
 * run here and are mocked; everything else is real.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { CloudTrailClient, ListPublicKeysCommand } from '@aws-sdk/client-cloudtrail';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { objectId } from '../../../pipeline/run/identity.js';
import { cloudtrailHistory, writeHistoryToS3, type DigestHistory } from '../../helpers/cloudtrail-digests.js';
import { lambdaContext, s3Event, sqsEvent } from '../../helpers/notifications.js';
import { startLocalS3, type LocalS3 } from '../../helpers/s3.js';
import { localHandler, queryLake } from '../../helpers/worker.js';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:loglake-ops';
const HOUR_MS = 3_600_000;

const ct = mockClient(CloudTrailClient);
const sns = mockClient(SNSClient);
let s3: LocalS3;
let n = 0;
let histories = 0;

beforeAll(async () => {
  s3 = await startLocalS3();
});
afterAll(async () => {
  await s3.stop();
  ct.restore();
  sns.restore();
});
beforeEach(() => {
  ct.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'm' });
});

interface Setup {
  readonly history: DigestHistory;
  readonly lake: string;
  /** Sends S3 events for `keys` (ten objects per message) through the handler. */
  send(keys: readonly string[]): Promise<void>;
}

async function setup(history: DigestHistory, env: Record<string, string> = {}): Promise<Setup> {
  const lake = `lake-${++n}`;
  await s3.createBucket(lake);
  await writeHistoryToS3(history, s3);
  ct.on(ListPublicKeysCommand).resolves({ PublicKeyList: history.publicKeyList() });
  const handler = localHandler(s3, { lake, env: { LOGLAKE_INTEGRITY: 'true', LOGLAKE_ALARM_TOPIC_ARN: TOPIC, ...env } });
  return {
    history,
    lake,
    async send(keys) {
      for (let i = 0; i < keys.length; i += 10) {
        const out = await handler(sqsEvent(s3Event(history.bucket, keys.slice(i, i + 10))), lambdaContext());
        expect(out.batchItemFailures).toEqual([]);
      }
    },
  };
}

interface Row {
  readonly trail: string;
  readonly digest_key: string;
  readonly log_key: string | null;
  readonly kind: string;
  readonly status: string;
  readonly detail: string | null;
}

const rowsOf = async (lake: string): Promise<Row[]> => (await queryLake(s3, lake, 'SELECT * FROM integrity ORDER BY digest_key, log_key NULLS FIRST')) as unknown as Row[];
const findings = (rows: readonly Row[]): Row[] => rows.filter((r) => r.status !== 'valid');
const published = (): Array<{ Subject?: string; Message?: string }> => sns.commandCalls(PublishCommand).map((c) => c.args[0].input);

describe('the worker checks CloudTrail digests as they arrive', () => {
  it('finds a two-day history with a key rotation valid: a row per digest and per log file, no alarm, keys listed once per region', async () => {
    const h = cloudtrailHistory({ bucket: `trails-${++histories}`, from: '2024-05-01T12:00:00Z', hours: 26, logsPerHour: 1, seed: 161 });
    const t = await setup(h);
    await t.send(h.logKeys);
    await t.send(h.digestKeys);
    const rows = await rowsOf(t.lake);
    expect(rows).toHaveLength(h.digestKeys.length + h.logKeys.length);
    expect(findings(rows)).toEqual([]);
    expect(rows.filter((r) => r.kind === 'digest').map((r) => r.digest_key).sort()).toEqual([...h.digestKeys].sort());
    expect(rows.filter((r) => r.kind === 'log').map((r) => r.log_key).sort()).toEqual([...h.logKeys].sort());
    expect(new Set(rows.map((r) => r.trail))).toEqual(new Set(['org-trail', 'audit_trail']));
    // Digests of both days and both keys (the rotation is at hour 13).
    expect(new Set(h.digestKeys.map((k) => /\/(\d{4}\/\d{2}\/\d{2})\//.exec(k)?.[1]))).toEqual(new Set(['2024/05/01', '2024/05/02']));
    expect(published()).toEqual([]);
    expect(ct.commandCalls(ListPublicKeysCommand)).toHaveLength(2);
    expect(await s3.list(t.lake, 'integrity/pending/')).toEqual([]);
  }, 240_000);

  it('detects each tampering with its status, flags nothing else, and alarms once per finding across redelivery', async () => {
    const h = cloudtrailHistory({ bucket: `trails-${++histories}`, trails: [{ account: '111122223333', region: 'eu-west-1', trail: 'org-trail' }], from: '2024-06-01T00:00:00Z', hours: 8, logsPerHour: 2, rotateAtHour: 4, seed: 162 });
    const chain = h.digestKeys;
    const digestLogs = (i: number): string[] => (h.digestJson(chain[i] as string).logFiles as Array<{ s3Object: string }>).map((f) => f.s3Object);
    // Hour 1: one byte of a log file changed (re-compressed, so it still decompresses).
    const tamperedLog = digestLogs(1)[0] as string;
    const log = h.objects.get(tamperedLog) as { body: Buffer };
    const text = gunzipSync(log.body);
    const at = text.indexOf('"eventName"') + 14;
    text[at] = (text[at] as number) ^ 0x01;
    log.body = gzipSync(text);
    // Hour 3: the digest deleted (a gap in the chain); its log files are listed nowhere else.
    const unchecked = new Set([...digestLogs(3), ...digestLogs(5)]);
    const deleted = chain[3] as string;
    h.objects.delete(deleted);
    // Hour 5: signed by a key CloudTrail never published.
    h.rewriteDigest(chain[5] as string, () => undefined, { resign: true, key: h.strangerKey });
    // Hour 7: its previous hash altered, signed again with the right key.
    h.rewriteDigest(chain[7] as string, (j) => (j.previousDigestHashValue = 'ab'.repeat(32)), { resign: true });
    const t = await setup(h);
    await t.send(h.logKeys);
    await t.send(chain.filter((k) => k !== deleted));

    const rows = await rowsOf(t.lake);
    expect(findings(rows).map((r) => ({ status: r.status, key: r.log_key ?? r.digest_key })).sort((a, b) => a.key.localeCompare(b.key))).toEqual(
      [
        { status: 'hash_mismatch', key: tamperedLog },
        { status: 'digest_missing', key: deleted },
        { status: 'signature_invalid', key: chain[5] },
        { status: 'chain_broken', key: chain[7] },
      ].sort((a, b) => (a.key as string).localeCompare(b.key as string)),
    );
    // The unsigned digest's log files are not checked; every other listed log file is valid.
    expect(rows.filter((r) => r.kind === 'log').length).toBe(h.logKeys.length - unchecked.size);

    const first = published();
    expect(first).toHaveLength(4);
    expect(first.map((p) => p.Subject)).toEqual(expect.arrayContaining(['loglake integrity: hash_mismatch in trail org-trail (111122223333 eu-west-1)']));
    const mismatch = first.find((p) => p.Subject?.includes('hash_mismatch'))?.Message ?? '';
    expect(mismatch).toContain(`log file: s3://${h.bucket}/${tamperedLog}`);
    expect(mismatch).toContain(`digest: s3://${h.bucket}/${chain[1]}`);
    expect(mismatch).toMatch(/what differs: uncompressed content hashes to [0-9a-f]{64}, the digest lists [0-9a-f]{64}/);

    // Redelivery of every digest: the same rows, no second alarm.
    await t.send(chain.filter((k) => k !== deleted));
    expect(findings(await rowsOf(t.lake)).length).toBe(4);
    expect(published()).toHaveLength(4);
  }, 240_000);

  it('turns not_yet_ingested into valid when the log file arrives after its digest', async () => {
    const from = new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 3 * HOUR_MS).toISOString();
    const h = cloudtrailHistory({ bucket: `trails-${++histories}`, trails: [{ account: '111122223333', region: 'eu-west-1', trail: 'org-trail' }], from, hours: 2, logsPerHour: 3, seed: 163 });
    const late = h.logKeys[1] as string;
    const t = await setup(h);
    await t.send(h.logKeys.filter((k) => k !== late));
    await t.send(h.digestKeys);
    const before = await rowsOf(t.lake);
    expect(findings(before).map((r) => [r.status, r.log_key])).toEqual([['not_yet_ingested', late]]);
    expect(await s3.list(t.lake, 'integrity/pending/')).toEqual([`integrity/pending/${objectId({ bucket: h.bucket, key: late })}.json`]);

    await t.send([late]);
    const after = await rowsOf(t.lake);
    expect(after).toHaveLength(before.length);
    expect(findings(after)).toEqual([]);
    expect(await s3.list(t.lake, 'integrity/pending/')).toEqual([]);
    expect(published()).toEqual([]);
  }, 120_000);

  it('reports a log file absent past the configured age as missing_log, and alarms once', async () => {
    const from = new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 4 * HOUR_MS).toISOString();
    const h = cloudtrailHistory({ bucket: `trails-${++histories}`, trails: [{ account: '444455556666', region: 'us-east-1', trail: 'audit_trail' }], from, hours: 2, logsPerHour: 2, seed: 164 });
    const lost = h.logKeys[0] as string;
    const t = await setup(h, { LOGLAKE_MISSING_LOG_AFTER_HOURS: '1' });
    await t.send(h.logKeys.filter((k) => k !== lost));
    await t.send(h.digestKeys);
    await t.send(h.digestKeys);
    const rows = await rowsOf(t.lake);
    expect(findings(rows).map((r) => [r.status, r.log_key])).toEqual([['missing_log', lost]]);
    expect(findings(rows)[0]?.detail).toMatch(/^listed by the digest, not ingested [23] h after the digest's end$/);
    expect(published().map((p) => p.Subject)).toEqual(['loglake integrity: missing_log in trail audit_trail (444455556666 us-east-1)']);
  }, 120_000);
});
