/**
 * Writes the Parquet-delivered VPC flow log sample (`samples/vpcflow/…/<file>.log.parquet`): the
 * columns AWS writes for a version 5 custom format (field names with `_`), GZIP-coded pages as
 * AWS codes them, two row groups, plus one column no documented version has (schema drift).
 * Deterministic: `npx tsx scripts/generate-vpcflow-parquet-sample.ts` rewrites the same bytes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const KEY = 'AWSLogs/333344445555/vpcflowlogs/eu-west-1/2024/05/01/333344445555_vpcflowlogs_eu-west-1_fl-0f1e2d3c4b5a69788_20240501T1210Z_7d6c5b4a.log.parquet';

type Row = Record<string, string | number | bigint | null>;
const base = (over: Row): Row => ({
  version: 5,
  account_id: '333344445555',
  interface_id: 'eni-0a1b2c3d4e5f60718',
  srcaddr: '10.0.1.5',
  dstaddr: '10.0.2.17',
  srcport: 49152,
  dstport: 443,
  protocol: 6n,
  packets: 12n,
  bytes: 8420n,
  start: 1714565400n,
  end: 1714565460n,
  action: 'ACCEPT',
  log_status: 'OK',
  vpc_id: 'vpc-0123456789abcdef0',
  subnet_id: 'subnet-0aa11bb22cc33dd44',
  instance_id: 'i-0fedcba9876543210',
  tcp_flags: 19,
  type: 'IPv4',
  pkt_srcaddr: '10.0.1.5',
  pkt_dstaddr: '10.0.2.17',
  region: 'eu-west-1',
  az_id: 'euw1-az1',
  sublocation_type: null,
  sublocation_id: null,
  pkt_src_aws_service: null,
  pkt_dst_aws_service: null,
  flow_direction: 'egress',
  traffic_path: 1,
  future_field: null,
  ...over,
});

const rows: Row[] = [
  base({}),
  base({ srcaddr: '198.51.100.7', dstaddr: '10.0.1.5', srcport: 51234, dstport: 22, packets: 1n, bytes: 40n, action: 'REJECT', tcp_flags: 2, flow_direction: 'ingress', traffic_path: null, pkt_srcaddr: '198.51.100.7', pkt_dstaddr: '10.0.1.5' }),
  base({ protocol: 17n, srcport: 53, dstport: 40001, packets: 2n, bytes: 180n, tcp_flags: 0, dstaddr: '10.0.0.2', pkt_dstaddr: '10.0.0.2' }),
  base({ srcaddr: null, dstaddr: null, srcport: null, dstport: null, protocol: null, packets: null, bytes: null, action: null, log_status: 'NODATA', tcp_flags: null, type: null, pkt_srcaddr: null, pkt_dstaddr: null, flow_direction: null, traffic_path: null }),
  base({ type: 'IPv6', srcaddr: '2001:db8::5', dstaddr: '2001:db8:1::17', pkt_srcaddr: '2001:db8::5', pkt_dstaddr: '2001:db8:1::17', protocol: 58n, srcport: 0, dstport: 0, tcp_flags: 0, packets: 3n, bytes: 312n }),
  base({ dstaddr: '52.95.128.10', pkt_dstaddr: '52.95.128.10', pkt_dst_aws_service: 'S3', traffic_path: 8, bytes: 1048576n, packets: 720n, future_field: 'later-aws-field' }),
  base({ log_status: 'SKIPDATA', srcaddr: null, dstaddr: null, srcport: null, dstport: null, protocol: null, packets: null, bytes: null, action: null, tcp_flags: null, type: null, pkt_srcaddr: null, pkt_dstaddr: null }),
  base({ srcport: 70000, packets: 4n, bytes: 240n }),
];

const INTS = new Set(['version', 'srcport', 'dstport', 'tcp_flags', 'traffic_path']);
const LONGS = new Set(['protocol', 'packets', 'bytes', 'start', 'end']);
const names = Object.keys(rows[0] as Row);
const buffer = parquetWriteBuffer({
  columnData: names.map((name) => ({
    name,
    data: rows.map((r) => r[name] ?? null),
    type: INTS.has(name) ? 'INT32' : LONGS.has(name) ? 'INT64' : 'STRING',
    nullable: true,
  })),
  codec: 'GZIP',
  compressors: { GZIP: (input: Uint8Array) => gzipSync(input) },
  rowGroupSize: 5,
});
const out = join(ROOT, 'samples', 'vpcflow', KEY);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, new Uint8Array(buffer));
process.stdout.write(`${out}: ${rows.length} rows, ${buffer.byteLength} bytes\n`);
