/**
 * AWS Config change notifications saved as files (SNS envelopes archived one per line, plain
 * notifications whose diff comes first), recognized by content and parsed end to end: the rows
 * are the rows the worker writes for the same notification delivered through SQS.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processConfigChange } from '../../pipeline/formats/config-items.js';
import { LakeQuery, type QueryRow } from '../../query/lake-query.js';
import { LocalLakeSink, LocalSource } from '../../pipeline/storage/local-storage.js';
import type { Manifest } from '../../pipeline/run/manifest.js';
import { decodeNotification } from '../../pipeline/messages/notifications.js';
import { resolveOptions } from '../../pipeline/run/options.js';
import { runLocal, tempDir, writeInput } from '../helpers/lake.js';

const SAMPLES = new URL('../../samples/config/', import.meta.url).pathname;
const ARCHIVE = join(SAMPLES, 'sns-archive-config-topic.ndjson');
const LARGE_DIFF = join(SAMPLES, 'change-notification-large-diff.json');
const archiveLines = (): string[] => readFileSync(ARCHIVE, 'utf8').split('\n').filter((l) => l !== '');

/** Columns that say where and when a row was written, not what it says. */
const PLACE = ['object', 'record_id', 'ingested_at', 'ordinal', 'raw'];

function reconciles(m: Manifest): void {
  expect(m.lines_in).toBe(m.records + m.rejected + m.skipped);
}

async function rows(lake: string, sql = 'SELECT * FROM events ORDER BY time'): Promise<QueryRow[]> {
  const q = await LakeQuery.open(lake);
  try {
    return (await q.rows(sql)).rows;
  } finally {
    q.close();
  }
}

const content = (row: QueryRow): QueryRow => Object.fromEntries(Object.entries(row).filter(([k]) => !PLACE.includes(k)));

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.cleanup());

describe('Config notification files', () => {
  it('routes an archive of SNS envelopes by content: one record per item change, a control skip per notification without an item', async () => {
    const lake = join(dir.path, 'lake');
    const { manifest } = await runLocal(ARCHIVE, lake);
    expect(manifest).toMatchObject({
      status: 'ok',
      routed_by: 'content',
      source: 'config',
      parser_id: 'config',
      lines_in: 7,
      records: 3,
      rejected: 0,
      skipped: 4,
      skipped_by_reason: { control: 4 },
      errors_output: null,
    });
    reconciles(manifest);
    expect(await rows(lake, 'SELECT CAST(ordinal AS INTEGER) AS ordinal, action, status, resource, resource_type FROM events ORDER BY ordinal')).toEqual([
      { ordinal: 1, action: 'UPDATE', status: 'OK', resource: 'arn:aws:ec2:eu-west-1:123456789012:security-group/sg-04e3f2a1b0c9d8e7f', resource_type: 'AWS::EC2::SecurityGroup' },
      { ordinal: 3, action: 'CREATE', status: 'ResourceDiscovered', resource: 'arn:aws:s3:::payments-exports-eu', resource_type: 'AWS::S3::Bucket' },
      { ordinal: 6, action: 'DELETE', status: 'ResourceDeleted', resource: 'arn:aws:ec2:eu-west-1:123456789012:instance/i-07e6d5c4b3a291807', resource_type: 'AWS::EC2::Instance' },
    ]);
  });

  it('writes the rows the worker writes for the same notifications delivered through SQS', async () => {
    const fileLake = join(dir.path, 'file-lake');
    await runLocal(ARCHIVE, fileLake);
    const workerLake = join(dir.path, 'worker-lake');
    const deps = { source: new LocalSource(), sink: new LocalLakeSink(workerLake), options: resolveOptions() };
    let changes = 0;
    for (const [i, line] of archiveLines().entries()) {
      const notification = decodeNotification(line, `sqs-${i}`);
      if (notification.kind !== 'config-item') continue;
      changes++;
      const { manifest } = await processConfigChange(notification, deps);
      expect(manifest).toMatchObject({ status: 'ok', records: 1 });
    }
    expect(changes).toBe(3);
    const fromFile = (await rows(fileLake)).map(content);
    expect(fromFile).toHaveLength(3);
    expect(fromFile).toEqual((await rows(workerLake)).map(content));
  });

  it('routes a plain notification whose diff is larger than the head by content, and parses it whole', async () => {
    const text = readFileSync(LARGE_DIFF, 'utf8');
    expect(text.indexOf('"configurationItem"')).toBeGreaterThan(4096);
    const lake = join(dir.path, 'lake');
    const { manifest } = await runLocal(LARGE_DIFF, lake);
    expect(manifest).toMatchObject({ status: 'ok', routed_by: 'content', parser_id: 'config', lines_in: 1, records: 1, rejected: 0, skipped: 0 });
    reconciles(manifest);
    const [row] = await rows(lake, "SELECT action, resource, fields['messageType'] AS type, fields['configurationItemDiff'] AS diff FROM events");
    expect(row).toMatchObject({ action: 'UPDATE', resource: 'arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0b7d1c2e3f4a5b6c7', type: 'ConfigurationItemChangeNotification' });
    expect(JSON.parse(row?.diff as string)).toEqual((JSON.parse(text) as { configurationItemDiff: unknown }).configurationItemDiff);
  });

  it('gives a plain notification file the rows of the same notification in an SNS envelope', async () => {
    const text = readFileSync(LARGE_DIFF, 'utf8');
    const envelope = JSON.stringify({ Type: 'Notification', MessageId: '1c2d3e4f-5a6b-5c7d-8e9f-0a1b2c3d4e5f', TopicArn: 'arn:aws:sns:eu-west-1:123456789012:config-topic', Message: JSON.stringify(JSON.parse(text)), Timestamp: '2024-03-05T11:42:19.020Z' });
    const plainLake = join(dir.path, 'plain');
    const envelopeLake = join(dir.path, 'envelope');
    await runLocal(LARGE_DIFF, plainLake);
    await runLocal(writeInput(dir.path, 'in/one-envelope.json', envelope), envelopeLake);
    const plain = (await rows(plainLake)).map(content);
    expect(plain).toHaveLength(1);
    expect((await rows(envelopeLake)).map(content)).toEqual(plain);
  });

  it('routes an archive whose first notification carries no item, gzipped and concatenated without newlines (Firehose)', async () => {
    const lines = archiveLines();
    const reordered = [lines[1], lines[3], lines[0], lines[2], lines[4], lines[5], lines[6]].join('');
    const path = writeInput(dir.path, 'in/firehose/config-topic-1-2024-03-05-11-15-07-6a1b7c2d.gz', gzipSync(reordered));
    const { manifest } = await runLocal(path, join(dir.path, 'lake'));
    expect(manifest).toMatchObject({ status: 'ok', routed_by: 'content', compression: 'gzip', lines_in: 7, records: 3, skipped: 4, rejected: 0 });
    reconciles(manifest);
  });

  it('parses the same files alike under a rule pinning the config source', async () => {
    const pin = { rule: () => ({ kind: 'pin', format: 'config' }) as const };
    const archive = await runLocal(ARCHIVE, join(dir.path, 'a'), pin);
    expect(archive.manifest).toMatchObject({ status: 'ok', routed_by: 'rule', records: 3, skipped: 4, rejected: 0 });
    const plain = await runLocal(LARGE_DIFF, join(dir.path, 'b'), pin);
    expect(plain.manifest).toMatchObject({ status: 'ok', routed_by: 'rule', records: 1 });
  });

  it('rejects a line of an archive whose Message is not JSON, keeping the others', async () => {
    const lines = archiveLines();
    const broken = JSON.stringify({ ...(JSON.parse(lines[2] as string) as Record<string, unknown>), Message: '{"configurationItemDiff":' });
    const path = writeInput(dir.path, 'in/archive.ndjson', [lines[0], broken, lines[5]].join('\n'));
    const { manifest } = await runLocal(path, join(dir.path, 'lake'));
    expect(manifest).toMatchObject({ status: 'ok', lines_in: 3, records: 2, rejected: 1, rejected_by_reason: { invalid_json: 1 } });
    reconciles(manifest);
  });
});
