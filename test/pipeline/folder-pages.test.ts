/** `FolderListPages`: a local copy of a bucket listed as S3 lists it, pages and all. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderListPages, listRange, type ListPage, type ListRequest } from '../../pipeline/index.js';
import { tempDir } from '../helpers/lake.js';

const tmp = tempDir('loglake-folder-pages-');
afterAll(() => tmp.cleanup());

/** 2 accounts x 1,200 files in one day folder, plus files in two other days. */
const KEYS: string[] = [];
beforeAll(() => {
  for (const account of ['111122223333', '444455556666']) {
    for (let i = 0; i < 1200; i++) KEYS.push(`AWSLogs/${account}/CloudTrail/eu-west-1/2024/05/02/f${String(i).padStart(4, '0')}.json.gz`);
    KEYS.push(`AWSLogs/${account}/CloudTrail/eu-west-1/2024/05/01/early.json.gz`, `AWSLogs/${account}/CloudTrail/eu-west-1/2024/05/03/late.json.gz`);
  }
  for (const k of KEYS) {
    mkdirSync(join(tmp.path, ...k.split('/').slice(0, -1)), { recursive: true });
    writeFileSync(join(tmp.path, ...k.split('/')), 'x');
  }
  KEYS.sort();
});

async function all(pages: FolderListPages, req: ListRequest): Promise<{ keys: string[]; prefixes: string[]; calls: number }> {
  const keys: string[] = [];
  const prefixes: string[] = [];
  let calls = 0;
  let token: string | undefined;
  do {
    const p: ListPage = await pages.page({ ...req, ...(token !== undefined ? { continuationToken: token } : {}) });
    calls++;
    expect(p.keys.length + p.prefixes.length).toBeLessThanOrEqual(1000);
    keys.push(...p.keys.map((k) => k.key));
    prefixes.push(...p.prefixes);
    token = p.nextToken;
  } while (token !== undefined);
  return { keys, prefixes, calls };
}

describe('FolderListPages', () => {
  it('lists a prefix whole in key order, 1,000 keys a page, with sizes', async () => {
    const pages = new FolderListPages(tmp.path);
    const r = await all(pages, { prefix: 'AWSLogs/' });
    expect(r.keys).toEqual(KEYS);
    expect(r.calls).toBe(3);
    expect((await pages.page({ prefix: KEYS[0] as string })).keys[0]).toMatchObject({ key: KEYS[0], size: 1 });
  });

  it('with a delimiter, one level: keys there and the sub-folders as common prefixes', async () => {
    const r = await all(new FolderListPages(tmp.path), { prefix: 'AWSLogs/', delimiter: '/' });
    expect(r).toEqual({ keys: [], prefixes: ['AWSLogs/111122223333/', 'AWSLogs/444455556666/'], calls: 1 });
    const part = await all(new FolderListPages(tmp.path), { prefix: 'AWSLogs/4444', delimiter: '/' });
    expect(part.prefixes).toEqual(['AWSLogs/444455556666/']);
  });

  it('StartAfter skips what sorts before it; a missing folder lists nothing', async () => {
    const month = 'AWSLogs/111122223333/CloudTrail/eu-west-1/2024/05/';
    const r = await all(new FolderListPages(tmp.path), { prefix: month, startAfter: `${month}02/f1100.json.gz` });
    expect(r.keys).toEqual(KEYS.filter((k) => k.startsWith(month) && k > `${month}02/f1100.json.gz`));
    expect((await all(new FolderListPages(tmp.path), { prefix: 'nothing/here/' })).keys).toEqual([]);
  });

  it('drives the range lister as S3 does: only the days in range', async () => {
    const listing = await listRange(new FolderListPages(tmp.path), '', { range: { from: '2024-05-02', to: '2024-05-02' }, account: '444455556666' });
    expect(listing.objects.map((o) => o.key)).toEqual(KEYS.filter((k) => k.includes('444455556666') && k.includes('/2024/05/02/')));
    expect(listing.fallbackPrefixes).toEqual([]);
  });
});
