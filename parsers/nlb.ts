/**
 * Network Load Balancer access logs: one space-separated line per TLS connection (only TLS
 * listeners log), gzipped, five-minute files.
 *
 * Format: https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-access-logs.html
 * Supports log versions 1.0 and 2.0 (ALPN fields) and the later `tls_connection_creation_time`;
 * fields AWS appends later are kept under positional names. Mapping: docs/formats/nlb.md.
 */
import type { EventFields } from '../schema/index.js';
import {
  DASH,
  badNumber,
  ELB_CONTROL_PREFIX,
  canonicalDecimal,
  canonicalUnsigned,
  countTrailingDrift,
  decimal,
  elbLogKey,
  positionalName,
  present,
  screenLine,
  unsigned,
} from './shared/access-log.js';
import { splitHostPort } from './shared/ip.js';
import { parseIsoUtc } from './shared/time.js';
import { Tokens } from './shared/tokenizer.js';
import type { ParseContext, ParseResult, LineParser } from './types.js';

/** Field names in line order, as the AWS documentation names them. */
export const NLB_FIELDS = [
  'type',
  'version',
  'time',
  'elb',
  'listener',
  'client:port',
  'destination:port',
  'connection_time',
  'tls_handshake_time',
  'received_bytes',
  'sent_bytes',
  'incoming_tls_alert',
  'chosen_cert_arn',
  'chosen_cert_serial',
  'tls_cipher',
  'tls_protocol_version',
  'tls_named_group',
  'domain_name',
  'alpn_fe_protocol',
  'alpn_be_protocol',
  'alpn_client_preference_list',
  'tls_connection_creation_time',
] as const;

/** Version 1.0 lines end at `tls_named_group`. */
const MIN_FIELDS = 17;
const I_TYPE = 0;
const I_TIME = 2;
const I_CLIENT = 5;
const I_DESTINATION = 6;
const I_CONNECTION = 7;
const I_HANDSHAKE = 8;
const I_RECEIVED = 9;
const I_SENT = 10;
const I_ALERT = 11;

const tokens = new Tokens();

/** Reads an optional unsigned count: null for `-`, NaN when not a number. */
function count(text: string): number | null {
  return text === DASH ? null : unsigned(text);
}

/** Reads an optional duration in ms: null for `-`, NaN when not a number. */
function millis(text: string): number | null {
  return text === DASH ? null : decimal(text);
}

/** Parses one NLB TLS access-log line. */
export function parseNlbLine(line: string): ParseResult {
  if (line.startsWith(ELB_CONTROL_PREFIX)) return { ok: 'skip', reason: 'control' };
  const rejected = screenLine(line, tokens);
  if (rejected !== null) return rejected;
  const v = tokens.values;
  const n = tokens.count;
  if (v[I_TYPE] !== 'tls') {
    return { ok: false, reason: 'unknown_format', detail: `an NLB access-log line starts with "tls", found ${JSON.stringify((v[0] as string).slice(0, 40))}` };
  }
  if (n < MIN_FIELDS) return { ok: false, reason: 'field_count_mismatch', detail: `${n} fields, an NLB line has at least ${MIN_FIELDS}` };
  const timeText = v[I_TIME] as string;
  const time = parseIsoUtc(timeText);
  if (Number.isNaN(time)) return { ok: false, reason: 'bad_timestamp', detail: `time ${JSON.stringify(timeText.slice(0, 40))} is not an ISO-8601 UTC time` };

  const connection = millis(v[I_CONNECTION] as string);
  if (connection !== null && Number.isNaN(connection)) return badNumber('connection_time', v[I_CONNECTION] as string);
  const handshakeText = v[I_HANDSHAKE] as string;
  const handshake = millis(handshakeText);
  if (handshake !== null && Number.isNaN(handshake)) return badNumber('tls_handshake_time', handshakeText);
  const received = count(v[I_RECEIVED] as string);
  if (received !== null && Number.isNaN(received)) return badNumber('received_bytes', v[I_RECEIVED] as string);
  const sent = count(v[I_SENT] as string);
  if (sent !== null && Number.isNaN(sent)) return badNumber('sent_bytes', v[I_SENT] as string);
  const alertText = v[I_ALERT] as string;
  if (alertText !== DASH && Number.isNaN(unsigned(alertText))) return badNumber('incoming_tls_alert', alertText);

  const client = splitHostPort(v[I_CLIENT] as string);
  const destination = splitHostPort(v[I_DESTINATION] as string);
  // Named stores in a fixed order keep these objects in a few shared V8 shapes (see alb.ts).
  const fields: Record<string, string> = {};
  let x: string;
  fields.type = v[I_TYPE] as string;
  if (present((x = v[1] as string))) fields.version = x;
  if (present((x = v[3] as string))) fields.elb = x;
  if (present((x = v[4] as string))) fields.listener = x;
  if (client === null && present((x = v[I_CLIENT] as string))) fields['client:port'] = x;
  if (destination === null && present((x = v[I_DESTINATION] as string))) fields['destination:port'] = x;
  if (connection !== null && !canonicalDecimal(v[I_CONNECTION] as string, connection)) fields.connection_time = v[I_CONNECTION] as string;
  if (present(handshakeText)) fields.tls_handshake_time = handshakeText;
  if (received !== null && !canonicalUnsigned(v[I_RECEIVED] as string)) fields.received_bytes = v[I_RECEIVED] as string;
  if (sent !== null && !canonicalUnsigned(v[I_SENT] as string)) fields.sent_bytes = v[I_SENT] as string;
  if (present((x = v[12] as string))) fields.chosen_cert_arn = x;
  if (present((x = v[13] as string))) fields.chosen_cert_serial = x;
  if (present((x = v[14] as string))) fields.tls_cipher = x;
  if (present((x = v[15] as string))) fields.tls_protocol_version = x;
  if (present((x = v[16] as string))) fields.tls_named_group = x;
  if (n > 17) {
    if (present((x = v[17] as string))) fields.domain_name = x;
    if (n > 18 && present((x = v[18] as string))) fields.alpn_fe_protocol = x;
    if (n > 19 && present((x = v[19] as string))) fields.alpn_be_protocol = x;
    // The ALPN preference list is a list of quoted names (`"h2","http/1.1"`): keep its quotes.
    if (n > 20 && present(v[20] as string)) fields.alpn_client_preference_list = tokens.text(20);
    if (n > 21 && present((x = v[21] as string))) fields.tls_connection_creation_time = x;
    for (let i = NLB_FIELDS.length; i < n; i++) if (present(v[i] as string)) fields[positionalName(i)] = tokens.text(i);
  }

  const elb = v[3] as string;
  const listener = v[4] as string;
  const record: EventFields = {
    time,
    category: 'network_activity',
    action: v[I_TYPE] as string,
    resource: elb !== DASH && listener !== DASH ? `listener/${elb}/${listener}` : null,
    resource_type: elb !== DASH && listener !== DASH ? 'AWS::ElasticLoadBalancingV2::Listener' : null,
    src_ip: client?.ip ?? null,
    src_port: client?.port ?? null,
    dst_ip: destination?.ip ?? null,
    dst_port: destination?.port ?? null,
    status: alertText === DASH ? null : alertText,
    // `-` handshake time: the TLS handshake never completed.
    outcome: handshakeText === DASH ? 'failure' : 'success',
    bytes_in: received,
    bytes_out: sent,
    duration_ms: connection,
    fields,
  };
  return { ok: true, record };
}

/** Network Load Balancer TLS access logs. */
export const parser: LineParser = {
  id: 'nlb',
  source: 'nlb',
  version: 1,
  framing: 'lines',
  description: 'Network Load Balancer TLS access logs (versions 1.0 and 2.0)',
  docsUrl: 'https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-access-logs.html',
  keyPatterns: [elbLogKey('net\\.[^/]+')],
  keyExample: 'AWSLogs/<account>/elasticloadbalancing/<region>/YYYY/MM/DD/<account>_elasticloadbalancing_<region>_net.<lb-name>.<lb-id>_<end-time>_<random>.log.gz',
  sniff(head: string): boolean {
    if (head.startsWith(`${ELB_CONTROL_PREFIX}net/`)) return true;
    return /^tls \d+\.\d+ \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z? net\/\S+ \S+ \S+:\d+ \S+:\d+ /.test(head);
  },
  parse(frame: string, ctx: ParseContext): ParseResult {
    return countTrailingDrift(parseNlbLine(frame), tokens, NLB_FIELDS.length, ctx);
  },
};
