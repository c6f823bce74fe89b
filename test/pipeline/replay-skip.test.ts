/**
 * The replay skip rules, one case per manifest situation: what the default skips as unchanged,
 * what `force` and `parserOlderThan` select, and the count per rule.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Candidate } from '../../pipeline/replay/list.js';
import { parseParserVersion, selectForReplay } from '../../pipeline/replay/skip.js';
import { parserById } from '../../pipeline/route/route.js';
import { manifestKey, objectId } from '../../pipeline/run/identity.js';
import { LocalLakeSink } from '../../pipeline/storage/local-storage.js';
import { tempDir } from '../helpers/lake.js';

const BUCKET = 'src';
const dir = tempDir('loglake-replay-skip-');
afterAll(() => dir.cleanup());
const lake = new LocalLakeSink(dir.path);
const CT = parserById('cloudtrail');
const CURRENT = `cloudtrail@${CT?.version}`;

function candidate(key: string, etag: string | null, source = 'cloudtrail'): Candidate {
  return { key, size: 10, etag, lastModifiedMs: 0, source, account: null, region: null, day: '2024-05-01', via: 'day-folder' };
}

async function manifest(folder: string, key: string, fields: Record<string, unknown>): Promise<void> {
  const m = { manifest_version: 1, bucket: BUCKET, key, outputs: [], errors_output: null, status: 'ok', etag: '"e1"', parser_id: 'cloudtrail', parser_version: CURRENT, routed_by: 'key', reason: null, ...fields };
  await lake.put(manifestKey(folder, objectId({ bucket: BUCKET, key })), JSON.stringify(m));
}

const cases: [string, Candidate, (() => Promise<void>) | null, boolean][] = [
  ['no manifest', candidate('a/none.json.gz', '"e1"'), null, false],
  ['same ETag, current parser', candidate('a/same.json.gz', '"e1"'), () => manifest('cloudtrail', 'a/same.json.gz', {}), true],
  ['other ETag', candidate('a/changed.json.gz', '"e2"'), () => manifest('cloudtrail', 'a/changed.json.gz', {}), false],
  ['older parser version', candidate('a/old.json.gz', '"e1"'), () => manifest('cloudtrail', 'a/old.json.gz', { parser_version: 'cloudtrail@0' }), false],
  ['failed run', candidate('a/failed.json.gz', '"e1"'), () => manifest('cloudtrail', 'a/failed.json.gz', { status: 'failed' }), false],
  ['partial run', candidate('a/partial.json.gz', '"e1"'), () => manifest('cloudtrail', 'a/partial.json.gz', { status: 'partial' }), false],
  ['ignored by key (no ETag)', candidate('a/digest.json.gz', '"e1"', 'cloudtrail-digest'), () => manifest('cloudtrail-digest', 'a/digest.json.gz', { status: 'ignored', etag: null, parser_id: null, parser_version: null, reason: 'cloudtrail-digest' }), true],
  // A key content decided: the manifest sits under the source content chose, not the key's.
  // A key that routes by itself is looked up in its own folder only (one GET per object).
  ['routed by key, manifest only in another folder', candidate('a/pinned.json.gz', '"e1"'), () => manifest('alb', 'a/pinned.json.gz', {}), false],
  ['routed by content, found in another folder', candidate('misc/x.log', '"e1"', 'unknown'), () => manifest('cloudtrail', 'misc/x.log', { routed_by: 'content' }), true],
];

describe('selectForReplay', () => {
  it('skips exactly the unchanged objects by default', async () => {
    for (const [, , write] of cases) await write?.();
    const s = await selectForReplay(cases.map((c) => c[1]), BUCKET, lake);
    expect(s.skipped.map((c) => c.key)).toEqual(cases.filter((c) => c[3]).map((c) => c[1].key));
    expect(s.replay.map((c) => c.key)).toEqual(cases.filter((c) => !c[3]).map((c) => c[1].key));
    expect(s.skippedBy).toEqual({ unchanged: 3, 'not-older-parser': 0 });
  });

  it('force and a missing lake replay everything', async () => {
    for (const s of [await selectForReplay(cases.map((c) => c[1]), BUCKET, lake, { force: true }), await selectForReplay(cases.map((c) => c[1]), BUCKET, null)]) {
      expect(s.replay).toHaveLength(cases.length);
      expect(s.skippedBy).toEqual({ unchanged: 0, 'not-older-parser': 0 });
    }
  });

  it('parserOlderThan selects exactly the objects an older version of that parser wrote', async () => {
    const s = await selectForReplay(cases.map((c) => c[1]), BUCKET, lake, { parserOlderThan: { id: 'cloudtrail', version: CT?.version ?? 1 } });
    expect(s.replay.map((c) => c.key)).toEqual(['a/old.json.gz']);
    expect(s.skippedBy).toEqual({ unchanged: 0, 'not-older-parser': cases.length - 1 });
    const alb = await selectForReplay(cases.map((c) => c[1]), BUCKET, lake, { parserOlderThan: { id: 'alb', version: 99 } });
    expect(alb.replay).toEqual([]);
  });

  it('parseParserVersion names what is wrong', () => {
    expect(parseParserVersion('cloudtrail@3')).toEqual({ id: 'cloudtrail', version: 3 });
    expect(parseParserVersion('cloudtrail')).toMatch(/expected <parser-id>@<version>/);
    expect(parseParserVersion('nope@1')).toMatch(/^unknown parser "nope"; known: .*cloudtrail/);
  });
});
