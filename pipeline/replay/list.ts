/**
 * Room `pipeline/replay/`: the producer side of replays. This file lists the objects of a date
 * range under a bucket prefix while listing only what the range needs:
 * - AWS's `AWSLogs/[o-org/]<account>/<service>/<region>/YYYY/MM/DD/` layouts: accounts, services
 *   and regions discovered with `Delimiter: '/'` listings, then one `YYYY/MM/` listing per month
 *   of the range, entered at its first day with `StartAfter` and left after its last;
 * - names that begin with a date (S3 server access logs `YYYY-MM-DD-HH-MM-SS-…`, CloudFront
 *   `<dist>.YYYY-MM-DD-HH.…`): `StartAfter` jumps to the range's first day, stop after its last;
 * - CUR billing-period folders (`YYYYMMDD-YYYYMMDD/`): whole, when the period meets the range;
 * - anything else: a full listing filtered by `LastModified`, which the result reports.
 * `skip.ts` decides which listed objects need replaying. S3 is reached only through `ListPages`
 * (the S3 implementation, `s3-pages.ts`, goes out through `pipeline/aws.ts`).
 */
import { DEFAULT_REGISTRY, routeByKey, type Registry } from '../route/route.js';

/** One `ListObjectsV2` request. */
export interface ListRequest {
  readonly prefix: string;
  readonly delimiter?: string;
  readonly startAfter?: string;
  readonly continuationToken?: string;
}

export interface ListedKey {
  readonly key: string;
  readonly size: number;
  readonly etag: string | null;
  readonly lastModifiedMs: number | null;
}

/** One page of a listing, keys and common prefixes each in key order. */
export interface ListPage {
  readonly keys: readonly ListedKey[];
  readonly prefixes: readonly string[];
  readonly nextToken?: string;
}

/** Lists one page of one bucket: the only way the lister reaches S3. */
export interface ListPages {
  page(request: ListRequest): Promise<ListPage>;
}

/** A date range of whole UTC days, both ends included, as `YYYY-MM-DD`. */
export interface DayRange {
  readonly from: string;
  readonly to: string;
}

export interface ListFilter {
  readonly range: DayRange;
  /** Keep only objects whose key routes to this source (or one of its ignorables). */
  readonly source?: string;
  /** Walk only these `AWSLogs/<account>/<service>/` folders (`CloudTrail-Digest` for `loglake verify`). */
  readonly services?: readonly string[];
  readonly account?: string;
  readonly region?: string;
}

/** A listed object in range, with what its key says about it. */
export interface Candidate extends ListedKey {
  /** The source (or ignorable name, e.g. `cloudtrail-digest`) its key routes to; `unknown` when content would decide. */
  readonly source: string;
  readonly account: string | null;
  readonly region: string | null;
  /** `YYYY-MM-DD` from the key, or from `LastModified` under the fallback. */
  readonly day: string;
  /** How it was found: an AWS day folder, a dated name, or the `LastModified` fallback. */
  readonly via: 'day-folder' | 'dated-name' | 'last-modified';
  /**
   * First day of the billing period a CUR key's folder covers, which may lie before the range
   * (`day` is then the range's first day): a producer working a range window by window keeps
   * such a key in one window only.
   */
  readonly periodStart?: string;
}

export interface Listing {
  readonly objects: Candidate[];
  /** Prefixes listed whole and filtered by `LastModified` because no known layout fitted. */
  readonly fallbackPrefixes: string[];
}

/** Prefixes listed at once. */
export const LIST_CONCURRENCY = 8;

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** Whether `text` is a real calendar day `YYYY-MM-DD`. */
export function isDay(text: string): boolean {
  if (!DAY.test(text)) return false;
  const t = Date.parse(`${text}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === text;
}

/** Every day of the range, in order. */
export function daysOf(range: DayRange): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${range.from}T00:00:00Z`), end = Date.parse(`${range.to}T00:00:00Z`); t <= end; t += DAY_MS) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

const inRange = (day: string, r: DayRange): boolean => day >= r.from && day <= r.to;

/** `AWSLogs/` services → the sources they hold, for `--source` pruning; unknown services are always walked. */
const SERVICE_SOURCES: Readonly<Record<string, readonly string[]>> = {
  CloudTrail: ['cloudtrail'],
  'CloudTrail-Digest': ['cloudtrail'],
  'CloudTrail-Insight': ['cloudtrail'],
  elasticloadbalancing: ['alb', 'elb', 'nlb'],
  Config: ['config'],
  vpcflowlogs: ['vpcflow'],
  redshift: ['redshift'],
};

/** Services whose day folders are not zero-padded (`2024/3/7/`). */
const UNPADDED = new Set(['Config']);

const ACCOUNT = /^\d{12}$/;
/** A year folder of a date tree. */
const YEAR = /^(?:19|20)\d{2}$/;
const ORG = /^o-[a-z0-9]{10,32}$/;
const REGION = /^[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d$/;
/** S3 server access log names: `YYYY-MM-DD-HH-MM-SS-<unique>`. */
const S3_ACCESS_NAME = /^(\d{4}-\d{2}-\d{2})-\d{2}-\d{2}-\d{2}-[0-9A-Za-z]+$/;
/** CloudFront standard logs: `<distribution>.YYYY-MM-DD-HH.<unique>[.gz]`. */
const CLOUDFRONT_NAME = /^([A-Z0-9]+)\.(\d{4}-\d{2}-\d{2})-\d{2}\.[0-9a-zA-Z]+(?:\.gz)?$/;

/** Runs `tasks` with at most `limit` at once; tasks may add more tasks; the first failure ends the pool. */
export class Pool {
  private running = 0;
  private readonly waiting: (() => Promise<void>)[] = [];
  private failure: unknown = null;
  private done: (() => void) | null = null;
  private fail: ((e: unknown) => void) | null = null;

  constructor(private readonly limit: number) {}

  add(task: () => Promise<void>): void {
    this.waiting.push(task);
    this.pump();
  }

  private pump(): void {
    while (this.running < this.limit && this.waiting.length > 0 && this.failure === null) {
      const task = this.waiting.shift() as () => Promise<void>;
      this.running++;
      task().then(
        () => {
          this.running--;
          this.pump();
        },
        (e: unknown) => {
          this.running--;
          if (this.failure === null) this.failure = e;
          this.fail?.(e);
        },
      );
    }
    if (this.running === 0 && (this.waiting.length === 0 || this.failure !== null)) {
      if (this.failure !== null) this.fail?.(this.failure);
      else this.done?.();
    }
  }

  idle(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.done = resolve;
      this.fail = reject;
      this.pump();
    });
  }
}

/**
 * The objects of `bucket`'s `prefix` (`''` or ending in `/`) in `filter.range`, listing only the
 * day folders and dated names in range where the layout allows.
 */
export async function listRange(pages: ListPages, prefix: string, filter: ListFilter, opts: { concurrency?: number; registry?: Registry } = {}): Promise<Listing> {
  const registry = opts.registry ?? DEFAULT_REGISTRY;
  const objects: Candidate[] = [];
  const fallbackPrefixes: string[] = [];
  const pool = new Pool(opts.concurrency ?? LIST_CONCURRENCY);
  /** Folders whose year sub-folders are walked as a date tree. */
  const dated = new Set<string>();
  const { range } = filter;

  const keep = (k: ListedKey, day: string, via: Candidate['via'], periodStart?: string): void => {
    const route = routeByKey(k.key, registry);
    const source = route?.kind === 'parse' ? route.parser.source : route?.kind === 'ignore' ? ignorableSource(route.name, registry) : 'unknown';
    const name = route?.kind === 'ignore' ? route.name : source;
    if (filter.source !== undefined && source !== filter.source) return;
    const { account, region } = accountRegion(k.key);
    if (filter.account !== undefined && account !== null && account !== filter.account) return;
    if (filter.region !== undefined && region !== null && region !== filter.region) return;
    objects.push({ ...k, source: name, account, region, day, via, ...(periodStart !== undefined ? { periodStart } : {}) });
  };

  /** Every page of one request, in order. */
  const each = async (req: ListRequest, onPage: (p: ListPage) => boolean | void): Promise<void> => {
    let token: string | undefined;
    do {
      const p = await pages.page({ ...req, ...(token !== undefined ? { continuationToken: token } : {}) });
      if (onPage(p) === false) return;
      token = p.nextToken;
    } while (token !== undefined);
  };

  /** Everything under `p` (no delimiter), kept by the day its day folder says. */
  const dayFolder = (p: string, day: string): void =>
    pool.add(() => each({ prefix: p }, (page) => {
      for (const k of page.keys) keep(k, day, 'day-folder');
    }));

  /**
   * `AWSLogs/<account>/<service>/<region>/`: per month of the range, its `YYYY/MM/` folder from
   * the range's first day in it (`StartAfter`) up to its last, paging only while keys are in
   * range; services with unpadded day folders (Config: `2024/3/7/`, not in key order) get one
   * listing per day instead.
   */
  const region = (p: string, service: string): void => {
    if (UNPADDED.has(service)) {
      for (const day of daysOf(range)) {
        const [y, m, d] = day.split('-') as [string, string, string];
        dayFolder(`${p}${y}/${Number(m)}/${Number(d)}/`, day);
      }
      return;
    }
    dayTree(p);
  };

  /**
   * `<p>YYYY/MM/DD/…` (zero-padded): per month of the range, one listing of its `YYYY/MM/` folder
   * from the range's first day in it (`StartAfter`) up to its last, paging only while keys are in range.
   */
  const dayTree = (p: string): void => {
    const months = new Map<string, string[]>();
    for (const day of daysOf(range)) {
      const month = day.slice(0, 7);
      months.set(month, [...(months.get(month) ?? []), day]);
    }
    for (const [month, inMonth] of months) {
      const folder = `${p}${month.replace('-', '/')}/`;
      const first = inMonth[0] as string;
      const last = inMonth[inMonth.length - 1] as string;
      const startAfter = first.endsWith('-01') ? {} : { startAfter: `${folder}${first.slice(8)}/` };
      pool.add(() => each({ prefix: folder, ...startAfter }, (page) => {
        for (const k of page.keys) {
          const d = /^(\d{2})\//.exec(k.key.slice(folder.length))?.[1];
          if (d === undefined) continue;
          const day = `${month}-${d}`;
          if (day > last) return false;
          if (day >= first) keep(k, day, 'day-folder');
        }
        return true;
      }));
    }
  };

  /** Children of a folder through a delimiter listing; keys directly in it go to the fallback filter. */
  const children = (p: string, onChild: (name: string, child: string) => void): void =>
    pool.add(() => each({ prefix: p, delimiter: '/' }, (page) => {
      if (page.keys.length > 0 && !fallbackPrefixes.includes(p)) fallbackPrefixes.push(p);
      lastModifiedFilter(page.keys);
      for (const c of page.prefixes) onChild(c.slice(p.length, -1), c);
    }));

  const lastModifiedFilter = (keys: readonly ListedKey[]): void => {
    for (const k of keys) {
      const day = k.lastModifiedMs === null ? null : new Date(k.lastModifiedMs).toISOString().slice(0, 10);
      if (day !== null && inRange(day, range)) keep(k, day, 'last-modified');
    }
  };

  const account = (p: string): void =>
    children(p, (service, child) => {
      const sources = SERVICE_SOURCES[service];
      if (filter.source !== undefined && sources !== undefined && !sources.includes(filter.source)) return;
      if (filter.services !== undefined && !filter.services.includes(service)) return;
      children(child, (name, regionPrefix) => {
        if (!REGION.test(name)) return fallback(regionPrefix);
        if (filter.region === undefined || filter.region === name) region(regionPrefix, service);
      });
    });

  /** `AWSLogs/`: accounts, or organization folders holding accounts. */
  const awsLogs = (p: string): void =>
    children(p, (name, child) => {
      if (ORG.test(name)) {
        children(child, (acct, acctPrefix) => {
          if (!ACCOUNT.test(acct)) return fallback(acctPrefix);
          if (filter.account === undefined || filter.account === acct) account(acctPrefix);
        });
      } else if (ACCOUNT.test(name)) {
        if (filter.account === undefined || filter.account === name) account(child);
      } else fallback(child);
    });

  /** A full listing of `p` filtered by `LastModified`. */
  const fallback = (p: string): void => {
    fallbackPrefixes.push(p);
    pool.add(() => each({ prefix: p }, (page) => lastModifiedFilter(page.keys)));
  };

  /**
   * A folder of unknown layout: its sub-folders are walked the same way, and runs of dated names
   * directly in it are entered at the range's first day with `StartAfter` and left at its last.
   */
  const folder = (p: string, period?: string): void =>
    pool.add(async () => {
      let startAfter: string | undefined;
      let undated = false;
      const seen = new Set<string>();
      for (;;) {
        let jump: string | undefined;
        await each({ prefix: p, delimiter: '/', ...(startAfter !== undefined ? { startAfter } : {}) }, (page) => {
          for (const c of page.prefixes) {
            if (startAfter !== undefined && c <= startAfter) continue;
            if (seen.has(c)) continue;
            seen.add(c);
            const name = c.slice(p.length, -1);
            if (YEAR.test(name) && period === undefined) {
              // A date tree (date-partitioned S3 access logs, Firehose, custom exports): walked
              // once per folder holding years, by the months of the range.
              if (!dated.has(p)) {
                dated.add(p);
                dayTree(p);
              }
            } else if (name === 'AWSLogs') awsLogs(c);
            else if (!outsidePeriod(name, range)) folder(c, period ?? periodStartOf(name));
          }
          for (const k of page.keys) {
            const name = k.key.slice(p.length);
            const access = S3_ACCESS_NAME.exec(name);
            const cf = access ? null : CLOUDFRONT_NAME.exec(name);
            const day = access?.[1] ?? cf?.[2];
            if (day === undefined && period !== undefined) {
              keep(k, period < range.from ? range.from : period, 'dated-name', period);
              continue;
            }
            if (day === undefined) {
              undated = true;
              lastModifiedFilter([k]);
              continue;
            }
            const stem = cf ? `${p}${cf[1] as string}.` : p;
            if (day < range.from) {
              jump = `${stem}${range.from}`;
              return false;
            }
            if (day > range.to) {
              jump = `${stem}9999`;
              return false;
            }
            keep(k, day, 'dated-name');
          }
          return true;
        });
        if (jump === undefined || (startAfter !== undefined && jump <= startAfter)) break;
        startAfter = jump;
      }
      if (undated) fallbackPrefixes.push(p);
    });

  if (prefix === 'AWSLogs/' || prefix.endsWith('/AWSLogs/')) awsLogs(prefix);
  else folder(prefix);
  await pool.idle();
  objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  fallbackPrefixes.sort();
  return { objects, fallbackPrefixes };
}

/** Whether `name` is a CUR billing period folder `YYYYMMDD-YYYYMMDD` (end exclusive) that misses the range. */
function outsidePeriod(name: string, range: DayRange): boolean {
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{4})(\d{2})(\d{2})$/.exec(name);
  if (!m) return false;
  const start = `${m[1]}-${m[2]}-${m[3]}`;
  const end = `${m[4]}-${m[5]}-${m[6]}`;
  return end <= range.from || start > range.to;
}

/** The first day of a CUR billing period folder `YYYYMMDD-YYYYMMDD`; undefined for other names. */
function periodStartOf(name: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})-\d{8}$/.exec(name);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : undefined;
}

function ignorableSource(name: string, registry: Registry): string {
  return registry.ignorables.find((i) => i.name === name)?.source ?? 'unknown';
}

/** Account and region of an `AWSLogs/[o-org/]<account>/<service>/<region>/` key. */
function accountRegion(key: string): { account: string | null; region: string | null } {
  const m = /(?:^|\/)AWSLogs\/(?:o-[a-z0-9]+\/)?(\d{12})\/[^/]+\/(?:([a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d)\/)?/.exec(key);
  return { account: m?.[1] ?? null, region: m?.[2] ?? null };
}
