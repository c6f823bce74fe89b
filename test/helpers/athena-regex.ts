/**
 * AWS's published Athena RegexSerDe tables for the access logs, read at run time from the
 * corpus's FORMATS.md section 12 (never copied into the project), and a field-by-field
 * comparison of their captures with our records. Used by the conformance test as an
 * independent reader and by the access-log benchmark as the speed and agreement baseline.
 */
import type { EventFields } from '../../schema/index.js';

/** One `CREATE EXTERNAL TABLE … RegexSerDe` statement: column names and the compiled pattern. */
export interface AthenaTable {
  readonly section: string;
  readonly columns: readonly string[];
  /** Anchored at both ends: Hive's RegexSerDe uses `Matcher.matches()`, a whole-line match. */
  readonly regex: RegExp;
}

/** The formats compared, and the FORMATS.md section holding each one's statement. */
export const ATHENA_SECTIONS = { alb: '12.1', elb: '12.2', nlb: '12.9', s3access: '12.4' } as const;
/** A format that has an Athena RegexSerDe statement to compare with. */
export type AthenaFormat = keyof typeof ATHENA_SECTIONS;

/** Undoes Hive string-literal escaping (`\\` → `\`, `\"` → `"`), leaving regex escapes alone. */
function unescapeHiveLiteral(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    const next = s[i + 1];
    if (c === '\\' && (next === '\\' || next === '"' || next === "'")) {
      out += next;
      i++;
    } else {
      out += c;
    }
  }
  return out;
}

/** Reads the statement of `section` (e.g. `12.1`) out of FORMATS.md. */
export function athenaTable(formatsMd: string, section: string): AthenaTable {
  const start = formatsMd.indexOf(`### ${section} `);
  if (start < 0) throw new Error(`FORMATS.md has no section ${section}`);
  const end = formatsMd.indexOf('\n### ', start + 4);
  const text = formatsMd.slice(start, end < 0 ? undefined : end);
  const create = text.indexOf('CREATE EXTERNAL TABLE');
  const open = text.indexOf('(', create);
  const close = text.indexOf('ROW FORMAT', open);
  if (create < 0 || open < 0 || close < 0) throw new Error(`section ${section} has no CREATE EXTERNAL TABLE statement`);
  const columns = text
    .slice(open + 1, text.lastIndexOf(')', close))
    .split(',')
    .map((c) => c.trim().split(/\s+/)[0]?.replaceAll('`', '') ?? '')
    .filter((c) => c !== '');
  const key = text.indexOf("'input.regex'");
  const q1 = text.indexOf("'", text.indexOf('=', key));
  const q2 = text.indexOf("'", q1 + 1);
  if (key < 0 || q1 < 0 || q2 < 0) throw new Error(`section ${section} has no input.regex`);
  const pattern = unescapeHiveLiteral(text.slice(q1 + 1, q2));
  return { section, columns, regex: new RegExp(`^(?:${pattern})$`) };
}

/** What our record says for one Athena column, as text; null where the source had `-`. */
type Ours = (r: EventFields) => string | number | null | undefined;

const f =
  (name: string): Ours =>
  (r) =>
    r.fields?.[name];

/** Per format: for each Athena column, where our record keeps the same value. */
const OURS: Record<AthenaFormat, Record<string, Ours>> = {
  alb: {
    type: f('type'),
    time: (r) => r.time,
    elb: f('elb'),
    client_ip: (r) => r.src_ip,
    client_port: (r) => r.src_port,
    target_ip: (r) => r.dst_ip,
    target_port: (r) => r.dst_port,
    request_processing_time: f('request_processing_time'),
    target_processing_time: f('target_processing_time'),
    response_processing_time: f('response_processing_time'),
    elb_status_code: (r) => r.status,
    target_status_code: f('target_status_code'),
    received_bytes: (r) => r.bytes_in,
    sent_bytes: (r) => r.bytes_out,
    request_verb: (r) => r.action,
    request_url: (r) => r.resource,
    request_proto: f('request_protocol'),
    user_agent: (r) => r.user_agent,
    ssl_cipher: f('ssl_cipher'),
    ssl_protocol: f('ssl_protocol'),
    target_group_arn: f('target_group_arn'),
    trace_id: (r) => r.request_id,
    domain_name: f('domain_name'),
    chosen_cert_arn: f('chosen_cert_arn'),
    matched_rule_priority: f('matched_rule_priority'),
    request_creation_time: f('request_creation_time'),
    actions_executed: f('actions_executed'),
    redirect_url: f('redirect_url'),
    lambda_error_reason: (r) => r.error,
    target_port_list: f('target:port_list'),
    target_status_code_list: f('target_status_code_list'),
    classification: f('classification'),
    classification_reason: f('classification_reason'),
  },
  elb: {
    timestamp: (r) => r.time,
    elb_name: f('elb'),
    request_ip: (r) => r.src_ip,
    request_port: (r) => r.src_port,
    backend_ip: (r) => r.dst_ip,
    backend_port: (r) => r.dst_port,
    request_processing_time: f('request_processing_time'),
    backend_processing_time: f('backend_processing_time'),
    client_response_time: f('response_processing_time'),
    elb_response_code: (r) => r.status,
    backend_response_code: f('backend_status_code'),
    received_bytes: (r) => r.bytes_in,
    sent_bytes: (r) => r.bytes_out,
    request_verb: (r) => r.action,
    url: (r) => r.resource,
    protocol: f('request_protocol'),
    user_agent: (r) => r.user_agent,
    ssl_cipher: f('ssl_cipher'),
    ssl_protocol: f('ssl_protocol'),
  },
  nlb: {
    type: f('type'),
    version: f('version'),
    time: (r) => r.time,
    elb: f('elb'),
    listener_id: f('listener'),
    client_ip: (r) => r.src_ip,
    client_port: (r) => r.src_port,
    target_ip: (r) => r.dst_ip,
    target_port: (r) => r.dst_port,
    tcp_connection_time_ms: (r) => r.duration_ms,
    tls_handshake_time_ms: f('tls_handshake_time'),
    received_bytes: (r) => r.bytes_in,
    sent_bytes: (r) => r.bytes_out,
    incoming_tls_alert: (r) => r.status,
    cert_arn: f('chosen_cert_arn'),
    certificate_serial: f('chosen_cert_serial'),
    tls_cipher_suite: f('tls_cipher'),
    tls_protocol_version: f('tls_protocol_version'),
    tls_named_group: f('tls_named_group'),
    domain_name: f('domain_name'),
    alpn_fe_protocol: f('alpn_fe_protocol'),
    alpn_be_protocol: f('alpn_be_protocol'),
    alpn_client_preference_list: f('alpn_client_preference_list'),
    tls_connection_creation_time: f('tls_connection_creation_time'),
  },
  s3access: {
    bucketowner: f('bucket_owner'),
    bucket_name: f('bucket'),
    requestdatetime: (r) => r.time,
    remoteip: (r) => r.src_ip ?? r.fields?.remote_ip,
    requester: (r) => r.actor,
    requestid: (r) => r.request_id,
    operation: (r) => r.action,
    key: (r) => r.fields?.key ?? (r.resource_type === 'AWS::S3::Object' ? r.resource?.slice((r.fields?.bucket?.length ?? -1) + 1) : null),
    request_uri: f('request_uri'),
    httpstatus: (r) => r.status,
    errorcode: (r) => r.error,
    bytessent: (r) => r.bytes_out,
    objectsize: f('object_size'),
    totaltime: (r) => r.duration_ms,
    turnaroundtime: f('turn_around_time'),
    referrer: f('referer'),
    useragent: (r) => r.user_agent,
    versionid: f('version_id'),
    hostid: f('host_id'),
    sigv: f('signature_version'),
    ciphersuite: f('cipher_suite'),
    authtype: f('authentication_type'),
    endpoint: f('host_header'),
    tlsversion: f('tls_version'),
    accesspointarn: f('access_point_arn'),
    aclrequired: f('acl_required'),
  },
};

/**
 * A capture as a value: `-`, a quoted `"-"` or an empty optional group is nothing; the quotes
 * some patterns capture (Classic user agent, S3 referrer) and the trailing space of the
 * Classic `"- - - "` placeholder are the pattern's, not the field's. NLB's ALPN list is
 * really a list of quoted names, so its quotes stay.
 */
function theirs(v: string | undefined, keepQuotes: boolean): string | null {
  if (v === undefined) return null;
  const t = v.trim();
  if (t === '' || t === '-' || t === '"-"') return null;
  return !keepQuotes && t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';

/** Epoch ms of the time text the regexes capture (ISO-8601 with or without zone, or CLF). */
function timeOf(text: string): number {
  const clf = /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-]\d{2})(\d{2})$/.exec(text);
  if (clf) {
    const [, d, mon, y, hh, mm, ss, oh, om] = clf as unknown as string[];
    const month = MONTHS.indexOf(mon as string) / 3;
    const offset = (Number(oh) * 60 + Math.sign(Number(oh)) * Number(om)) * 60_000;
    return Date.UTC(Number(y), month, Number(d), Number(hh), Number(mm), Number(ss)) - offset;
  }
  return Math.floor(Date.parse(/Z$/.test(text) ? text : `${text}Z`));
}

/**
 * Compares the regex captures of one line with our record. Returns the Athena column names
 * whose values differ (empty when the two readers agree on every column).
 */
export function disagreements(format: AthenaFormat, table: AthenaTable, captures: RegExpExecArray, record: EventFields): string[] {
  const out: string[] = [];
  const ours = OURS[format];
  for (let i = 0; i < table.columns.length; i++) {
    const column = table.columns[i] as string;
    const pick = ours[column];
    if (pick === undefined) continue;
    const them = theirs(captures[i + 1], format === 'nlb');
    const mine = pick(record);
    if (column === 'time' || column === 'timestamp' || column === 'requestdatetime') {
      if (them === null || timeOf(them) !== mine) out.push(column);
      continue;
    }
    const mineText = mine === null || mine === undefined ? null : String(mine);
    if (mineText !== them) out.push(column);
  }
  return out;
}
