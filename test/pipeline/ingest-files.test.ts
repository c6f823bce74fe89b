/**
 * The local ingest loop: one object's unexpected exception becomes that object's failed
 * manifest, and the objects after it are still ingested.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { objectId } from '../../pipeline/run/identity.js';
import { ingestLocalFiles } from '../../pipeline/index.js';
import { LakeQuery } from '../../query/lake-query.js';
import type { Manifest } from '../../pipeline/run/manifest.js';
import { resolveOptions } from '../../pipeline/run/options.js';
import type { ObjectRef } from '../../pipeline/storage/storage.js';
import { tempDir, writeInput } from '../helpers/lake.js';

const trail = (name: string): string =>
  JSON.stringify({
    Records: [
      {
        eventVersion: '1.09',
        eventTime: '2024-05-01T10:00:00Z',
        eventName: `Call-${name}`,
        eventSource: 'ec2.amazonaws.com',
        awsRegion: 'eu-west-1',
        eventID: `id-${name}`,
        recipientAccountId: '111122223333',
        userIdentity: { type: 'IAMUser', arn: 'arn:aws:iam::111122223333:user/alice', accountId: '111122223333' },
        sourceIPAddress: '192.0.2.1',
      },
    ],
  });

/** A routing rule that blows up on one file the way a runaway recursion does; null elsewhere, so routing goes on as usual. */
const throwingOn =
  (suffix: string) =>
  (ref: ObjectRef): null => {
    if (ref.key.endsWith(suffix)) throw new RangeError('Maximum call stack size exceeded');
    return null;
  };

let dir: ReturnType<typeof tempDir>;
let lake: string;
let files: string[];
beforeEach(() => {
  dir = tempDir();
  lake = join(dir.path, 'lake');
  files = ['a', 'b', 'c'].map((n) => writeInput(dir.path, `in/${n}.json`, trail(n)));
});
afterEach(() => dir.cleanup());

async function actions(): Promise<unknown[]> {
  const q = await LakeQuery.open(lake);
  try {
    return (await q.rows('SELECT action FROM events ORDER BY action')).rows.map((r) => r.action);
  } finally {
    q.close();
  }
}

describe('ingestLocalFiles', () => {
  it('records an unexpected exception as that object failed and goes on with the next file', async () => {
    const summary = await ingestLocalFiles(files, { lakeDir: lake, options: resolveOptions({}), rule: throwingOn('/b.json') });

    expect(summary.reports.map((r) => r.manifest.status)).toEqual(['ok', 'failed', 'ok']);
    expect(await actions()).toEqual(['Call-a', 'Call-c']);

    const failed = summary.reports[1]?.manifest as Manifest;
    expect(failed).toMatchObject({
      object: files[1],
      object_id: objectId({ bucket: '', key: files[1] as string }),
      status: 'failed',
      reason: 'internal_error',
      lines_in: 0,
      records: 0,
      rejected: 0,
      skipped: 0,
      outputs: [],
    });
    expect(failed.error).toBe('RangeError: Maximum call stack size exceeded');
    expect(summary.reports[1]?.error).toMatchObject({ code: 'internal_error', cause: expect.any(RangeError) });
    // Where processObject keeps the manifest of a content-routed CloudTrail file.
    const stored = JSON.parse(readFileSync(join(lake, 'manifests/cloudtrail', `${failed.object_id}.json`), 'utf8')) as Manifest;
    expect(stored).toEqual(failed);

    expect(summary.bySource).toEqual([expect.objectContaining({ source: 'cloudtrail', objects: 3, failed: 1, records: 2 })]);
  });

  it('keeps the previous outputs of an object listed and readable when a re-run of it throws', async () => {
    const first = await ingestLocalFiles(files, { lakeDir: lake, options: resolveOptions({}) });
    const before = first.reports[1]?.manifest as Manifest;
    expect(before.outputs).toHaveLength(1);

    const again = await ingestLocalFiles(files, { lakeDir: lake, options: resolveOptions({}), rule: throwingOn('/b.json') });
    const failed = again.reports[1]?.manifest as Manifest;
    expect(failed.status).toBe('failed');
    expect(failed.outputs).toEqual(before.outputs);
    expect(existsSync(join(lake, before.outputs[0]?.key as string))).toBe(true);
    expect(await actions()).toEqual(['Call-a', 'Call-b', 'Call-c']);
  });
});

describe('ingestLocalFiles progress inside an object', () => {
  it('reports the records of the object being read between its chunks, ending at its record count', async () => {
    // More than one read of the local source: events of ~300 bytes, well past one read's size.
    const events = Array.from({ length: 3000 }, (_, i) => ({
      eventVersion: '1.09',
      eventTime: '2024-05-01T10:00:00Z',
      eventName: `Call-${i}`,
      eventSource: 'ec2.amazonaws.com',
      awsRegion: 'eu-west-1',
      eventID: `id-${i}-${'x'.repeat(200)}`,
    }));
    const big = writeInput(dir.path, 'in/big.json', JSON.stringify({ Records: events }));
    const seen: number[] = [];
    const summary = await ingestLocalFiles([big], { lakeDir: lake, options: resolveOptions({}), onObjectRecords: (n) => seen.push(n) });
    expect(summary.reports[0]?.manifest.records).toBe(3000);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe(3000);
  });

  it('names the object each count is of, when several objects run at a time', async () => {
    const bigs = [1000, 2500, 1500, 3000, 2000].map((n, f) =>
      writeInput(
        dir.path,
        `in/big-${f}.json`,
        JSON.stringify({
          Records: Array.from({ length: n }, (_, i) => ({ eventVersion: '1.09', eventTime: '2024-05-01T10:00:00Z', eventName: `Call-${i}`, eventSource: 'ec2.amazonaws.com', awsRegion: 'eu-west-1', eventID: `id-${f}-${i}-${'x'.repeat(200)}` })),
        }),
      ),
    );
    const seen = new Map<number, number[]>();
    const summary = await ingestLocalFiles(bigs, {
      lakeDir: lake,
      options: resolveOptions({ threads: 4 }),
      onObjectRecords: (n, object) => {
        expect(object.key).toBe(bigs[object.index]);
        seen.set(object.index, [...(seen.get(object.index) ?? []), n]);
      },
    });
    expect(summary.reports.map((r) => r.manifest.records)).toEqual([1000, 2500, 1500, 3000, 2000]);
    expect([...seen.keys()].sort()).toEqual([0, 1, 2, 3, 4]);
    for (const [index, counts] of seen) {
      // Each object's own counts only: from its first chunk up to its own total, never another's.
      expect(counts, bigs[index]).toEqual([...counts].sort((a, b) => a - b));
      expect(counts.at(-1), bigs[index]).toBe(summary.reports[index]?.manifest.records);
    }
  });
});
