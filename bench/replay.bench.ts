/**
 * Replay listing: `ListObjectsV2` calls and keys/s for a one-week range of a three-year,
 * 20-account history (two regions, an organization trail, digests, ELB, Config, S3 access-log
 * and CloudFront names, CUR manifests) against s3rver, versus listing the whole prefix.
 * The history is put into s3rver once per run (~24,000 keys, a few minutes); the call counts do
 * not depend on the machine. s3rver runs in a child process with `--openssl-legacy-provider`:
 * its ListObjectsV2 continuation tokens are DES-encrypted, which OpenSSL 3 (Node 17+) refuses
 * otherwise, so any listing of more than 1,000 keys fails with InternalError.
 * `npm run bench -- replay`.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { listRange, type ListPage, type ListPages, type ListRequest } from '../pipeline/replay/list.js';
import { startReplay } from '../pipeline/replay/producer.js';
import { newRunId, type ReplayParams } from '../pipeline/replay/record.js';
import type { FailedEntry, QueueEntry, ReplayQueue } from '../pipeline/replay/send.js';
import { S3LakeSink } from '../pipeline/storage/s3-sink.js';
import { S3ListPages } from '../pipeline/replay/s3-pages.js';
import { createS3Client } from '../pipeline/storage/aws-clients.js';
import { expectedInRange, historyKeys, type HistoryKey, type HistoryShape } from '../test/helpers/replay-history.js';

const SHAPE: HistoryShape = { from: '2022-01-01', days: 1096, accounts: 20, orgAccounts: 4, regions: ['us-east-1', 'eu-west-1'], every: 2 };
const WEEK = { from: '2023-06-10', to: '2023-06-16' };
const BUCKET = 'history';

class Counting implements ListPages {
  calls = 0;
  constructor(private readonly inner: ListPages) {}
  page(r: ListRequest): Promise<ListPage> {
    this.calls++;
    return this.inner.page(r);
  }
}

async function fullListing(pages: ListPages): Promise<number> {
  let keys = 0;
  let token: string | undefined;
  do {
    const p = await pages.page({ prefix: '', ...(token !== undefined ? { continuationToken: token } : {}) });
    keys += p.keys.length;
    token = p.nextToken;
  } while (token !== undefined);
  return keys;
}

const helper = pathToFileURL(fileURLToPath(new URL('../test/helpers/s3.ts', import.meta.url))).href;
const script = `const { startLocalS3 } = await import(${JSON.stringify(helper)}); const s3 = await startLocalS3(); process.stdout.write(s3.endpoint + '\\n');`;
const child = spawn(process.execPath, ['--openssl-legacy-provider', '--import', 'tsx', '--no-warnings', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
const [line] = (await once(child.stdout, 'data')) as [Buffer];
const client = createS3Client({ endpoint: line.toString().trim(), region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
try {
  const keys = historyKeys(SHAPE);
  let t = performance.now();
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  let next = 0;
  const put = async (): Promise<void> => {
    while (next < keys.length) {
      const k = keys[next++] as HistoryKey;
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: k.key, Body: `x${k.key.length}` }));
    }
  };
  await Promise.all(Array.from({ length: 32 }, put));
  const putSeconds = (performance.now() - t) / 1000;

  const range = new Counting(new S3ListPages(client, BUCKET));
  t = performance.now();
  const listing = await listRange(range, '', { range: WEEK });
  const rangeSeconds = (performance.now() - t) / 1000;

  const full = new Counting(new S3ListPages(client, BUCKET));
  t = performance.now();
  const fullKeys = await fullListing(full);
  const fullSeconds = (performance.now() - t) / 1000;

  const expected = expectedInRange(keys, WEEK.from, WEEK.to).length;
  const out = [
    `replay listing — ${keys.length} keys over ${SHAPE.days} days, ${SHAPE.accounts} accounts × ${SHAPE.regions.length} regions (put in ${putSeconds.toFixed(1)} s)`,
    `  one week ${WEEK.from}..${WEEK.to}: ${range.calls} list calls, ${listing.objects.length} objects (expected ${expected}), ${rangeSeconds.toFixed(2)} s`,
    `  whole prefix:                  ${full.calls} list calls, ${fullKeys} keys, ${fullSeconds.toFixed(2)} s (${Math.round(fullKeys / fullSeconds)} keys/s)`,
    `  whole prefix / week: ${(full.calls / range.calls).toFixed(2)}x the calls, ${(fullSeconds / rangeSeconds).toFixed(1)}x the time`,
  ];
  // At CloudTrail's real density (a file about every 5 minutes per account and region, ~288 a
  // day), the week's calls stay about the same (a month folder holds ~8,600 keys: the week's
  // ~2,000 need 2-3 pages) while the whole prefix needs one call per 1,000 keys.
  const perDay = 288;
  const folders = SHAPE.accounts * SHAPE.regions.length;
  const projectedFull = Math.ceil((folders * perDay * SHAPE.days) / 1000);
  const projectedWeek = range.calls + folders * (Math.ceil((perDay * 7) / 1000) - 1);
  out.push(`  projected at ${perDay} CloudTrail objects/day per account-region (not measured): week ${projectedWeek} vs whole prefix ${projectedFull} calls, ${(projectedFull / projectedWeek).toFixed(0)}x fewer`);

  // The producer: list, decide (one manifest GET per object against a central bucket on the same
  // server, none with force) and enqueue a year of this history into a queue that answers at once,
  // so the figures are the producer's own cost; SQS adds ~10-20 ms per call in-region.
  await client.send(new CreateBucketCommand({ Bucket: 'central' }));
  const lake = new S3LakeSink(client, { bucket: 'central' });
  class NullQueue implements ReplayQueue {
    messages = 0;
    async sendBatch(entries: readonly QueueEntry[]): Promise<readonly FailedEntry[]> {
      this.messages += entries.length;
      return [];
    }
  }
  const year: ReplayParams = { bucket: BUCKET, prefix: '', from: '2023-01-01', to: '2023-12-31', source: null, account: null, region: null, force: false, parserOlderThan: null, rate: null, window: 'month' };
  for (const force of [false, true]) {
    const queue = new NullQueue();
    const pages = new Counting(new S3ListPages(client, BUCKET));
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    t = performance.now();
    const r = await startReplay(newRunId(), 'queue', { ...year, force }, 'bench://null', { pages, lake, queue });
    const secs = (performance.now() - t) / 1000;
    clearInterval(sampler);
    out.push(
      `  producer, one year (2023, ${r.windows} month windows${force ? ', --force: no manifest lookups' : ', one manifest GET per object'}): ${r.listed.objects} listed, ${queue.messages} enqueued in ${r.batches} batches, ` +
        `${pages.calls} list calls, ${secs.toFixed(1)} s = ${Math.round(r.listed.objects / secs)} keys/s listed and decided, ${Math.round(queue.messages / secs)} messages/s; peak RSS ${Math.round(peak / 2 ** 20)} MiB`,
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
} finally {
  client.destroy();
  child.kill();
}
