/**
 * The mapping of one VPC (or Transit Gateway) flow log record to the common schema, independent
 * of how the record was read: it takes the record's field names (as AWS names them in the
 * header line, `pkt-srcaddr`) and their values. The text parser (`vpcflow.ts`) feeds it the
 * columns of a line; a reader of Parquet-delivered flow logs feeds it the columns of a row (whose
 * names are these names with `_` for `-`) through `flowRecord`.
 *
 * Field list: https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html (versions
 * 2–5, 7, 8) and https://docs.aws.amazon.com/vpc/latest/tgw/tgw-flow-logs.html (Transit Gateway,
 * version 6). Mapping: docs/formats/vpcflow.md.
 */
import type { EventFields } from '../schema/index.js';
import { DASH, badNumber, canonicalUnsigned, unsigned } from './shared/access-log.js';
import { isIP } from './shared/ip.js';
import type { ParseResult } from './types.js';

/** The default format: the version 2 fields, in this order (what a file without a header holds). */
export const DEFAULT_FLOW_FIELDS = [
  'version',
  'account-id',
  'interface-id',
  'srcaddr',
  'dstaddr',
  'srcport',
  'dstport',
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
  'action',
  'log-status',
] as const;

/** Every documented field, with the flow log version that introduced it. */
export const FLOW_FIELD_VERSIONS: Readonly<Record<string, number>> = {
  ...Object.fromEntries(DEFAULT_FLOW_FIELDS.map((n) => [n, 2])),
  'vpc-id': 3,
  'subnet-id': 3,
  'instance-id': 3,
  'tcp-flags': 3,
  type: 3,
  'pkt-srcaddr': 3,
  'pkt-dstaddr': 3,
  region: 4,
  'az-id': 4,
  'sublocation-type': 4,
  'sublocation-id': 4,
  'pkt-src-aws-service': 5,
  'pkt-dst-aws-service': 5,
  'flow-direction': 5,
  'traffic-path': 5,
  // Transit Gateway flow logs only.
  'resource-type': 6,
  'tgw-id': 6,
  'tgw-attachment-id': 6,
  'tgw-src-vpc-account-id': 6,
  'tgw-dst-vpc-account-id': 6,
  'tgw-src-vpc-id': 6,
  'tgw-dst-vpc-id': 6,
  'tgw-src-subnet-id': 6,
  'tgw-dst-subnet-id': 6,
  'tgw-src-eni': 6,
  'tgw-dst-eni': 6,
  'tgw-src-az-id': 6,
  'tgw-dst-az-id': 6,
  'tgw-pair-attachment-id': 6,
  'packets-lost-no-route': 6,
  'packets-lost-blackhole': 6,
  'packets-lost-mtu-exceeded': 6,
  'packets-lost-ttl-expired': 6,
  // Amazon ECS tasks.
  'ecs-cluster-arn': 7,
  'ecs-cluster-name': 7,
  'ecs-container-instance-arn': 7,
  'ecs-container-instance-id': 7,
  'ecs-container-id': 7,
  'ecs-second-container-id': 7,
  'ecs-service-name': 7,
  'ecs-task-definition-arn': 7,
  'ecs-task-arn': 7,
  'ecs-task-id': 7,
  'reject-reason': 8,
};

/** Every documented field name, in the order of AWS's tables. */
export const FLOW_FIELD_NAMES: readonly string[] = Object.keys(FLOW_FIELD_VERSIONS);

/** True for a field name this parser version knows (any other is kept in `fields` and counted as drift). */
export function isKnownFlowField(name: string): boolean {
  return Object.hasOwn(FLOW_FIELD_VERSIONS, name);
}

/** What a field feeds; `PLAIN` fields go to `fields` under their name. */
export const PLAIN = 0;
const ACCOUNT = 1;
const INTERFACE = 2;
const SRCADDR = 3;
const DSTADDR = 4;
const SRCPORT = 5;
const DSTPORT = 6;
const PROTOCOL = 7;
const PACKETS = 8;
const BYTES = 9;
const START = 10;
const END = 11;
const ACTION = 12;
const LOG_STATUS = 13;
const REGION = 14;
const REJECT_REASON = 15;
const TGW_ATTACHMENT = 16;
const TGW_ID = 17;

const ROLE_OF: Readonly<Record<string, number>> = {
  'account-id': ACCOUNT,
  'interface-id': INTERFACE,
  srcaddr: SRCADDR,
  dstaddr: DSTADDR,
  srcport: SRCPORT,
  dstport: DSTPORT,
  protocol: PROTOCOL,
  packets: PACKETS,
  bytes: BYTES,
  start: START,
  end: END,
  action: ACTION,
  'log-status': LOG_STATUS,
  region: REGION,
  'reject-reason': REJECT_REASON,
  'tgw-attachment-id': TGW_ATTACHMENT,
  'tgw-id': TGW_ID,
};

/** The role of a field name (`PLAIN` for every field that only goes to `fields`). */
export function roleOf(name: string): number {
  return Object.hasOwn(ROLE_OF, name) ? (ROLE_OF[name] as number) : PLAIN;
}

/**
 * IANA keywords of the protocol numbers (https://www.iana.org/assignments/protocol-numbers), for
 * the ones flow logs commonly show; `action` is null for the others (the number stays in `fields`).
 */
const PROTOCOL_NAMES: ReadonlyArray<string | undefined> = (() => {
  const names: Array<string | undefined> = new Array<string | undefined>(256).fill(undefined);
  const known: Array<[number, string]> = [
    [0, 'HOPOPT'],
    [1, 'ICMP'],
    [2, 'IGMP'],
    [4, 'IPv4'],
    [6, 'TCP'],
    [8, 'EGP'],
    [17, 'UDP'],
    [41, 'IPv6'],
    [43, 'IPv6-Route'],
    [44, 'IPv6-Frag'],
    [46, 'RSVP'],
    [47, 'GRE'],
    [50, 'ESP'],
    [51, 'AH'],
    [58, 'IPv6-ICMP'],
    [59, 'IPv6-NoNxt'],
    [60, 'IPv6-Opts'],
    [88, 'EIGRP'],
    [89, 'OSPFIGP'],
    [103, 'PIM'],
    [112, 'VRRP'],
    [115, 'L2TP'],
    [132, 'SCTP'],
    [136, 'UDPLite'],
    [137, 'MPLS-in-IP'],
  ];
  for (const [n, name] of known) names[n] = name;
  return names;
})();

/** The IANA keyword of a protocol number, or null when it is not one of the common ones. */
export function protocolName(n: number): string | null {
  return PROTOCOL_NAMES[n] ?? null;
}

/** What a record may take from the object it came in when it does not say it itself. */
export interface FlowDefaults {
  /** Account of the `AWSLogs/<account>/vpcflowlogs/…` key (also the Hive layout), or null. */
  readonly account: string | null;
  readonly region: string | null;
  /**
   * Epoch ms standing in for the event time of a record whose format has neither `start` nor
   * `end` (the `_YYYYMMDDTHHmmZ_` of an AWS file name: its records end in the 5 minutes after
   * it), NaN when there is none.
   */
  readonly timeMs: number;
}

export const NO_DEFAULTS: FlowDefaults = { account: null, region: null, timeMs: NaN };

/** A region as flow logs write it (`us-east-1`, `us-gov-west-1`, `cn-north-1`). */
const REGION_NAME = /^[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d$/;

/** True for 12 digits, an AWS account id. */
function isAccountId(s: string): boolean {
  if (s.length !== 12) return false;
  for (let i = 0; i < 12; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
  }
  return true;
}

/**
 * The typed values of the record being mapped. One instance, reset for every record: the mapping
 * runs on the hot path of the text parser and allocates only the record and its `fields`. A
 * reader may fill it directly (the text parser's default-format path does) instead of through
 * `takeTyped`, between `resetFlow` and `finishFlow`; -1 is an absent number.
 */
export interface Flow {
  account: string | null;
  iface: string | null;
  attachment: string | null;
  tgw: string | null;
  src: string | null;
  dst: string | null;
  srcPort: number;
  dstPort: number;
  protocol: number;
  bytes: number;
  start: number;
  end: number;
  endText: string;
  action: string | null;
  logStatus: string | null;
  region: string | null;
  rejectReason: string | null;
}

export const flow: Flow = {
  account: null,
  iface: null,
  attachment: null,
  tgw: null,
  src: null,
  dst: null,
  srcPort: -1,
  dstPort: -1,
  protocol: -1,
  bytes: -1,
  start: -1,
  end: -1,
  endText: '',
  action: null,
  logStatus: null,
  region: null,
  rejectReason: null,
};

/** Starts a record: every typed value absent. */
export function resetFlow(): void {
  flow.account = null;
  flow.iface = null;
  flow.attachment = null;
  flow.tgw = null;
  flow.src = null;
  flow.dst = null;
  flow.srcPort = -1;
  flow.dstPort = -1;
  flow.protocol = -1;
  flow.bytes = -1;
  flow.start = -1;
  flow.end = -1;
  flow.endText = '';
  flow.action = null;
  flow.logStatus = null;
  flow.region = null;
  flow.rejectReason = null;
}

/** The rejection of a number outside its range, or not a number at all. */
function notA(what: string, name: string, value: string): ParseResult {
  return Number.isNaN(unsigned(value)) ? badNumber(name, value) : { ok: false, reason: 'bad_number', detail: `${name} ${JSON.stringify(value.slice(0, 40))} is not a ${what}` };
}

/**
 * Takes one present value (not `-`) of a typed field into the record being built, or into
 * `fields` when it cannot be typed; returns the rejection of a number that is not one, else null.
 * Numbers are kept in `fields` too when their text is not the canonical form of the number
 * (leading zeros), so nothing of the line is lost.
 */
export function takeTyped(role: number, name: string, value: string, fields: Record<string, string>): ParseResult | null {
  switch (role) {
    case ACCOUNT:
      // `unknown` for interfaces an AWS service created: kept as written, the key's account stands in.
      if (isAccountId(value)) flow.account = value;
      else fields[name] = value;
      return null;
    case INTERFACE:
      flow.iface = value;
      return null;
    case SRCADDR:
      if (isIP(value)) flow.src = value;
      else fields[name] = value;
      return null;
    case DSTADDR:
      if (isIP(value)) flow.dst = value;
      else fields[name] = value;
      return null;
    case SRCPORT: {
      const n = unsigned(value);
      if (!(n <= 65535)) return notA('port (0–65535)', name, value);
      flow.srcPort = n;
      if (!canonicalUnsigned(value)) fields[name] = value;
      return null;
    }
    case DSTPORT: {
      const n = unsigned(value);
      if (!(n <= 65535)) return notA('port (0–65535)', name, value);
      flow.dstPort = n;
      if (!canonicalUnsigned(value)) fields[name] = value;
      return null;
    }
    case PROTOCOL: {
      const n = unsigned(value);
      if (!(n <= 255)) return notA('protocol number (0–255)', name, value);
      flow.protocol = n;
      fields[name] = value;
      return null;
    }
    case PACKETS:
      if (Number.isNaN(unsigned(value))) return badNumber(name, value);
      fields[name] = value;
      return null;
    case BYTES: {
      const n = unsigned(value);
      if (Number.isNaN(n)) return badNumber(name, value);
      flow.bytes = n;
      if (!canonicalUnsigned(value)) fields[name] = value;
      return null;
    }
    case START: {
      const n = unsigned(value);
      if (Number.isNaN(n)) return badNumber(name, value);
      flow.start = n;
      if (!canonicalUnsigned(value)) fields[name] = value;
      return null;
    }
    case END: {
      const n = unsigned(value);
      if (Number.isNaN(n)) return badNumber(name, value);
      flow.end = n;
      flow.endText = value;
      return null;
    }
    case ACTION:
      flow.action = value;
      return null;
    case LOG_STATUS:
      flow.logStatus = value;
      fields[name] = value;
      return null;
    case REGION:
      if (REGION_NAME.test(value)) flow.region = value;
      else fields[name] = value;
      return null;
    case REJECT_REASON:
      flow.rejectReason = value;
      return null;
    case TGW_ATTACHMENT:
      flow.attachment = value;
      return null;
    case TGW_ID:
      flow.tgw = value;
      return null;
    default:
      fields[name] = value;
      return null;
  }
}

/** The record of the values taken since `resetFlow`, with `fields` as built alongside. */
export function finishFlow(fields: Record<string, string>, defaults: FlowDefaults): ParseResult {
  const f = flow;
  let time: number;
  let duration: number | null = null;
  if (f.start >= 0) {
    time = f.start * 1000;
    if (f.end >= f.start) {
      duration = (f.end - f.start) * 1000;
      if (!canonicalUnsigned(f.endText)) fields.end = f.endText;
    } else if (f.end >= 0) {
      fields.end = f.endText;
    }
  } else if (f.end >= 0) {
    time = f.end * 1000;
    if (!canonicalUnsigned(f.endText)) fields.end = f.endText;
  } else if (!Number.isNaN(defaults.timeMs)) {
    time = defaults.timeMs;
  } else {
    return { ok: false, reason: 'no_event_time', detail: 'the record has neither start nor end, and the object name carries no delivery time' };
  }

  // The interface a VPC flow log record is about, or the attachment (else the transit gateway)
  // of a Transit Gateway flow log record; the ids not chosen stay in `fields`.
  let resource: string | null;
  let resourceType: string | null;
  if (f.iface !== null) {
    resource = f.iface;
    resourceType = 'AWS::EC2::NetworkInterface';
    if (f.attachment !== null) fields['tgw-attachment-id'] = f.attachment;
    if (f.tgw !== null) fields['tgw-id'] = f.tgw;
  } else if (f.attachment !== null) {
    resource = f.attachment;
    resourceType = 'AWS::EC2::TransitGatewayAttachment';
    if (f.tgw !== null) fields['tgw-id'] = f.tgw;
  } else if (f.tgw !== null) {
    resource = f.tgw;
    resourceType = 'AWS::EC2::TransitGateway';
  } else {
    resource = null;
    resourceType = null;
  }

  const action = f.action;
  const logStatus = f.logStatus;
  const record: EventFields = {
    time,
    category: 'network_activity',
    account_id: f.account ?? defaults.account,
    region: f.region ?? defaults.region,
    action: f.protocol >= 0 ? protocolName(f.protocol) : null,
    resource,
    resource_type: resourceType,
    src_ip: f.src,
    dst_ip: f.dst,
    src_port: f.srcPort >= 0 ? f.srcPort : null,
    dst_port: f.dstPort >= 0 ? f.dstPort : null,
    // ACCEPT / REJECT; a record without traffic says NODATA or SKIPDATA instead.
    status: action ?? (logStatus !== null && logStatus !== 'OK' ? logStatus : null),
    outcome: action === 'ACCEPT' ? 'success' : action === 'REJECT' ? 'failure' : 'unknown',
    error: f.rejectReason,
    bytes_in: f.bytes >= 0 ? f.bytes : null,
    duration_ms: duration,
    fields,
  };
  return { ok: true, record };
}

/**
 * Maps one flow log record given as field names and an accessor of their values: `get(name)` is
 * the value of field `name` (the AWS name, `log-status`), null or `-` when absent. `names` lists
 * the fields the record has (a header line, a Parquet row's columns), by default every documented
 * field; a name not documented is kept in `fields` under its name (the caller counts the drift).
 */
export function flowRecord(get: (name: string) => string | null, names: readonly string[] = FLOW_FIELD_NAMES, defaults: FlowDefaults = NO_DEFAULTS): ParseResult {
  resetFlow();
  const fields: Record<string, string> = {};
  for (const name of names) {
    const value = get(name);
    if (value === null || value === DASH || value === '') continue;
    const rejected = takeTyped(roleOf(name), name, value, fields);
    if (rejected !== null) return rejected;
  }
  return finishFlow(fields, defaults);
}
