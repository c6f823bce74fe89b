/**
 * The integrity hook at the pipeline level, with a clock: a log file a digest lists that never
 * arrives waits as `not_yet_ingested` and is swept into `missing_log` by a later digest once
 * the configured age has passed, alarmed once; and the SNS adapter of the alarm topic.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cloudtrailIntegrity, pendingKey, rowsKey, type IntegritySettings } from '../../pipeline/formats/cloudtrail-integrity.js';
import { MemoryPublicKeyStore, parsePublicKeyList } from '../../pipeline/index.js';
import { FolderListPages } from '../../pipeline/replay/folder-pages.js';
import { ObjectError, TransientError } from '../../pipeline/run/errors.js';
import { resolveOptions } from '../../pipeline/run/options.js';
import { processObject } from '../../pipeline/run/process-object.js';
import { SnsAlarmTopic } from '../../pipeline/storage/alarm-topic.js';
import { LocalLakeSink } from '../../pipeline/storage/local-storage.js';
import type { ObjectRef, ObjectSource, OpenedObject } from '../../pipeline/storage/storage.js';
import { cloudtrailHistory, type DigestHistory } from '../helpers/cloudtrail-digests.js';
import { tempDir } from '../helpers/lake.js';

const HOUR_MS = 3_600_000;

/** The history's bucket as an object source, user metadata included; a missing key is not found. */
class HistorySource implements ObjectSource {
  constructor(private readonly h: DigestHistory) {}

  async open(ref: ObjectRef): Promise<OpenedObject> {
    const o = ref.bucket === this.h.bucket ? this.h.objects.get(ref.key) : undefined;
    if (o === undefined) throw new ObjectError('unreadable', `s3://${ref.bucket}/${ref.key}: no such key`, { cause: Object.assign(new Error('missing'), { code: 'ENOENT' }) });
    const body = o.body;
    return {
      size: body.byteLength,
      ...(o.metadata !== undefined ? { metadata: o.metadata } : {}),
      body: (async function* (): AsyncGenerator<Uint8Array> {
        yield body;
      })(),
    };
  }
}

let lake: ReturnType<typeof tempDir>;
beforeEach(() => {
  lake = tempDir('loglake-integrity-');
});
afterEach(() => lake.cleanup());

describe('the integrity hook over time', () => {
  it('sweeps a log file still absent past the age into missing_log on a later digest, and alarms once', async () => {
    const t0 = Date.parse('2024-07-01T00:00:00Z');
    const h = cloudtrailHistory({ trails: [{ account: '111122223333', region: 'eu-west-1', trail: 'org-trail' }], from: new Date(t0).toISOString(), hours: 3, logsPerHour: 2, seed: 165 });
    const lost = h.logKeys[0] as string;
    const published: string[] = [];
    const settings: IntegritySettings = {
      keys: () => new MemoryPublicKeyStore(parsePublicKeyList(h.publicKeysJson())),
      alarms: { publish: async (subject) => void published.push(subject) },
      missingLogAfterMs: 24 * HOUR_MS,
      lake: new FolderListPages(lake.path),
    };
    const sink = new LocalLakeSink(lake.path);
    let now = t0 + 3 * HOUR_MS + 300_000;
    const run = (key: string) =>
      processObject({ bucket: h.bucket, key }, { source: new HistorySource(h), sink, options: resolveOptions(), hooks: [cloudtrailIntegrity(settings)], now: () => now });
    const rowsOf = async (digest: string): Promise<Array<{ status: string; log_key: string | null; detail: string | null }>> =>
      Buffer.from((await sink.get(rowsKey({ bucket: h.bucket, key: digest }))) ?? [])
        .toString('utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { status: string; log_key: string | null; detail: string | null });

    for (const k of h.logKeys.filter((x) => x !== lost)) expect((await run(k)).manifest.sha256).toMatch(/^[0-9a-f]{64}$/);
    for (const k of h.digestKeys) expect((await run(k)).manifest.reason).toBe('cloudtrail-digest');
    const first = h.digestKeys[0] as string;
    expect((await rowsOf(first)).filter((r) => r.status !== 'valid').map((r) => [r.status, r.log_key])).toEqual([['not_yet_ingested', lost]]);
    expect(await sink.get(pendingKey({ bucket: h.bucket, key: lost }))).not.toBeNull();
    expect(published).toEqual([]);

    // A day later the next digest of any trail sweeps it.
    now = t0 + 26 * HOUR_MS;
    await run(h.digestKeys[2] as string);
    const swept = (await rowsOf(first)).filter((r) => r.status !== 'valid');
    expect(swept.map((r) => [r.status, r.log_key])).toEqual([['missing_log', lost]]);
    expect(swept[0]?.detail).toBe("listed by the digest, not ingested 25 h after the digest's end");
    expect(await sink.get(pendingKey({ bucket: h.bucket, key: lost }))).toBeNull();
    expect(published).toEqual(['loglake integrity: missing_log in trail org-trail (111122223333 eu-west-1)']);

    // Redelivered digests find it again and do not alarm again.
    for (const k of h.digestKeys) await run(k);
    expect(published).toHaveLength(1);
    expect((await rowsOf(first)).filter((r) => r.status !== 'valid').map((r) => r.status)).toEqual(['missing_log']);
  });
});

describe('SnsAlarmTopic', () => {
  const sns = mockClient(SNSClient);
  afterEach(() => sns.reset());

  it('publishes the subject (ASCII, at most 100 characters, as SNS requires) and the message to the topic', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm' });
    await new SnsAlarmTopic(new SNSClient({ region: 'eu-west-1' }), 'arn:aws:sns:eu-west-1:123456789012:ops').publish(`trail ‘é’ ${'x'.repeat(200)}`, 'body');
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.TopicArn).toBe('arn:aws:sns:eu-west-1:123456789012:ops');
    expect(input?.Message).toBe('body');
    expect(input?.Subject).toHaveLength(100);
    expect(input?.Subject).toMatch(/^trail \?\?\? x+$/);
  });

  it('turns throttling into a transient error naming the topic, so the message is retried', async () => {
    sns.on(PublishCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException', $metadata: { httpStatusCode: 400 } }));
    const err = await new SnsAlarmTopic(new SNSClient({ region: 'eu-west-1' }), 'arn:aws:sns:eu-west-1:123456789012:ops').publish('s', 'm').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect((err as Error).message).toContain('arn:aws:sns:eu-west-1:123456789012:ops');
  });
});
