import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PARSERS } from '../../parsers/index.js';
import type { ParseContext, ParseResult } from '../../parsers/types.js';
import { DEFAULT_FLOW_FIELDS, FLOW_FIELD_NAMES, parquetParser, type ParquetRowState, FLOW_FIELD_VERSIONS, NO_DEFAULTS, flowRecord, headerNames, isKnownFlowField, keyFacts, parseFlowLine, parser, protocolName, stateFor, type VpcFlowState } from '../../parsers/vpcflow.js';
import { routeByContent, routeByKey } from '../../pipeline/route/route.js';
import type { EventFields } from '../../schema/index.js';
import { SAMPLES, sampleInputs } from '../helpers/golden.js';
import { prng } from '../helpers/prng.js';
import { runLocal, tempDir, writeInput } from '../helpers/lake.js';

type Rec = EventFields & { fields: Record<string, string> };

const V2_HEADER = DEFAULT_FLOW_FIELDS.join(' ');
const LINE = '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK';
const OBJECT = 'AWSLogs/111122223333/vpcflowlogs/us-east-1/2024/05/01/111122223333_vpcflowlogs_us-east-1_fl-1234abcd_20240501T1205Z_fe123456.log.gz';

/** Feeds lines through header() and parse() the way the pipeline does. */
function run(lines: readonly string[], object = 'test'): { results: Array<ParseResult | 'header'>; ctx: ParseContext<VpcFlowState> } {
  const state = parser.createState?.() as VpcFlowState;
  const ctx: ParseContext<VpcFlowState> = { object, ordinal: 0, state, drift: 0 };
  const results = lines.map((l) => (parser.header?.(l, state) ? ('header' as const) : parser.parse(l, ctx)));
  return { results, ctx };
}

function record(lines: readonly string[], object = 'test'): Rec {
  const r = run(lines, object).results.at(-1);
  if (r === 'header' || r === undefined || r.ok !== true) throw new Error(`expected a record, got ${JSON.stringify(r)}`);
  return { ...r.record, fields: r.record.fields ?? {} };
}

function rejection(lines: readonly string[]): { reason: string; detail?: string } {
  const r = run(lines).results.at(-1);
  if (r === 'header' || r === undefined || r.ok !== false) throw new Error(`expected a rejection, got ${JSON.stringify(r)}`);
  return { reason: r.reason, ...(r.detail !== undefined ? { detail: r.detail } : {}) };
}

/** One value per documented field: what a version 8 line with every VPC field (and a TGW one) could hold. */
const VALUES: Readonly<Record<string, string>> = {
  version: '8',
  'account-id': '222233334444',
  'interface-id': 'eni-0e1f2a3b4c5d6e7f8',
  srcaddr: '10.20.1.17',
  dstaddr: '52.218.128.10',
  srcport: '41900',
  dstport: '443',
  protocol: '6',
  packets: '210',
  bytes: '180244',
  start: '1714572003',
  end: '1714572057',
  action: 'REJECT',
  'log-status': 'OK',
  'vpc-id': 'vpc-0a1b2c3d4e5f60718',
  'subnet-id': 'subnet-0e1f2a3b4c5d6e7f8',
  'instance-id': 'i-0a9b8c7d6e5f40312',
  'tcp-flags': '19',
  type: 'IPv4',
  'pkt-srcaddr': '10.20.1.17',
  'pkt-dstaddr': '52.218.128.10',
  region: 'us-west-2',
  'az-id': 'usw2-az1',
  'sublocation-type': 'outpost',
  'sublocation-id': 'op-0abcdef1234567890',
  'pkt-src-aws-service': 'AMAZON',
  'pkt-dst-aws-service': 'S3',
  'flow-direction': 'egress',
  'traffic-path': '7',
  'resource-type': 'TransitGatewayAttachment',
  'tgw-id': 'tgw-0123456789abcdef0',
  'tgw-attachment-id': 'tgw-attach-0a1a2a3a4a5a6a7a8',
  'tgw-src-vpc-account-id': '444455556666',
  'tgw-dst-vpc-account-id': '777788889999',
  'tgw-src-vpc-id': 'vpc-0a1a2a3a4a5a6a7a8',
  'tgw-dst-vpc-id': 'vpc-0b1b2b3b4b5b6b7b8',
  'tgw-src-subnet-id': 'subnet-0a1a2a3a4a5a6a7a8',
  'tgw-dst-subnet-id': 'subnet-0b1b2b3b4b5b6b7b8',
  'tgw-src-eni': 'eni-0a1a2a3a4a5a6a7a8',
  'tgw-dst-eni': 'eni-0b1b2b3b4b5b6b7b8',
  'tgw-src-az-id': 'apse2-az1',
  'tgw-dst-az-id': 'apse2-az2',
  'tgw-pair-attachment-id': 'tgw-attach-0b1b2b3b4b5b6b7b8',
  'packets-lost-no-route': '0',
  'packets-lost-blackhole': '4',
  'packets-lost-mtu-exceeded': '0',
  'packets-lost-ttl-expired': '1',
  'ecs-cluster-arn': 'arn:aws:ecs:us-west-2:222233334444:cluster/payments',
  'ecs-cluster-name': 'payments',
  'ecs-container-instance-arn': 'arn:aws:ecs:us-west-2:222233334444:container-instance/payments/4c1e6b2f',
  'ecs-container-instance-id': '4c1e6b2f',
  'ecs-container-id': '8b1f0c3e-1234567890',
  'ecs-second-container-id': '8b1f0c3e-0987654321',
  'ecs-service-name': 'checkout',
  'ecs-task-definition-arn': 'arn:aws:ecs:us-west-2:222233334444:task-definition/checkout:42',
  'ecs-task-arn': 'arn:aws:ecs:us-west-2:222233334444:task/payments/8b1f0c3e',
  'ecs-task-id': '8b1f0c3e',
  'reject-reason': 'BPA',
};

/** The lines of a header naming `names` and one line of their `VALUES`. */
const lineOf = (names: readonly string[], values: Readonly<Record<string, string>> = VALUES): string[] => [names.join(' '), names.map((n) => values[n] ?? '-').join(' ')];

/** A deterministic shuffle (the same permutation every run). */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('VPC flow log parser: header lines', () => {
  it('consumes the default header, and reads the lines after it with its fields', () => {
    const { results } = run([V2_HEADER, LINE]);
    expect(results[0]).toBe('header');
    expect(results[1]).toMatchObject({ ok: true, record: { src_port: 20641, dst_port: 22 } });
  });

  it('knows a header by its names: any order, without version, with a byte-order mark; never a data line', () => {
    expect(headerNames(V2_HEADER)).toEqual([...DEFAULT_FLOW_FIELDS]);
    expect(headerNames('instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr')).toHaveLength(6);
    expect(headerNames(`\ufeff${V2_HEADER}`)).toHaveLength(14);
    expect(headerNames('version  account-id   interface-id ')).toEqual(['version', 'account-id', 'interface-id']);
    for (const data of [
      LINE,
      '- eni-1235b8ca123456789 10.0.1.5 10.0.0.220 10.0.1.5 203.0.113.5',
      'eni-1235b8ca123456789 123456789010 vpc-abcdefab012345678 subnet-22222222bbbbbbbbb',
      'ingress egress unknown',
      'ACCEPT OK',
      '',
    ]) {
      expect(headerNames(data), data).toBeNull();
      expect(parser.header?.(data, parser.createState?.() as VpcFlowState), data).toBe(false);
    }
  });

  it('takes each header of a concatenated file as the field list of the lines after it', () => {
    const custom = lineOf(['dstport', 'srcport', 'start', 'interface-id']);
    const { results } = run([V2_HEADER, LINE, ...custom, LINE]);
    expect(results.map((r) => (r === 'header' ? r : r.ok))).toEqual(['header', true, 'header', true, false]);
    expect(results[3]).toMatchObject({ ok: true, record: { src_port: 41900, dst_port: 443, resource: 'eni-0e1f2a3b4c5d6e7f8' } });
  });

  it('reads a file without a header with the default format (14 version-2 fields)', () => {
    expect(record([LINE])).toMatchObject({ src_ip: '172.31.16.139', dst_ip: '172.31.16.21', status: 'ACCEPT' });
    expect(rejection(['2 eni-1235b8ca123456789 172.31.16.139 172.31.16.21'])).toEqual({
      reason: 'field_count_mismatch',
      detail: "4 fields, no header line was seen, so the default format's 14 are expected",
    });
  });
});

describe('VPC flow log parser: mapping', () => {
  it('maps the default format', () => {
    const r = record([V2_HEADER, LINE]);
    expect(r).toEqual({
      time: 1418530010000,
      category: 'network_activity',
      account_id: '123456789010',
      region: null,
      action: 'TCP',
      resource: 'eni-1235b8ca123456789',
      resource_type: 'AWS::EC2::NetworkInterface',
      src_ip: '172.31.16.139',
      dst_ip: '172.31.16.21',
      src_port: 20641,
      dst_port: 22,
      status: 'ACCEPT',
      outcome: 'success',
      error: null,
      bytes_in: 4249,
      duration_ms: 60000,
      fields: { version: '2', protocol: '6', packets: '20', 'log-status': 'OK' },
    });
  });

  it('maps every field of versions 2–5, 7 and 8: typed columns, and every other field in fields by its AWS name', () => {
    const names = FLOW_FIELD_NAMES.filter((n) => FLOW_FIELD_VERSIONS[n] !== 6);
    const r = record(lineOf(names));
    expect(r).toEqual({
      time: 1714572003000,
      category: 'network_activity',
      account_id: '222233334444',
      region: 'us-west-2',
      action: 'TCP',
      resource: 'eni-0e1f2a3b4c5d6e7f8',
      resource_type: 'AWS::EC2::NetworkInterface',
      src_ip: '10.20.1.17',
      dst_ip: '52.218.128.10',
      src_port: 41900,
      dst_port: 443,
      status: 'REJECT',
      outcome: 'failure',
      error: 'BPA',
      bytes_in: 180244,
      duration_ms: 54000,
      fields: {
        version: '8',
        protocol: '6',
        packets: '210',
        'log-status': 'OK',
        'vpc-id': 'vpc-0a1b2c3d4e5f60718',
        'subnet-id': 'subnet-0e1f2a3b4c5d6e7f8',
        'instance-id': 'i-0a9b8c7d6e5f40312',
        'tcp-flags': '19',
        type: 'IPv4',
        'pkt-srcaddr': '10.20.1.17',
        'pkt-dstaddr': '52.218.128.10',
        'az-id': 'usw2-az1',
        'sublocation-type': 'outpost',
        'sublocation-id': 'op-0abcdef1234567890',
        'pkt-src-aws-service': 'AMAZON',
        'pkt-dst-aws-service': 'S3',
        'flow-direction': 'egress',
        'traffic-path': '7',
        'ecs-cluster-arn': 'arn:aws:ecs:us-west-2:222233334444:cluster/payments',
        'ecs-cluster-name': 'payments',
        'ecs-container-instance-arn': 'arn:aws:ecs:us-west-2:222233334444:container-instance/payments/4c1e6b2f',
        'ecs-container-instance-id': '4c1e6b2f',
        'ecs-container-id': '8b1f0c3e-1234567890',
        'ecs-second-container-id': '8b1f0c3e-0987654321',
        'ecs-service-name': 'checkout',
        'ecs-task-definition-arn': 'arn:aws:ecs:us-west-2:222233334444:task-definition/checkout:42',
        'ecs-task-arn': 'arn:aws:ecs:us-west-2:222233334444:task/payments/8b1f0c3e',
        'ecs-task-id': '8b1f0c3e',
      },
    });
  });

  it('maps the Transit Gateway format: the attachment is the resource, the gateway id stays in fields, no action means no outcome', () => {
    const tgw = ['version', 'resource-type', 'account-id', 'tgw-id', 'tgw-attachment-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'log-status', 'packets-lost-blackhole', 'region'];
    const r = record(lineOf(tgw, { ...VALUES, version: '6' }));
    expect(r).toMatchObject({ resource: 'tgw-attach-0a1a2a3a4a5a6a7a8', resource_type: 'AWS::EC2::TransitGatewayAttachment', status: null, outcome: 'unknown', account_id: '222233334444' });
    expect(r.fields).toMatchObject({ 'tgw-id': 'tgw-0123456789abcdef0', 'resource-type': 'TransitGatewayAttachment', 'packets-lost-blackhole': '4', version: '6' });
    const gateway = record(lineOf(tgw, { ...VALUES, 'tgw-attachment-id': '-', 'resource-type': 'TransitGateway' }));
    expect(gateway).toMatchObject({ resource: 'tgw-0123456789abcdef0', resource_type: 'AWS::EC2::TransitGateway' });
    expect(gateway.fields['tgw-id']).toBeUndefined();
    // An interface id wins over the attachment, which then stays in fields.
    expect(record(lineOf(['interface-id', 'tgw-attachment-id', 'start']))).toMatchObject({ resource: 'eni-0e1f2a3b4c5d6e7f8', fields: { 'tgw-attachment-id': 'tgw-attach-0a1a2a3a4a5a6a7a8' } });
  });

  it('gives the same record whatever order the custom format lists its fields in', () => {
    const names = FLOW_FIELD_NAMES.filter((n) => FLOW_FIELD_VERSIONS[n] !== 6);
    const reference = record(lineOf(names));
    for (const seed of [1, 2, 3, 42, 2024]) {
      const r = record(lineOf(shuffled(names, seed)));
      expect(r, `seed ${seed}`).toEqual(reference);
    }
  });

  it('reads `-` as absent: null columns, nothing in fields', () => {
    const dashes = DEFAULT_FLOW_FIELDS.map((n) => (n === 'start' || n === 'end' ? VALUES[n] : '-')).join(' ');
    expect(record([V2_HEADER, dashes])).toEqual({
      time: 1714572003000,
      category: 'network_activity',
      account_id: null,
      region: null,
      action: null,
      resource: null,
      resource_type: null,
      src_ip: null,
      dst_ip: null,
      src_port: null,
      dst_port: null,
      status: null,
      outcome: 'unknown',
      error: null,
      bytes_in: null,
      duration_ms: 54000,
      fields: {},
    });
  });

  it('keeps NODATA and SKIPDATA records as records, marked in status', () => {
    for (const status of ['NODATA', 'SKIPDATA']) {
      const r = record([`2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - ${status}`]);
      expect(r).toMatchObject({ time: 1431280876000, status, outcome: 'unknown', src_ip: null, bytes_in: null, action: null, duration_ms: 58000, resource: 'eni-1235b8ca123456789' });
      expect(r.fields).toEqual({ version: '2', 'log-status': status });
    }
  });

  it('names the common IANA protocols and keeps every number in fields', () => {
    expect([0, 1, 6, 17, 41, 47, 50, 58, 132].map(protocolName)).toEqual(['HOPOPT', 'ICMP', 'TCP', 'UDP', 'IPv6', 'GRE', 'ESP', 'IPv6-ICMP', 'SCTP']);
    expect(protocolName(253)).toBeNull();
    const r = record([LINE.replace(' 6 20 ', ' 253 20 ')]);
    expect(r.action).toBeNull();
    expect(r.fields.protocol).toBe('253');
  });

  it('reads IPv6 addresses', () => {
    const r = record(['2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102::1 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK']);
    expect(r).toMatchObject({ src_ip: '2001:db8:1234:a100:8d6e:3477:df66:f105', dst_ip: '2001:db8:1234:a102::1', duration_ms: 112000 });
  });

  it('keeps odd values in fields instead of losing the record', () => {
    const odd = (from: string, to: string): Rec => record([LINE.replace(from, to)]);
    expect(odd('172.31.16.139', 'ip-172-31-16-139')).toMatchObject({ src_ip: null, fields: { srcaddr: 'ip-172-31-16-139' } });
    expect(odd('123456789010', 'unknown')).toMatchObject({ account_id: null, fields: { 'account-id': 'unknown' } });
    expect(odd(' 22 6 ', ' 022 6 ')).toMatchObject({ dst_port: 22, fields: { dstport: '022' } });
    expect(odd('1418530070', '1418530000')).toMatchObject({ time: 1418530010000, duration_ms: null, fields: { end: '1418530000' } });
    expect(odd('1418530010', '-')).toMatchObject({ time: 1418530070000, duration_ms: null });
    expect(odd('ACCEPT', 'DROP')).toMatchObject({ status: 'DROP', outcome: 'unknown' });
    const region = record(lineOf(['region', 'start']).map((l) => l.replace('us-west-2', 'moon-1')));
    expect(region).toMatchObject({ region: null, fields: { region: 'moon-1' } });
  });

  it('rejects lines it cannot read, with the reason', () => {
    const bad = (from: string, to: string): { reason: string; detail?: string } => rejection([LINE.replace(from, to)]);
    expect(bad(' 20641 ', ' 2064x ')).toEqual({ reason: 'bad_number', detail: 'srcport "2064x" is not a number' });
    expect(bad(' 22 6 ', ' 65536 6 ')).toEqual({ reason: 'bad_number', detail: 'dstport "65536" is not a port (0–65535)' });
    expect(bad(' 6 20 ', ' 256 20 ')).toEqual({ reason: 'bad_number', detail: 'protocol "256" is not a protocol number (0–255)' });
    expect(bad(' 20 4249 ', ' 2O 4249 ')).toEqual({ reason: 'bad_number', detail: 'packets "2O" is not a number' });
    expect(bad(' 4249 ', ' -1 ')).toEqual({ reason: 'bad_number', detail: 'bytes "-1" is not a number' });
    expect(bad('1418530010', '1418530010.5')).toEqual({ reason: 'bad_number', detail: 'start "1418530010.5" is not a number' });
    expect(bad('1418530070', 'soon')).toEqual({ reason: 'bad_number', detail: 'end "soon" is not a number' });
    expect(bad(' OK', ' OK 1')).toEqual({ reason: 'field_count_mismatch', detail: '15 fields, no header line was seen, so the default format\'s 14 are expected' });
    expect(rejection([V2_HEADER, LINE.replace(' OK', '')])).toEqual({ reason: 'field_count_mismatch', detail: "13 fields, this file's header lists 14" });
    expect(bad('eni-', 'eni-\u0007')).toMatchObject({ reason: 'control_character' });
    expect(rejection(['   '])).toEqual({ reason: 'field_count_mismatch', detail: 'a line of spaces only' });
    expect(rejection(['instance-id interface-id', 'i-0123 eni-0456'])).toMatchObject({ reason: 'no_event_time' });
  });

  it('reads a run of spaces as one separator (AWS documentation examples have one)', () => {
    expect(record([LINE.replace(' 20641 ', '  20641   ')])).toEqual(record([LINE]));
  });
});

describe('VPC flow log parser: schema drift', () => {
  it('keeps a field this version does not know in fields under its name, and counts every such record as drift', () => {
    const { results, ctx } = run([`${V2_HEADER} encryption-status`, `${LINE} 1`, `${LINE} -`]);
    expect(results[1]).toMatchObject({ ok: true, record: { fields: { 'encryption-status': '1' } } });
    expect(ctx.drift).toBe(2);
    const known = run([V2_HEADER, LINE]);
    expect(known.ctx.drift).toBe(0);
  });

  it('knows exactly the documented fields of versions 2–8 and Transit Gateway', () => {
    expect(FLOW_FIELD_NAMES).toHaveLength(58);
    expect(Object.values(FLOW_FIELD_VERSIONS).every((v) => v >= 2 && v <= 8)).toBe(true);
    expect(FLOW_FIELD_NAMES.filter((n) => FLOW_FIELD_VERSIONS[n] === 2)).toEqual([...DEFAULT_FLOW_FIELDS]);
    for (const n of Object.keys(VALUES)) expect(isKnownFlowField(n), n).toBe(true);
    expect(isKnownFlowField('reject_reason')).toBe(false);
  });
});

describe('VPC flow log parser: what the object name says', () => {
  it('reads account, region and delivery time from both S3 layouts', () => {
    const file = '111122223333_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz';
    const time = Date.UTC(2018, 5, 20, 16, 20);
    expect(keyFacts(`AWSLogs/111122223333/vpcflowlogs/us-east-1/2018/06/20/${file}`)).toEqual({ account: '111122223333', region: 'us-east-1', timeMs: time });
    expect(keyFacts(`s3://b/prefix/AWSLogs/111122223333/vpcflowlogs/us-east-1/2018/06/20/16/${file}?versionId=abc`)).toEqual({ account: '111122223333', region: 'us-east-1', timeMs: time });
    expect(keyFacts(`p/AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=us-east-1/year=2018/month=06/day=20/hour=16/${file}`)).toEqual({ account: '111122223333', region: 'us-east-1', timeMs: time });
    const none = keyFacts('flows/today.log');
    expect(none.account).toBeNull();
    expect(none.region).toBeNull();
    expect(Number.isNaN(none.timeMs)).toBe(true);
  });

  it("takes account and region from the name when the record has none, the record's own otherwise", () => {
    const hive = 'AWSLogs/aws-account-id=111122223333/aws-service=vpcflowlogs/aws-region=eu-central-1/year=2024/month=05/day=01/111122223333_vpcflowlogs_eu-central-1_fl-1_20240501T1205Z_a.log.gz';
    expect(record(lineOf(['interface-id', 'start']), hive)).toMatchObject({ account_id: '111122223333', region: 'eu-central-1' });
    expect(record(lineOf(['account-id', 'region', 'start']), hive)).toMatchObject({ account_id: '222233334444', region: 'us-west-2' });
    expect(record([LINE.replace('123456789010', 'unknown')], hive)).toMatchObject({ account_id: '111122223333', fields: { 'account-id': 'unknown' } });
  });

  it('dates a record of a format without start and end by the delivery time in an AWS file name, and rejects it without one', async () => {
    expect(record(lineOf(['interface-id', 'srcaddr']), OBJECT)).toMatchObject({ time: Date.UTC(2024, 4, 1, 12, 5), duration_ms: null });
    const tmp = tempDir('loglake-vpcflow-');
    try {
      const body = gzipSync('instance-id interface-id srcaddr dstaddr\n- eni-0b2c3d4e5f6071829 10.0.1.5 10.0.0.220\n');
      const named = await runLocal(writeInput(tmp.path, OBJECT, body), join(tmp.path, 'lake'));
      expect(named.manifest).toMatchObject({ status: 'ok', parser_id: 'vpcflow', routed_by: 'key', records: 1, rejected: 0 });
      const other = await runLocal(writeInput(tmp.path, 'flows/copy.log.gz', body), join(tmp.path, 'lake2'));
      expect(other.manifest).toMatchObject({ status: 'ok', parser_id: 'vpcflow', routed_by: 'content', records: 0, rejected: 1, rejected_by_reason: { no_event_time: 1 } });
    } finally {
      tmp.cleanup();
    }
  });
});

describe('VPC flow log parser: routing', () => {
  it('matches the documented object names of both layouts, hourly or not, and nothing else', () => {
    const file = '123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz';
    for (const key of [
      `AWSLogs/123456789012/vpcflowlogs/us-east-1/2018/06/20/${file}`,
      `my-logs/AWSLogs/123456789012/vpcflowlogs/us-east-1/2018/06/20/16/${file}`,
      `AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2018/month=06/day=20/${file}`,
      `x/AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=us-east-1/year=2018/month=06/day=20/hour=16/${file}`,
      `AWSLogs/aws-account-id=123456789012/service=vpcflowlogs/aws-region=us-east-1/year=2018/month=06/day=20/${file}`,
    ]) {
      expect(routeByKey(key), key).toMatchObject({ kind: 'parse', by: 'key', parser: { id: 'vpcflow' } });
    }
    for (const key of [
      `AWSLogs/123456789012/vpcflowlogs/us-east-1/2018/06/20/${file.replace('.log.gz', '.log.parquet')}`,
      `AWSLogs/123456789012/elasticloadbalancing/us-east-1/2018/06/20/${file}`,
      `vpcflowlogs/${file}`,
    ]) {
      const route = routeByKey(key);
      expect(route?.kind === 'parse' ? route.parser.id : null, key).not.toBe('vpcflow');
    }
  });

  it('recognizes by content a header of documented fields or a default-format line, and no other format', () => {
    expect(routeByContent(`${V2_HEADER}\n${LINE}\n`)).toMatchObject({ kind: 'parse', parser: { id: 'vpcflow' } });
    expect(routeByContent(`${LINE}\n`)).toMatchObject({ kind: 'parse', parser: { id: 'vpcflow' } });
    expect(routeByContent('2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA')).toMatchObject({ kind: 'parse', parser: { id: 'vpcflow' } });
    expect(routeByContent('instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr\n')).toMatchObject({ kind: 'parse', parser: { id: 'vpcflow' } });
    // One field name alone, or mostly unknown names, is too likely to be some other text.
    expect(parser.sniff('end\n')).toBe(false);
    expect(parser.sniff('the end of the story start\n')).toBe(false);
    expect(parser.sniff('hello world\n')).toBe(false);
  });

  it('sniffs none of the other formats’ samples, and no other parser sniffs a flow log sample', () => {
    const headOf = (input: string): string => {
      const bytes = readFileSync(join(SAMPLES, input));
      const text = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
      return text.subarray(0, 4096).toString('utf8');
    };
    for (const input of sampleInputs()) {
      const head = headOf(input);
      if (input.startsWith('vpcflow/') && /\.log(\.gz)?$/.test(input)) {
        expect(parser.sniff(head), input).toBe(true);
        for (const other of PARSERS) if (other.id !== 'vpcflow') expect(other.sniff(head), `${other.id} sniffs ${input}`).toBe(false);
      } else if (!input.endsWith('.zip') && !input.endsWith('.parquet')) {
        expect(parser.sniff(head), input).toBe(false);
      }
    }
  });
});

describe('VPC flow log parser: the default-format fast path', () => {
  /** Values a column of the default format may hold, plain and odd. */
  const ODD: readonly string[] = [
    '-', '0', '00', '007', '255', '256', '65535', '65536', '999999999999999', '9999999999999999', '1.5', '-1', 'x', '',
    'unknown', '012345678901', '12345678901', '1234567890123', 'eni-0a1b2c3d', 'eni-\u0001', 'eni\tx',
    '10.0.0.1', '01.0.0.1', '10.0.0', '10.0.0.256', '10.0.0.1.2', '::1', '2001:db8::1', 'fe80::1%eth0', '2001:db8::g',
    'ACCEPT', 'REJECT', 'ACCEPTED', 'accept', 'DROP', 'OK', 'OKAY', 'NODATA', 'SKIPDATA', 'ok', 'NODATAX',
  ];

  it('gives every line the record or rejection of the generic path: plain lines, and each column made odd in turn', () => {
    const fast = stateFor(DEFAULT_FLOW_FIELDS);
    const generic: VpcFlowState = { ...stateFor(DEFAULT_FLOW_FIELDS), standard: false };
    expect(fast.standard).toBe(true);
    const r = prng(13);
    const base = [
      LINE,
      '2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA',
      '2 123456789010 eni-1235b8ca123456789 2001:db8:1234:a100:8d6e:3477:df66:f105 2001:db8:1234:a102::1 34892 22 6 54 8855 1477913708 1477913820 ACCEPT OK',
      '2 012345678901 eni-0a1b2c3d4e5f60718 203.0.113.12 10.0.1.23 0 0 1 4 336 1714565110 1714565170 REJECT OK',
    ];
    const lines: string[] = [...base, `  ${LINE}  `, LINE.replaceAll(' ', '   '), `${LINE} `, `${LINE}\t`, LINE.replace(' ', '\u0000 ')];
    for (const b of base) {
      const cols = b.split(' ');
      for (let i = 0; i < cols.length; i++) for (const odd of ODD) lines.push(cols.map((c, j) => (j === i ? odd : c)).join(' '));
      for (let k = 0; k < 300; k++) {
        const mutated = cols.map((c) => (r() < 0.15 ? (ODD[Math.floor(r() * ODD.length)] as string) : c));
        lines.push(r() < 0.1 ? mutated.slice(0, -1).join(' ') : r() < 0.1 ? [...mutated, '1'].join(' ') : mutated.join(' '));
      }
    }
    let fastRecords = 0;
    for (const line of lines) {
      const a = parseFlowLine(line, fast, NO_DEFAULTS);
      const b = parseFlowLine(line, generic, NO_DEFAULTS);
      expect(a, JSON.stringify(line)).toEqual(b);
      if (a.ok === true) fastRecords++;
    }
    expect(lines.length).toBeGreaterThan(1500);
    expect(fastRecords).toBeGreaterThan(300);
  });
});

describe('flowRecord: the mapping over a field-name accessor (Parquet-delivered flow logs)', () => {
  it('gives every sample line the record the text parser gives it', () => {
    let lines = 0;
    for (const input of sampleInputs().filter((i) => i.startsWith('vpcflow/') && /\.log(\.gz)?$/.test(i))) {
      const bytes = readFileSync(join(SAMPLES, input));
      const text = (bytes[0] === 0x1f ? gunzipSync(bytes) : bytes).toString('utf8');
      const state = parser.createState?.() as VpcFlowState;
      const ctx: ParseContext<VpcFlowState> = { object: join(SAMPLES, input), ordinal: 0, state };
      for (const line of text.split('\n')) {
        if (line === '' || parser.header?.(line, state)) continue;
        const values = line.split(' ').filter((v) => v !== '');
        if (values.length !== state.names.length || /[\x00-\x1f]/.test(line)) continue;
        const byName = new Map(state.names.map((n, i) => [n, values[i] as string]));
        const viaAccessor = flowRecord((n) => byName.get(n) ?? null, state.names, keyFacts(ctx.object));
        expect(viaAccessor, `${input}: ${line}`).toEqual(parser.parse(line, ctx));
        lines++;
      }
    }
    expect(lines).toBeGreaterThan(30);
  });

  it('reads a Parquet-style row (columns named with underscores, numbers as numbers) through an adapter', () => {
    const row: Record<string, string | number | null> = { version: 2, account_id: '123456789010', interface_id: 'eni-1235b8ca123456789', srcaddr: '172.31.16.139', dstaddr: '172.31.16.21', srcport: 20641, dstport: 22, protocol: 6, packets: 20, bytes: 4249, start: 1418530010, end: 1418530070, action: 'ACCEPT', log_status: 'OK', reject_reason: null };
    const get = (name: string): string | null => {
      const v = row[name.replaceAll('-', '_')];
      return v === null || v === undefined ? null : String(v);
    };
    const names = Object.keys(row).map((c) => c.replaceAll('_', '-'));
    expect(flowRecord(get, names)).toEqual(parser.parse(LINE, { object: 'test', ordinal: 1, state: parser.createState?.() as VpcFlowState }));
    // Without a name list it asks for every documented field.
    expect(flowRecord(get)).toEqual(flowRecord(get, names));
  });

  it('rejects what the text parser rejects, and keeps unknown names in fields', () => {
    expect(flowRecord((n) => (n === 'srcport' ? 'abc' : n === 'start' ? '1418530010' : null))).toMatchObject({ ok: false, reason: 'bad_number' });
    expect(flowRecord((n) => (n === 'start' ? '1418530010' : n === 'future-field' ? 'x' : null), ['start', 'future-field'])).toMatchObject({ ok: true, record: { fields: { 'future-field': 'x' } } });
    expect(flowRecord(() => null)).toMatchObject({ ok: false, reason: 'no_event_time' });
  });
});

describe('vpcflow-parquet rows', () => {
  const OBJECT = 's3://b/AWSLogs/123456789012/vpcflowlogs/eu-west-1/2024/05/01/123456789012_vpcflowlogs_eu-west-1_fl-0a_20240501T1200Z_ab.log.parquet';
  const row = { version: 2, account_id: '123456789012', interface_id: 'eni-1', srcaddr: '10.0.0.1', dstaddr: '10.0.0.2', srcport: 1, dstport: 443, protocol: 6, packets: 2, bytes: 80, start: 1714564800, end: 1714564860, action: 'ACCEPT', log_status: 'OK' };
  const ctx = (): ParseContext<ParquetRowState> => ({ object: OBJECT, ordinal: 1, state: parquetParser.createState?.() as ParquetRowState, drift: 0 });

  it('maps a row as the text parser maps the same line, whatever the column order, and counts unknown columns as drift', () => {
    const line = '2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 443 6 2 80 1714564800 1714564860 ACCEPT OK';
    const text = parseFlowLine(line, stateFor(DEFAULT_FLOW_FIELDS), keyFacts(OBJECT));
    const c = ctx();
    expect(parquetParser.parse(row, c)).toEqual(text);
    // The same context, other columns: the per-object cache follows the row.
    const reordered = Object.fromEntries(Object.entries(row).reverse());
    expect(parquetParser.parse(reordered, c)).toEqual(text);
    expect(c.drift).toBe(0);
    const withNew = { ...row, future_field: 'x' } as Record<string, unknown>;
    const r = parquetParser.parse(withNew, c);
    expect(r.ok === true && r.record.fields?.['future-field']).toBe('x');
    expect(c.drift).toBe(1);
  });

  it('rejects a row that is not an object', () => {
    for (const v of [null, 3, 'text', [row]]) expect(parquetParser.parse(v, ctx())).toEqual({ ok: false, reason: 'not_an_object', detail: 'a Parquet flow log row is not an object' });
  });
});

