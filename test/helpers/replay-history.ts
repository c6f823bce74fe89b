/**
 * A generated bucket history for replay tests and the replay bench: years of keys in AWS's
 * layouts (AWSLogs accounts and an organization trail (which, as in AWS, holds only CloudTrail), CloudTrail digests, ELB, Config with its
 * unpadded day folders and write check, S3 access-log and CloudFront names, CUR manifests), each
 * with the day its layout says. Bodies are tiny placeholders: listing never reads them.
 */
import type { LocalS3 } from './s3.js';

export interface HistoryKey {
  readonly key: string;
  /** `YYYY-MM-DD` the key's layout says, or null when only `LastModified` can place it. */
  readonly day: string | null;
  /** The source (or ignorable name) its key routes to. */
  readonly source: string;
  readonly account: string | null;
  readonly region: string | null;
  /** CUR billing period folders: the period is [day, periodEnd). */
  readonly periodEnd?: string;
}

export interface HistoryShape {
  readonly from: string;
  readonly days: number;
  readonly accounts: number;
  /** Accounts of those that deliver through an organization trail. */
  readonly orgAccounts: number;
  readonly regions: readonly string[];
  /** One CloudTrail object per account and region every `every` days. */
  readonly every: number;
}

export const DEFAULT_SHAPE: HistoryShape = { from: '2022-01-01', days: 1096, accounts: 6, orgAccounts: 2, regions: ['us-east-1', 'eu-west-1'], every: 5 };

const DAY_MS = 86_400_000;
export const ORG = 'o-a1b2c3d4e5';
export const DISTRIBUTIONS = ['E2EXAMPLE1WEB', 'E3EXAMPLE2API'] as const;

export function accountId(i: number): string {
  return String(111100000000 + i * 1111).padStart(12, '0');
}

/** Every key of the history, in key order. */
export function historyKeys(shape: HistoryShape = DEFAULT_SHAPE): HistoryKey[] {
  const keys: HistoryKey[] = [];
  const start = Date.parse(`${shape.from}T00:00:00Z`);
  for (let d = 0; d < shape.days; d++) {
    const day = new Date(start + d * DAY_MS).toISOString().slice(0, 10);
    const [y, m, dd] = day.split('-') as [string, string, string];
    const compact = `${y}${m}${dd}`;
    for (let a = 0; a < shape.accounts; a++) {
      const acct = accountId(a);
      const root = a < shape.orgAccounts ? `AWSLogs/${ORG}/${acct}` : `AWSLogs/${acct}`;
      shape.regions.forEach((region, r) => {
        if ((d + a + r) % shape.every === 0) {
          keys.push({ key: `${root}/CloudTrail/${region}/${y}/${m}/${dd}/${acct}_CloudTrail_${region}_${compact}T1010Z_abc${d}.json.gz`, day, source: 'cloudtrail', account: acct, region });
        }
        if (a === 0 && r === 0 && d % shape.every === 0) {
          keys.push({ key: `${root}/CloudTrail-Digest/${region}/${y}/${m}/${dd}/${acct}_CloudTrail-Digest_${region}_trail_${region}_${compact}T110000Z.json.gz`, day, source: 'cloudtrail-digest', account: acct, region });
        }
        if (a === 1 && r === 0 && d % 10 === 0) {
          keys.push({ key: `AWSLogs/${acct}/elasticloadbalancing/${region}/${y}/${m}/${dd}/${acct}_elasticloadbalancing_${region}_app.web.50dc6c495c0c9188_${compact}T1200Z_10.0.0.1_abc${d}.log.gz`, day, source: 'alb', account: acct, region });
        }
        if (a === 2 && r === 0 && d % 10 === 0) {
          keys.push({ key: `AWSLogs/${acct}/Config/${region}/${y}/${Number(m)}/${Number(dd)}/ConfigHistory/${acct}_Config_${region}_ConfigHistory_AWS::EC2::Instance_${compact}T120000Z_${compact}T130000Z_1.json.gz`, day, source: 'config', account: acct, region });
        }
      });
    }
    if (d % 3 === 0) keys.push({ key: `s3logs/${day}-12-15-27-5B4A8C2F9E1D${String(d % 10000).padStart(4, '0')}`, day, source: 's3access', account: null, region: null });
    if (d % 4 === 0) {
      for (const dist of DISTRIBUTIONS) keys.push({ key: `cf/${dist}.${day}-12.a1b2c3d${d}.gz`, day, source: 'cloudfront', account: null, region: null });
    }
    if (dd === '01') {
      const next = new Date(Date.UTC(Number(y), Number(m), 1)).toISOString().slice(0, 10).replace(/-/g, '');
      keys.push({ key: `billing/acme/${compact}-${next}/acme-Manifest.json`, day, source: 'cur-manifest', account: null, region: null, periodEnd: `${next.slice(0, 4)}-${next.slice(4, 6)}-${next.slice(6)}` });
    }
  }
  keys.push({ key: `AWSLogs/${accountId(2)}/Config/ConfigWritabilityCheckFile`, day: null, source: 'config-writability-check', account: accountId(2), region: null });
  return keys.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * The keys a replay of `[from, to]` must list, with the day it reports: dated keys whose day is
 * in range, CUR keys whose period meets it (at the later of the period start and `from`).
 */
export function expectedInRange(keys: readonly HistoryKey[], from: string, to: string): { key: string; day: string }[] {
  return keys.flatMap((k) => {
    if (k.day === null) return [];
    if (k.periodEnd !== undefined) return k.periodEnd > from && k.day <= to ? [{ key: k.key, day: k.day < from ? from : k.day }] : [];
    return k.day >= from && k.day <= to ? [{ key: k.key, day: k.day }] : [];
  });
}

/** Bytes of the placeholder body `putHistory` writes for `key`. */
export const bodySize = (key: string): number => `x${key.length}`.length;

/** Puts every key of the history into `bucket` (created), `concurrency` at a time. */
export async function putHistory(s3: LocalS3, bucket: string, keys: readonly HistoryKey[], concurrency = 16): Promise<void> {
  await s3.createBucket(bucket);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < keys.length) {
      const k = keys[next++] as HistoryKey;
      await s3.put(bucket, k.key, `x${k.key.length}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
