/**
 * Replay listing against s3rver with three years of generated history: a range lists only its
 * day folders and dated names (every `ListObjectsV2` call counted through `ListPages`), finds
 * exactly the objects of the range, and filters by source, account and region.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRange, type ListPage, type ListPages, type ListRequest } from '../../pipeline/replay/list.js';
import { S3ListPages } from '../../pipeline/replay/s3-pages.js';
import { accountId, bodySize, DISTRIBUTIONS, expectedInRange, historyKeys, ORG, putHistory, type HistoryKey } from '../helpers/replay-history.js';
import { startLocalS3, type LocalS3 } from '../helpers/s3.js';

/** Counts and records every page request. */
export class CountingPages implements ListPages {
  readonly requests: ListRequest[] = [];
  constructor(private readonly inner: ListPages) {}
  page(request: ListRequest): Promise<ListPage> {
    this.requests.push(request);
    return this.inner.page(request);
  }
}

const BUCKET = 'history';
let s3: LocalS3;
let keys: HistoryKey[];

beforeAll(async () => {
  s3 = await startLocalS3();
  keys = historyKeys();
  await putHistory(s3, BUCKET, keys);
}, 180_000);

afterAll(async () => {
  await s3.stop();
});

const WEEK = { from: '2023-06-10', to: '2023-06-16' };

describe('listRange over a three-year history', () => {
  it('has the generated history the tests assume', () => {
    expect(keys.length).toBeGreaterThan(3000);
    for (const source of ['cloudtrail', 'cloudtrail-digest', 'alb', 'config', 's3access', 'cloudfront', 'cur-manifest']) {
      expect(expectedInRange(keys, WEEK.from, WEEK.to).some((e) => keys.find((k) => k.key === e.key)?.source === source), source).toBe(true);
    }
  });

  it('a one-week range lists exactly the week, touching only its day folders', async () => {
    const pages = new CountingPages(new S3ListPages(s3.client, BUCKET));
    const listing = await listRange(pages, '', { range: WEEK });
    const expected = expectedInRange(keys, WEEK.from, WEEK.to);
    expect(listing.objects.map((o) => ({ key: o.key, day: o.day }))).toEqual(expected);
    for (const o of listing.objects) {
      const k = keys.find((h) => h.key === o.key) as HistoryKey;
      expect({ key: o.key, source: o.source, account: o.account, region: o.region, size: o.size }).toEqual({ key: k.key, source: k.source, account: k.account, region: k.region, size: bodySize(k.key) });
      expect(o.etag).toMatch(/^"[0-9a-f]{32}"$/);
    }

    // Day folders: one YYYY/MM/ listing per (account, service, region), entered at the week's
    // first day; Config's unpadded day folders one per day. None outside the week.
    const monthCalls = pages.requests.filter((r) => /\/\d{4}\/\d{2}\/$/.test(r.prefix));
    expect(monthCalls).toHaveLength(6 * 2 /* CloudTrail */ + 1 /* digest */ + 1 /* elb */);
    for (const r of monthCalls) expect([r.prefix.endsWith('/2023/06/'), r.startAfter === `${r.prefix}10/`]).toEqual([true, true]);
    const dayCalls = pages.requests.filter((r) => /\/\d{4}\/\d{1,2}\/\d{1,2}\/$/.test(r.prefix));
    expect(dayCalls.map((r) => r.prefix.replace(/.*Config\/us-east-1\//, ''))).toEqual(['2023/6/10/', '2023/6/11/', '2023/6/12/', '2023/6/13/', '2023/6/14/', '2023/6/15/', '2023/6/16/']);
    // Discovery: root, AWSLogs/, the organization, 7 account folders (account 1 delivers its
    // trail through the organization and its ELB logs under AWSLogs/<account>/), their 9
    // service folders, then cf/, s3logs/, billing/ and billing/acme/.
    const delimiterCalls = pages.requests.filter((r) => r.delimiter === '/');
    const services = 6 + 1 + 1 + 1; // CloudTrail per account, digest, elb, Config
    const discovery = 1 + 1 + 1 + 7 + services + 1 + 1 + 1 + 1;
    // Dated names: s3logs/ and cf/ are entered with StartAfter and left at the week's end.
    const dated = pages.requests.filter((r) => r.startAfter !== undefined && r.delimiter === '/');
    expect(dated.map((r) => r.startAfter).sort()).toEqual([
      ...DISTRIBUTIONS.flatMap((d) => [`cf/${d}.${WEEK.from}`, `cf/${d}.9999`]),
      `s3logs/${WEEK.from}`,
      's3logs/9999',
    ].sort());
    // The billing period folder of June 2023, listed whole.
    const period = pages.requests.filter((r) => r.prefix === 'billing/acme/20230601-20230701/');
    expect(period).toHaveLength(1);
    expect(delimiterCalls.length).toBe(discovery + dated.length + period.length);
    expect(pages.requests.length).toBe(monthCalls.length + dayCalls.length + delimiterCalls.length);
    // Against a full listing of the bucket, which takes one call per 1,000 keys.
    expect(pages.requests.length).toBeLessThan(150);
    expect(listing.fallbackPrefixes).toEqual(['AWSLogs/111100002222/Config/']);
  });

  it('filters by source, account and region, pruning the folders of the others', async () => {
    const pages = new CountingPages(new S3ListPages(s3.client, BUCKET));
    const acct = accountId(0);
    const listing = await listRange(pages, '', { range: WEEK, source: 'cloudtrail', account: acct, region: 'us-east-1' });
    const expected = expectedInRange(keys, WEEK.from, WEEK.to).filter((e) => {
      const k = keys.find((h) => h.key === e.key) as HistoryKey;
      return (k.source === 'cloudtrail' || k.source === 'cloudtrail-digest') && k.account === acct && k.region === 'us-east-1';
    });
    expect(listing.objects.map((o) => o.key)).toEqual(expected.map((e) => e.key));
    expect(listing.objects.some((o) => o.key.startsWith(`AWSLogs/${ORG}/`))).toBe(true);
    const monthCalls = pages.requests.filter((r) => /\/\d{4}\/\d{2}\/$/.test(r.prefix));
    expect(monthCalls).toHaveLength(2); // CloudTrail and CloudTrail-Digest of one account and region
  });

  it('a prefix inside AWSLogs/ and a single day work too', async () => {
    const pages = new CountingPages(new S3ListPages(s3.client, BUCKET));
    const listing = await listRange(pages, 'AWSLogs/', { range: { from: '2024-02-29', to: '2024-02-29' } });
    const expected = expectedInRange(keys, '2024-02-29', '2024-02-29').filter((e) => e.key.startsWith('AWSLogs/'));
    expect(listing.objects.map((o) => o.key)).toEqual(expected.map((e) => e.key));
  });

  it.each([
    ['across a year end', '2023-12-29', '2024-01-02'],
    ['a whole month', '2024-02-01', '2024-02-29'],
  ])('a range %s lists exactly its days', async (_, from, to) => {
    const pages = new CountingPages(new S3ListPages(s3.client, BUCKET));
    const listing = await listRange(pages, '', { range: { from, to } });
    expect(listing.objects.map((o) => ({ key: o.key, day: o.day }))).toEqual(expectedInRange(keys, from, to));
  });

  it('a layout it does not know is listed whole and filtered by LastModified, and says so', async () => {
    await s3.put(BUCKET, 'misc/exports/dump-1.json', '{}');
    const pages = new CountingPages(new S3ListPages(s3.client, BUCKET));
    const today = new Date().toISOString().slice(0, 10);
    const listing = await listRange(pages, 'misc/', { range: { from: today, to: today } });
    expect(listing.objects.map((o) => [o.key, o.via])).toEqual([['misc/exports/dump-1.json', 'last-modified']]);
    expect(listing.fallbackPrefixes).toEqual(['misc/exports/']);
    const old = await listRange(pages, 'misc/', { range: { from: '2020-01-01', to: '2020-01-31' } });
    expect(old.objects).toEqual([]);
  });

  it('a date tree (date-partitioned S3 access logs) is listed by the months of the range, years outside it untouched', async () => {
    // S3 server access logs with date-based partitioning: <prefix><account>/<region>/<bucket>/YYYY/MM/DD/<name>.
    const base = 'partitioned/111122223333/eu-west-1/shop-assets/';
    const put: string[] = [];
    for (const day of ['2022-03-04', '2023-06-09', '2023-06-10', '2023-06-16', '2023-06-17', '2023-07-01', '2024-01-01']) {
      const [y, m, d] = day.split('-');
      const key = `${base}${y}/${m}/${d}/${day}-12-15-27-5B4A8C2F9E1D3A7B`;
      put.push(key);
      await s3.put(BUCKET, key, 'x');
    }
    const pages = new CountingPages(new S3ListPages(s3.client, BUCKET));
    const listing = await listRange(pages, 'partitioned/', { range: WEEK });
    expect(listing.objects.map((o) => [o.key, o.day, o.via, o.source])).toEqual([
      [put[2], '2023-06-10', 'day-folder', 's3access'],
      [put[3], '2023-06-16', 'day-folder', 's3access'],
    ]);
    expect(listing.fallbackPrefixes).toEqual([]);
    // Discovery down to the bucket folder, then one month listing entered at the week's first day.
    expect(pages.requests.map((r) => [r.prefix, r.delimiter ?? null, r.startAfter ?? null])).toEqual([
      ['partitioned/', '/', null],
      ['partitioned/111122223333/', '/', null],
      ['partitioned/111122223333/eu-west-1/', '/', null],
      [base, '/', null],
      [`${base}2023/06/`, null, `${base}2023/06/10/`],
    ]);
    const july = await listRange(pages, 'partitioned/', { range: { from: '2023-06-30', to: '2023-07-01' } });
    expect(july.objects.map((o) => o.key)).toEqual([put[5]]);
  });

  it('knows the redshift/ service folder: --source redshift walks it and prunes the other services', async () => {
    const acct = '111122223333';
    const name = (day: string, type: string): string => {
      const [y, m, d] = day.split('-');
      return `rs/AWSLogs/${acct}/redshift/eu-west-1/${y}/${m}/${d}/${acct}_redshift_eu-west-1_dw_${type}_${day}T12:00.gz`;
    };
    const put = [name('2023-06-09', 'userlog'), name('2023-06-12', 'connectionlog'), name('2023-06-12', 'useractivitylog'), name('2023-06-17', 'userlog')];
    for (const key of put) await s3.put(BUCKET, key, 'x');
    await s3.put(BUCKET, `rs/AWSLogs/${acct}/elasticloadbalancing/eu-west-1/2023/06/12/other.log.gz`, 'x');
    const pages = new CountingPages(new S3ListPages(s3.client, BUCKET));
    const listing = await listRange(pages, 'rs/', { range: WEEK, source: 'redshift' });
    expect(listing.objects.map((o) => [o.key, o.day, o.via, o.source])).toEqual([
      [put[1], '2023-06-12', 'day-folder', 'redshift'],
      [put[2], '2023-06-12', 'day-folder', 'redshift'],
    ]);
    expect(pages.requests.some((r) => r.prefix.includes('/elasticloadbalancing/'))).toBe(false);
    // And the other way round: another source never enters redshift/.
    const others = new CountingPages(new S3ListPages(s3.client, BUCKET));
    await listRange(others, 'rs/', { range: WEEK, source: 'alb' });
    expect(others.requests.some((r) => r.prefix.includes('/redshift/'))).toBe(false);
    expect(others.requests.some((r) => r.prefix.includes('/elasticloadbalancing/'))).toBe(true);
  });
});
