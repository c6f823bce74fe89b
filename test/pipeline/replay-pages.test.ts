/**
 * The replay lister over pages of three entries: continuation tokens and `StartAfter` jumps in
 * the middle of a page, which the three-year s3rver history never reaches (s3rver's
 * ListObjectsV2 continuation tokens need DES, which Node's OpenSSL 3 refuses, so listings there
 * stay under 1,000 keys). The in-memory pages follow S3's rules: keys and common prefixes in
 * one key order, at most `MAX` of them per page, `StartAfter` ignored under a token.
 */
import { describe, expect, it } from 'vitest';
import { LIST_CONCURRENCY, listRange, type ListPage, type ListPages, type ListRequest } from '../../pipeline/replay/list.js';
import { expectedInRange, historyKeys } from '../helpers/replay-history.js';

const MAX = 3;

class MemoryPages implements ListPages {
  readonly requests: ListRequest[] = [];
  constructor(private readonly keys: readonly string[]) {}

  async page(req: ListRequest): Promise<ListPage> {
    this.requests.push(req);
    const after = req.continuationToken ?? req.startAfter ?? '';
    const entries: { key: string; prefix: boolean }[] = [];
    for (const key of this.keys) {
      if (!key.startsWith(req.prefix)) continue;
      const cut = req.delimiter !== undefined ? key.indexOf(req.delimiter, req.prefix.length) : -1;
      const entry = cut === -1 ? { key, prefix: false } : { key: key.slice(0, cut + 1), prefix: true };
      if (entry.key <= after && !(entry.prefix && after.startsWith(entry.key) && key > after)) continue;
      if (entries.at(-1)?.key === entry.key) continue;
      entries.push(entry);
    }
    const page = entries.slice(0, MAX);
    const more = entries.length > MAX;
    const last = page.at(-1);
    return {
      keys: page.filter((e) => !e.prefix).map((e) => ({ key: e.key, size: 1, etag: '"e"', lastModifiedMs: 0 })),
      prefixes: page.filter((e) => e.prefix).map((e) => e.key),
      // A token past a common prefix skips everything under it, as S3's does.
      ...(more && last ? { nextToken: last.prefix ? `${last.key}\uffff` : last.key } : {}),
    };
  }
}

describe('listRange over small pages', () => {
  const keys = historyKeys({ from: '2023-05-20', days: 60, accounts: 3, orgAccounts: 1, regions: ['us-east-1', 'eu-west-1'], every: 1 });
  const sorted = keys.map((k) => k.key).sort();

  it.each([
    ['2023-06-10', '2023-06-16'],
    ['2023-05-31', '2023-06-02'],
    ['2023-05-20', '2023-07-18'],
  ])('%s..%s lists exactly the range', async (from, to) => {
    const pages = new MemoryPages(sorted);
    const listing = await listRange(pages, '', { range: { from, to } });
    expect(listing.objects.map((o) => ({ key: o.key, day: o.day }))).toEqual(expectedInRange(keys, from, to));
    expect(pages.requests.some((r) => r.continuationToken !== undefined)).toBe(true);
  });

  it(`lists at most ${LIST_CONCURRENCY} prefixes at once`, async () => {
    const inner = new MemoryPages(sorted);
    let open = 0;
    let peak = 0;
    const slow: ListPages = {
      async page(req) {
        open++;
        peak = Math.max(peak, open);
        await new Promise((r) => setTimeout(r, 2));
        open--;
        return inner.page(req);
      },
    };
    const listing = await listRange(slow, '', { range: { from: '2023-06-10', to: '2023-06-16' } });
    expect(listing.objects.length).toBe(expectedInRange(keys, '2023-06-10', '2023-06-16').length);
    expect(peak).toBe(LIST_CONCURRENCY);
  });
});
