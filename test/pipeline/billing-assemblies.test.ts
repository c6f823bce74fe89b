/**
 * Two versions of one billing report through the real pipeline into a local lake: a DBR
 * rewritten under the same key, and CUR versions (assemblies) delivered under new keys.
 */
import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { curKeyOf } from '../../pipeline/formats/billing-assemblies.js';
import { LakeQuery } from '../../query/lake-query.js';
import { filesUnder, runLocal, tempDir, writeInput } from '../helpers/lake.js';

const CUR_HEADER = [
  'identity/LineItemId',
  'bill/PayerAccountId',
  'bill/BillingPeriodStartDate',
  'lineItem/UsageAccountId',
  'lineItem/LineItemType',
  'lineItem/UsageStartDate',
  'lineItem/ProductCode',
  'lineItem/UnblendedCost',
  'lineItem/CurrencyCode',
  'resourceTags/user:Team',
];

/** A gzipped CUR file with one row per [id, day of March 2024, cost]. */
function curFile(rows: ReadonlyArray<readonly [string, number, number]>): Buffer {
  const lines = rows.map(([id, day, cost]) =>
    [id, '111122223333', '2024-03-01T00:00:00Z', '444455556666', 'Usage', `2024-03-${String(day).padStart(2, '0')}T00:00:00Z`, 'AmazonEC2', String(cost), 'USD', 'web'].join(','),
  );
  return gzipSync(`${CUR_HEADER.join(',')}\n${lines.join('\n')}\n`);
}

const PERIOD = '20240301-20240401';
const REPORT = 'acme-cur';

interface Lake {
  rows: number;
  total: number;
  ids: string[];
  days: string[];
}

async function lakeState(lake: string): Promise<Lake> {
  const q = await LakeQuery.open(lake);
  try {
    const r = (await q.rows('SELECT count(*)::INTEGER AS n, coalesce(sum(amount), 0) AS total FROM events')).rows[0] as { n: number; total: number };
    const ids = (await q.rows('SELECT request_id FROM events ORDER BY request_id')).rows.map((x) => x.request_id as string);
    const days = (await q.rows('SELECT DISTINCT dt FROM events ORDER BY dt')).rows.map((x) => x.dt as string);
    return { rows: r.n, total: Math.round(r.total * 100) / 100, ids, days };
  } finally {
    q.close();
  }
}

describe('curKeyOf', () => {
  it('reads report, period and assembly folder from a CUR key', () => {
    expect(curKeyOf('p/acme-cur/20240301-20240401/0a1b-2c/acme-cur-1.csv.gz')).toEqual({
      base: 'p/acme-cur',
      report: 'acme-cur',
      period: '20240301-20240401',
      assembly: '0a1b-2c',
      file: 'acme-cur-1.csv.gz',
    });
    expect(curKeyOf('acme-cur/20240301-20240401/acme-cur-Manifest.json')).toMatchObject({ assembly: null, file: 'acme-cur-Manifest.json' });
    expect(curKeyOf('AWSLogs/123456789012/CloudTrail/us-east-1/2024/03/01/x.json.gz')).toBeNull();
    expect(curKeyOf('other/20240301-20240401/acme-cur-1.csv.gz')).toBeNull();
  });
});

describe('CUR assemblies: a new report version replaces the previous one whole', () => {
  let bucket: ReturnType<typeof tempDir>;
  let lake: ReturnType<typeof tempDir>;
  beforeEach(() => {
    bucket = tempDir('loglake-cur-bucket-');
    lake = tempDir('loglake-cur-lake-');
  });
  afterEach(() => {
    bucket.cleanup();
    lake.cleanup();
  });

  /** Writes an assembly's data files and its two manifests (period folder and assembly folder). */
  function deliver(assembly: string, files: ReadonlyArray<ReadonlyArray<readonly [string, number, number]>>, deliveredAt: Date): { data: string[]; manifests: string[] } {
    const dir = `cur/${REPORT}/${PERIOD}`;
    const data = files.map((rows, i) => writeInput(bucket.path, `${dir}/${assembly}/${REPORT}-${i + 1}.csv.gz`, curFile(rows)));
    const body = JSON.stringify({
      assemblyId: assembly,
      account: '111122223333',
      columns: CUR_HEADER.map((c) => ({ category: c.split('/')[0], name: c.split('/')[1] })),
      charset: 'UTF-8',
      compression: 'GZIP',
      contentType: 'text/csv',
      reportId: 'f0e1d2c3',
      reportName: REPORT,
      billingPeriod: { start: '20240301T000000.000Z', end: '20240401T000000.000Z' },
      bucket: 'acme-billing',
      reportKeys: files.map((_, i) => `${dir}/${assembly}/${REPORT}-${i + 1}.csv.gz`),
      additionalArtifactKeys: [],
    });
    const manifests = [writeInput(bucket.path, `${dir}/${assembly}/${REPORT}-Manifest.json`, body), writeInput(bucket.path, `${dir}/${REPORT}-Manifest.json`, body)];
    for (const m of manifests) utimesSync(m, deliveredAt, deliveredAt);
    return { data, manifests };
  }

  const V1 = [
    [
      ['a1', 1, 10],
      ['a2', 2, 5],
    ],
    [['a3', 3, 1.5]],
  ] as const;
  const V2 = [[['b1', 1, 12]], [['b2', 3, 2.25], ['b3', 4, 4]]] as const;

  it('shows the old version complete until the last file of the new one lands, then only the new one', async () => {
    const a = deliver('aaaa-1111', V1, new Date('2024-03-05T08:00:00Z'));
    for (const f of [...a.data, ...a.manifests]) expect((await runLocal(f, lake.path)).manifest.status).not.toBe('failed');
    expect(await lakeState(lake.path)).toEqual({ rows: 3, total: 16.5, ids: ['a1', 'a2', 'a3'], days: ['2024-03-01', '2024-03-02', '2024-03-03'] });

    const b = deliver('bbbb-2222', V2, new Date('2024-03-05T16:00:00Z'));
    const steps = [b.manifests[0], b.data[0], b.manifests[1]] as string[];
    for (const f of steps) {
      await runLocal(f, lake.path);
      expect(await lakeState(lake.path), `after ${f}`).toEqual({ rows: 3, total: 16.5, ids: ['a1', 'a2', 'a3'], days: ['2024-03-01', '2024-03-02', '2024-03-03'] });
    }
    const last = await runLocal(b.data[1] as string, lake.path);
    expect(last.manifest.status).toBe('ok');
    expect(await lakeState(lake.path)).toEqual({ rows: 3, total: 18.25, ids: ['b1', 'b2', 'b3'], days: ['2024-03-01', '2024-03-03', '2024-03-04'] });
    // The day only the old version had is gone, and nothing is left in staging.
    expect(filesUnder(lake.path).filter((k) => k.startsWith('lake/source=billing/dt=2024-03-02'))).toEqual([]);
    expect(filesUnder(lake.path).filter((k) => k.includes('/staged/'))).toEqual([]);
  });

  it('publishes when the manifest comes last, after every data file', async () => {
    const a = deliver('aaaa-1111', V1, new Date('2024-03-05T08:00:00Z'));
    for (const f of a.data) await runLocal(f, lake.path);
    expect((await lakeState(lake.path)).rows).toBe(0);
    for (const f of a.manifests) await runLocal(f, lake.path);
    expect((await lakeState(lake.path)).ids).toEqual(['a1', 'a2', 'a3']);
  });

  it('never puts an older version back when its files are replayed after a newer one went live', async () => {
    const a = deliver('aaaa-1111', V1, new Date('2024-03-05T08:00:00Z'));
    const b = deliver('bbbb-2222', V2, new Date('2024-03-05T16:00:00Z'));
    for (const f of [...a.data, a.manifests[0] as string, ...b.data, b.manifests[0] as string]) await runLocal(f, lake.path);
    expect((await lakeState(lake.path)).ids).toEqual(['b1', 'b2', 'b3']);
    for (const f of [...a.data, ...a.manifests]) await runLocal(f, lake.path);
    expect((await lakeState(lake.path)).ids).toEqual(['b1', 'b2', 'b3']);
    expect(filesUnder(lake.path).filter((k) => k.includes('/staged/'))).toEqual([]);
  });

  it('keeps the live version complete and unchanged when one of its files is delivered again', async () => {
    const a = deliver('aaaa-1111', V1, new Date('2024-03-05T08:00:00Z'));
    for (const f of [...a.data, ...a.manifests]) await runLocal(f, lake.path);
    const before = filesUnder(join(lake.path, 'lake'));
    await runLocal(a.data[0] as string, lake.path);
    expect(await lakeState(lake.path)).toEqual({ rows: 3, total: 16.5, ids: ['a1', 'a2', 'a3'], days: ['2024-03-01', '2024-03-02', '2024-03-03'] });
    expect(filesUnder(join(lake.path, 'lake'))).toEqual(before);
  });

  it('records a manifest without reportKeys as failed, naming what a manifest needs', async () => {
    const path = writeInput(bucket.path, `cur/${REPORT}/${PERIOD}/${REPORT}-Manifest.json`, JSON.stringify({ assemblyId: 'x', billingPeriod: {} }));
    const { manifest, error } = await runLocal(path, lake.path);
    expect(manifest.status).toBe('failed');
    expect(manifest.reason).toBe('unknown_format');
    expect(error?.message).toMatch(/reportKeys/);
  });

  it('replaces an "overwrite" report key by key, without staging', async () => {
    const path = join(bucket.path, `cur/${REPORT}/${PERIOD}/${REPORT}-1.csv.gz`);
    writeInput(bucket.path, `cur/${REPORT}/${PERIOD}/${REPORT}-1.csv.gz`, curFile(V1[0]));
    await runLocal(path, lake.path);
    expect((await lakeState(lake.path)).ids).toEqual(['a1', 'a2']);
    writeFileSync(path, curFile(V2[1]));
    await runLocal(path, lake.path);
    expect(await lakeState(lake.path)).toMatchObject({ ids: ['b2', 'b3'], days: ['2024-03-03', '2024-03-04'] });
    expect(existsSync(join(lake.path, 'assemblies'))).toBe(false);
  });
});

describe('DBR: the month-to-date report rewritten under the same key', () => {
  const HEADER = '"InvoiceID","PayerAccountId","LinkedAccountId","RecordType","RecordId","ProductName","RateId","SubscriptionId","PricingPlanId","UsageType","Operation","AvailabilityZone","ReservedInstance","ItemDescription","UsageStartDate","UsageEndDate","UsageQuantity","BlendedRate","BlendedCost","UnBlendedRate","UnBlendedCost","ResourceId","user:Team"';
  const line = (id: string, day: string, cost: string): string =>
    `"Estimated","111122223333","444455556666","LineItem","${id}","Amazon Elastic Compute Cloud","1","2","3","BoxUsage:t3.micro","RunInstances","us-east-1a","N","t3.micro hour","2016-03-${day} 00:00:00","2016-03-${day} 01:00:00","1","${cost}","${cost}","${cost}","${cost}","i-0abc","web"`;
  const total = (cost: string): string => `"Estimated","111122223333","","InvoiceTotal","","","","","","","","","","Total amount for invoice","","","","","${cost}","","${cost}","",""`;
  const zip = (lines: string[]): Uint8Array =>
    zipSync({ '111122223333-aws-billing-detailed-line-items-with-resources-and-tags-2016-03.csv': Buffer.from(`${HEADER}\n${lines.join('\n')}\n`) });

  it('leaves exactly the rows of the newest version, deleting the day partition that moved away', async () => {
    const dir = tempDir('loglake-dbr-');
    try {
      const path = join(dir.path, 'in', '111122223333-aws-billing-detailed-line-items-with-resources-and-tags-2016-03.csv.zip');
      const lake = join(dir.path, 'lake');
      writeInput(dir.path, 'in/111122223333-aws-billing-detailed-line-items-with-resources-and-tags-2016-03.csv.zip', zip([line('r1', '01', '0.01'), line('r2', '02', '0.02'), total('0.03')]));
      await runLocal(path, lake);
      // The invoice total has no usage time: it sits at the start of its month, with no record id.
      expect(await lakeState(lake)).toEqual({ rows: 3, total: 0.06, ids: ['r1', 'r2', null], days: ['2016-03-01', '2016-03-02'] });
      writeFileSync(path, zip([line('r1', '01', '0.01'), line('r3', '03', '0.05'), total('0.06')]));
      const { manifest } = await runLocal(path, lake);
      expect(manifest.records).toBe(3);
      const after = await lakeState(lake);
      expect(after.days).toEqual(['2016-03-01', '2016-03-03']);
      expect(after.ids).toEqual(['r1', 'r3', null]);
      expect(after.total).toBe(0.12);
      expect(filesUnder(lake).filter((k) => k.includes('dt=2016-03-02'))).toEqual([]);
    } finally {
      dir.cleanup();
    }
  });
});
