/**
 * Deterministic Config and billing input for benchmarks, drawn from a seeded PRNG and written
 * once into `bench/.data/` (reused while present): a gzipped Config snapshot, a gzipped Cost and
 * Usage Report and a zipped Detailed Billing Report. Row order is the hard case for memory: every
 * resource's rows run across the whole month (the items of a snapshot across a year), so every
 * day partition stays open for the whole object.
 */
import { once } from 'node:events';
import { createWriteStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createGzip } from 'node:zlib';
import { Zip, ZipDeflate } from 'fflate';
import { prng } from '../test/helpers/prng.js';

/** A generated file: its path, uncompressed bytes and the records it holds. */
export interface Generated {
  readonly path: string;
  readonly bytes: number;
  readonly records: number;
}

const DATA = new URL('./.data/', import.meta.url).pathname;

function hex(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(r() * 16).toString(16);
  return s;
}

const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)] as T;

/** Reuses a file written earlier with the same name, or writes it through `write` and records its size. */
async function cached(name: string, make: (path: string) => Promise<{ bytes: number; records: number }>): Promise<Generated> {
  await mkdir(DATA, { recursive: true });
  const path = `${DATA}${name}`;
  const meta = `${path}.meta.json`;
  if (existsSync(path) && existsSync(meta) && statSync(path).size > 0) {
    const m = JSON.parse(readFileSync(meta, 'utf8')) as { bytes: number; records: number };
    return { path, ...m };
  }
  const m = await make(path);
  writeFileSync(meta, JSON.stringify(m));
  return { path, ...m };
}

/** Text written through gzip with backpressure, counting uncompressed bytes. */
async function gzipText(path: string, body: (write: (s: string) => Promise<void>) => Promise<number>): Promise<{ bytes: number; records: number }> {
  const gzip = createGzip({ level: 6 });
  const out = gzip.pipe(createWriteStream(path));
  let bytes = 0;
  const records = await body(async (s) => {
    bytes += Buffer.byteLength(s);
    if (!gzip.write(s)) await once(gzip, 'drain');
  });
  gzip.end();
  await once(out, 'finish');
  return { bytes, records };
}

const csvCell = (v: string): string => (/[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

const REGIONS = [
  ['us-east-1', 'US East (N. Virginia)', 'USE1-'],
  ['eu-west-1', 'EU (Ireland)', 'EU-'],
  ['ap-southeast-2', 'Asia Pacific (Sydney)', 'APS2-'],
] as const;
const INSTANCE_TYPES = [
  ['m6i.large', '2', '8 GiB', 0.107],
  ['c6g.xlarge', '4', '8 GiB', 0.1548],
  ['r6i.2xlarge', '8', '64 GiB', 0.504],
  ['t3.medium', '2', '4 GiB', 0.0456],
] as const;
const TEAMS = ['payments', 'search', 'platform', 'data', 'identity', ''];
const ACCOUNTS = ['444455556666', '777788889999', '121212121212', '343434343434'];

const CUR_COLUMNS = [
  'identity/LineItemId', 'identity/TimeInterval', 'bill/InvoiceId', 'bill/InvoicingEntity', 'bill/BillingEntity', 'bill/BillType', 'bill/PayerAccountId',
  'bill/BillingPeriodStartDate', 'bill/BillingPeriodEndDate', 'lineItem/UsageAccountId', 'lineItem/LineItemType', 'lineItem/UsageStartDate', 'lineItem/UsageEndDate',
  'lineItem/ProductCode', 'lineItem/UsageType', 'lineItem/Operation', 'lineItem/AvailabilityZone', 'lineItem/ResourceId', 'lineItem/UsageAmount',
  'lineItem/NormalizationFactor', 'lineItem/NormalizedUsageAmount', 'lineItem/CurrencyCode', 'lineItem/UnblendedRate', 'lineItem/UnblendedCost',
  'lineItem/BlendedRate', 'lineItem/BlendedCost', 'lineItem/LineItemDescription', 'lineItem/TaxType', 'lineItem/LegalEntity', 'product/ProductName',
  'product/instanceType', 'product/location', 'product/region', 'product/servicecode', 'product/productFamily', 'product/operatingSystem', 'product/vcpu',
  'product/memory', 'pricing/term', 'pricing/unit', 'pricing/publicOnDemandCost', 'pricing/publicOnDemandRate', 'reservation/ReservationARN',
  'savingsPlan/SavingsPlanARN', 'savingsPlan/SavingsPlanEffectiveCost', 'resourceTags/aws:createdBy', 'resourceTags/user:CostCenter', 'resourceTags/user:Team',
  'resourceTags/user:Env',
];

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
const HOUR = 3_600_000;
const MARCH = Date.UTC(2024, 2, 1);

/** One CUR row for resource `res` and hour `h` of March 2024. */
function curRow(r: () => number, res: number, h: number): string {
  const [region, location, prefix] = pick(r, REGIONS);
  const [type, vcpu, memory, rate] = INSTANCE_TYPES[res % INSTANCE_TYPES.length] as (typeof INSTANCE_TYPES)[number];
  const covered = res % 5 === 0;
  const start = MARCH + h * HOUR;
  const cost = covered ? 0 : rate;
  const team = TEAMS[res % TEAMS.length] as string;
  const cells = [
    hex(r, 52), `${iso(start)}/${iso(start + HOUR)}`, '', 'Amazon Web Services, Inc.', 'AWS', 'Anniversary', '111122223333', '2024-03-01T00:00:00Z', '2024-04-01T00:00:00Z',
    ACCOUNTS[res % ACCOUNTS.length] as string, covered ? 'SavingsPlanCoveredUsage' : 'Usage', iso(start), iso(start + HOUR), 'AmazonEC2', `${prefix}BoxUsage:${type}`,
    'RunInstances', `${region}${pick(r, ['a', 'b', 'c'])}`, `i-0${hex(r, 16)}`, '1', vcpu, vcpu, 'USD', String(rate), String(cost), String(rate), String(cost),
    `$${rate} per On Demand Linux ${type} Instance Hour`, '', 'Amazon Web Services, Inc.', 'Amazon Elastic Compute Cloud', type, location, region, 'AmazonEC2',
    'Compute Instance', 'Linux', vcpu, memory, 'OnDemand', 'Hrs', String(rate), String(rate), '',
    covered ? 'arn:aws:savingsplans::111122223333:savingsplan/3f2a1b0c-9d8e-4f7a-a6b5-c4d3e2f1a0b9' : '', covered ? String(rate * 0.7) : '',
    res % 3 === 0 ? `IAMUser:AIDA${hex(r, 12).toUpperCase()}:ci-deployer` : '', `CC-${1000 + (res % 40)}`, team, pick(r, ['prod', 'staging', 'dev']),
  ];
  return `${cells.map(csvCell).join(',')}\n`;
}

/**
 * A gzipped CUR of at least `mib` MiB uncompressed: each resource has one row per day of the
 * month at its own hour, resources one after another, so all 31 day partitions stay open.
 */
export function curFile(mib: number, seed = 7): Promise<Generated> {
  return cached(`cur-${mib}mib-seed${seed}.csv.gz`, (path) =>
    gzipText(path, async (write) => {
      const r = prng(seed);
      const target = mib * 1024 * 1024;
      await write(`${CUR_COLUMNS.join(',')}\n`);
      let rows = 0;
      let bytes = 0;
      for (let res = 0; bytes < target; res++) {
        let batch = '';
        for (let day = 0; day < 31; day++) batch += curRow(r, res, day * 24 + (res % 24));
        bytes += Buffer.byteLength(batch);
        rows += 31;
        await write(batch);
      }
      return rows;
    }),
  );
}

const DBR_COLUMNS = [
  'InvoiceID', 'PayerAccountId', 'LinkedAccountId', 'RecordType', 'RecordId', 'ProductName', 'RateId', 'SubscriptionId', 'PricingPlanId', 'UsageType', 'Operation',
  'AvailabilityZone', 'ReservedInstance', 'ItemDescription', 'UsageStartDate', 'UsageEndDate', 'UsageQuantity', 'BlendedRate', 'BlendedCost', 'UnBlendedRate',
  'UnBlendedCost', 'ResourceId', 'aws:createdBy', 'user:CostCenter', 'user:Team',
];
const dbrTime = (ms: number): string => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
const quoted = (cells: readonly string[]): string => `${cells.map((c) => `"${c.replaceAll('"', '""')}"`).join(',')}\n`;

function dbrRow(r: () => number, res: number, h: number): string {
  const [region, , prefix] = pick(r, REGIONS);
  const [type, , , rate] = INSTANCE_TYPES[res % INSTANCE_TYPES.length] as (typeof INSTANCE_TYPES)[number];
  const start = Date.UTC(2019, 5, 1) + h * HOUR;
  return quoted([
    'Estimated', '123456789012', ACCOUNTS[res % ACCOUNTS.length] as string, 'LineItem', String(30000000000000000000n + BigInt(res * 1000 + h)), 'Amazon Elastic Compute Cloud',
    String(1000000 + (res % 97)), String(900000000 + (res % 13)), String(1100000 + (res % 31)), `${prefix}BoxUsage:${type}`, 'RunInstances', `${region}a`, 'N',
    `$${rate} per On Demand Linux ${type} Instance Hour`, dbrTime(start), dbrTime(start + HOUR), '1.0000000000', rate.toFixed(10), rate.toFixed(10), rate.toFixed(10),
    rate.toFixed(10), `i-0${hex(r, 16)}`, res % 3 === 0 ? 'IAMUser:AIDAEXAMPLE:deploy' : '', `CC-${1000 + (res % 40)}`, TEAMS[res % TEAMS.length] as string,
  ]);
}

/** A zipped DBR (one CSV entry, as AWS delivers it) of at least `mib` MiB uncompressed, ending with its totals. */
export function dbrFile(mib: number, seed = 11): Promise<Generated> {
  return cached(`dbr-${mib}mib-seed${seed}.csv.zip`, async (path) => {
    const out = createWriteStream(path);
    const zip = new Zip((err, chunk) => {
      if (err) throw err;
      out.write(chunk);
    });
    const entry = new ZipDeflate('123456789012-aws-billing-detailed-line-items-with-resources-and-tags-2019-06.csv', { level: 6 });
    zip.add(entry);
    const r = prng(seed);
    const target = mib * 1024 * 1024;
    let bytes = 0;
    let rows = 0;
    const push = async (s: string, final = false): Promise<void> => {
      const b = Buffer.from(s);
      bytes += b.byteLength;
      entry.push(b, final);
      if (out.writableNeedDrain) await once(out, 'drain');
    };
    await push(quoted(DBR_COLUMNS));
    for (let res = 0; bytes < target; res++) {
      let batch = '';
      for (let day = 0; day < 30; day++) batch += dbrRow(r, res, day * 24 + (res % 24));
      rows += 30;
      await push(batch);
    }
    const total = (type: string): string => quoted(['Estimated', '123456789012', '', type, '', '', '', '', '', '', '', '', '', `${type}`, '', '', '', '', '1.0', '', '1.0', '', '', '', '']);
    await push(total('Rounding') + total('InvoiceTotal'));
    rows += 2;
    await push(total('StatementTotal'), true);
    rows += 1;
    zip.end();
    out.end();
    await once(out, 'finish');
    return { bytes, records: rows };
  });
}

const RESOURCE_TYPES = ['AWS::EC2::Instance', 'AWS::EC2::SecurityGroup', 'AWS::EC2::Volume', 'AWS::S3::Bucket', 'AWS::IAM::Role', 'AWS::Lambda::Function', 'AWS::RDS::DBInstance'];

function configItem(r: () => number, i: number): string {
  const type = RESOURCE_TYPES[i % RESOURCE_TYPES.length] as string;
  const id = `${type.split('::')[2]?.toLowerCase() ?? 'r'}-${hex(r, 17)}`;
  const captured = Date.UTC(2023, 2, 5) + Math.floor(r() * 365 * 86_400_000);
  const rules = Array.from({ length: 2 + Math.floor(r() * 12) }, () => ({
    fromPort: 443,
    ipProtocol: 'tcp',
    ipv4Ranges: [{ cidrIp: `10.${Math.floor(r() * 255)}.0.0/16`, description: 'service mesh ingress' }],
    toPort: 443,
    userIdGroupPairs: [],
  }));
  return JSON.stringify({
    relatedEvents: [`${hex(r, 8)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 12)}`],
    relationships: [{ resourceId: `vpc-${hex(r, 17)}`, resourceName: null, resourceType: 'AWS::EC2::VPC', name: 'Is contained in Vpc' }],
    configuration: { resourceId: id, description: `managed by team ${TEAMS[i % TEAMS.length] as string}`, ipPermissions: rules, ownerId: '123456789012', vpcId: `vpc-${hex(r, 17)}` },
    supplementaryConfiguration: {},
    tags: { Name: `${type.split('::')[2] ?? 'resource'}-${i}`, Team: TEAMS[i % TEAMS.length] as string },
    configurationItemVersion: '1.3',
    configurationItemCaptureTime: new Date(captured).toISOString(),
    configurationStateId: captured,
    awsAccountId: '123456789012',
    configurationItemStatus: r() < 0.05 ? 'ResourceDeleted' : 'OK',
    resourceType: type,
    resourceId: id,
    resourceName: null,
    ARN: `arn:aws:ec2:eu-west-1:123456789012:${id}`,
    awsRegion: 'eu-west-1',
    availabilityZone: 'Not Applicable',
    configurationStateMd5Hash: '',
  });
}

/** A gzipped configuration snapshot of at least `mib` MiB uncompressed; capture times span a year. */
export function configSnapshotFile(mib: number, seed = 13): Promise<Generated> {
  return cached(`config-snapshot-${mib}mib-seed${seed}.json.gz`, (path) =>
    gzipText(path, async (write) => {
      const r = prng(seed);
      const target = mib * 1024 * 1024;
      let bytes = 0;
      let items = 0;
      const head = '{"fileVersion":"1.0","configSnapshotId":"6f1d9c52-8a0e-4c5b-9a3e-2f7d1b0c4e11","configurationItems":[';
      await write(head);
      bytes += head.length;
      while (bytes < target) {
        let batch = '';
        for (let k = 0; k < 200; k++) batch += (items++ > 0 ? ',' : '') + configItem(r, items);
        bytes += Buffer.byteLength(batch);
        await write(batch);
      }
      await write(']}');
      return items;
    }),
  );
}
