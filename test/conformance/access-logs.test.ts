/**
 * Every access-log file of the shared corpus (alb/, clb/, nlb/, s3access/, cloudfront/) through
 * the real pipeline, read back from Parquet: counts reconcile, every line is a record, a header
 * or control skip, or a clear rejection; every record keeps its line in `raw` and the time an
 * independent reading of the line gives; every record agrees field by field with AWS's own
 * Athena RegexSerDe reading of the same line where that pattern matches; and the values of the
 * upstream tools' goldens (`*.expected.json|yaml`: OpenTelemetry, Vector, SignalFx — other
 * names, same values) are found in our records.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeQuery } from '../../query/lake-query.js';
import type { Manifest } from '../../pipeline/run/manifest.js';

import type { EventFields } from '../../schema/index.js';
import { athenaTable, ATHENA_SECTIONS, disagreements, type AthenaFormat, type AthenaTable } from '../helpers/athena-regex.js';
import { CORPUS, corpusMissingReason, corpusPresent, requireCorpusInCi } from '../helpers/corpus.js';
import { goldenRow } from '../helpers/golden.js';
import { runLocal, tempDir } from '../helpers/lake.js';

type Json = Record<string, unknown>;
type Row = EventFields & { ordinal: number; raw: string; fields: Record<string, string> };

/** Corpus folder → the parser its files must be routed to. */
const FOLDERS = { alb: 'alb', clb: 'elb', nlb: 'nlb', s3access: 's3access', cloudfront: 'cloudfront' } as const;

/**
 * Deliberately invalid inputs: nothing recognizes them by content (the object fails with
 * `unknown_format`, as it must), and routed to their format explicitly every line still ends as
 * a record or a rejection with the reason given here.
 */
const INVALID: Record<string, { records: number; rejected: Record<string, number> }> = {
  'alb/otel-contrib_alb_al_insufficient_fields.log': { records: 0, rejected: { field_count_mismatch: 1 } },
  'alb/otel-contrib_alb_al_invalid_syntax.log': { records: 0, rejected: { unknown_format: 1 } },
  's3access/signalfx_invalid_s3.log': { records: 1, rejected: { unknown_format: 1 } },
};

/** Lines of a corpus file as the pipeline frames them. */
function linesOf(path: string): string[] {
  const bytes = readFileSync(path);
  const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';

/** The event time of a line, read independently of the parsers (Date.parse on the time field). */
function referenceTime(folder: string, line: string): number {
  const tokens = line.split(' ');
  switch (folder) {
    case 'alb':
      return Math.floor(Date.parse(tokens[1] as string));
    case 'clb':
      return Math.floor(Date.parse(tokens[0] as string));
    case 'nlb':
      return Date.parse(`${tokens[2] as string}Z`);
    case 's3access': {
      const m = /\[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}:\d{2}:\d{2}) \+0000\]/.exec(line) as RegExpExecArray;
      return Date.parse(`${m[3]}-${String(MONTHS.indexOf(m[2] as string) / 3 + 1).padStart(2, '0')}-${m[1]}T${m[4]}Z`);
    }
    default: {
      const cols = line.split('\t');
      return Date.parse(`${(cols[0] as string).trim()}T${(cols[1] as string).trim()}Z`);
    }
  }
}

/** Attributes of each log record of an OpenTelemetry pdata YAML golden, as key → value text. */
function otelRecords(yaml: string): Array<Record<string, string>> {
  const records: Array<Record<string, string>> = [];
  const resource: Record<string, string> = {};
  let current: Record<string, string> = resource;
  const lines = yaml.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (/^\s+- logRecords:|^\s+- attributes:/.test(line) && current !== resource) {
      records.push(current);
      current = { ...resource };
    } else if (/^\s+- logRecords:/.test(line)) {
      current = { ...resource };
    }
    const key = /^\s+- key: (\S+)/.exec(line);
    if (key) {
      const value = /(?:stringValue|intValue|boolValue|doubleValue): "?([^"]*)"?$/.exec(lines[i + 2] ?? '');
      if (value) current[key[1] as string] = value[1] as string;
    }
    const t = /^\s+timeUnixNano: "(\d+)"/.exec(line);
    if (t) current.timeUnixNano = t[1] as string;
  }
  if (current !== resource) records.push(current);
  return records.filter((r) => r.timeUnixNano !== undefined);
}

const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

describe.skipIf(!corpusPresent)(`access-log conformance corpus${corpusPresent ? '' : ` (skipped: ${corpusMissingReason})`}`, () => {
  const files: Array<{ folder: keyof typeof FOLDERS; name: string; path: string }> = [];
  for (const folder of Object.keys(FOLDERS) as Array<keyof typeof FOLDERS>) {
    const dir = join(CORPUS, folder);
    if (!corpusPresent || !existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      if (!name.includes('.expected.')) files.push({ folder, name, path: join(dir, name) });
    }
  }
  const lake = tempDir('loglake-access-conformance-');
  const forcedLake = tempDir('loglake-access-forced-');
  const manifests = new Map<string, Manifest>();
  const forced = new Map<string, Manifest>();
  const rowsByFile = new Map<string, Row[]>();
  const athena = new Map<AthenaFormat, AthenaTable>();
  let q: LakeQuery;

  beforeAll(async () => {
    const formats = readFileSync(join(CORPUS, 'FORMATS.md'), 'utf8');
    for (const [format, section] of Object.entries(ATHENA_SECTIONS)) athena.set(format as AthenaFormat, athenaTable(formats, section));
    for (const f of files) {
      const id = `${f.folder}/${f.name}`;
      manifests.set(id, (await runLocal(f.path, lake.path)).manifest);
      if (INVALID[id]) {
        forced.set(id, (await runLocal(f.path, forcedLake.path, { rule: () => ({ kind: 'pin', format: FOLDERS[f.folder] }) })).manifest);
      }
    }
    q = await LakeQuery.open(lake.path);
    for (const f of files) {
      const sql = `SELECT * EXCLUDE (time), epoch_ms(time) AS time FROM events WHERE object = '${f.path.replaceAll("'", "''")}' ORDER BY ordinal`;
      const rows = (await q.rows(sql)).rows.map((r) => {
        const g = goldenRow(r) as Json;
        return { ...g, time: Number(g.time), ordinal: Number(g.ordinal), fields: (g.fields ?? {}) as Record<string, string> } as unknown as Row;
      });
      rowsByFile.set(`${f.folder}/${f.name}`, rows);
    }
  }, 120_000);
  afterAll(() => {
    q?.close();
    lake.cleanup();
    forcedLake.cleanup();
  });

  it('covers every access-log folder of the corpus', () => {
    for (const folder of Object.keys(FOLDERS)) expect(files.some((f) => f.folder === folder), folder).toBe(true);
    expect(files.length).toBeGreaterThan(25);
  });

  for (const f of files) {
    const id = `${f.folder}/${f.name}`;
    const expectedParser = FOLDERS[f.folder];
    const invalid = INVALID[id];

    if (invalid) {
      it(`${id}: is not recognized by content, and routed explicitly every line is a record or a clear rejection`, () => {
        const m = manifests.get(id) as Manifest;
        expect(m).toMatchObject({ status: 'failed', reason: 'unknown_format', records: 0 });
        const fm = forced.get(id) as Manifest;
        const lines = linesOf(f.path).filter((l) => l !== '');
        expect(fm).toMatchObject({ status: 'ok', source: expectedParser, records: invalid.records, rejected_by_reason: invalid.rejected });
        expect(fm.lines_in).toBe(lines.length);
        expect(fm.lines_in).toBe(fm.records + fm.rejected + fm.skipped);
      });
      continue;
    }

    it(`${id}: routed to ${expectedParser}, every line accounted for, raw and time kept`, () => {
      const m = manifests.get(id) as Manifest;
      const lines = linesOf(f.path);
      const headers = lines.filter((l) => l.startsWith('#')).length;
      const control = lines.filter((l) => l.startsWith('Enable AccessLog for ELB: ')).length;
      const data = lines.filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('Enable AccessLog for ELB: ')).length;
      expect(m.status).toBe('ok');
      expect(m.source).toBe(expectedParser);
      expect(m.lines_in).toBe(lines.length);
      expect(m.lines_in).toBe(m.records + m.rejected + m.skipped);
      expect(m.rejected).toBe(0);
      expect(m.records).toBe(data);
      expect(m.skipped_by_reason).toEqual({ ...(headers ? { header: headers } : {}), ...(control ? { control } : {}) });
      const rows = rowsByFile.get(id) as Row[];
      expect(rows).toHaveLength(data);
      for (const row of rows) {
        const line = lines[row.ordinal - 1] as string;
        expect(row.raw).toBe(line);
        expect(row.time, `${id}:${row.ordinal}`).toBe(referenceTime(f.folder, line));
        expect(row.category).toBe(expectedParser === 'nlb' ? 'network_activity' : 'http_activity');
      }
    });

    if (expectedParser in ATHENA_SECTIONS) {
      it(`${id}: every record agrees with AWS's Athena RegexSerDe reading wherever that pattern matches`, () => {
        const format = expectedParser as AthenaFormat;
        const table = athena.get(format) as AthenaTable;
        const lines = linesOf(f.path);
        for (const row of rowsByFile.get(id) as Row[]) {
          const captures = table.regex.exec(lines[row.ordinal - 1] as string);
          if (captures === null) continue;
          const differing = disagreements(format, table, captures, row);
          if (format === 's3access') {
            // AWS's S3 pattern makes its last eight columns one all-or-nothing group, so on lines
            // written before Access Point ARN existed it drops Host Id … TLS version: those are
            // the only columns allowed to differ, and only where the pattern captured nothing.
            for (const column of differing) expect(captures[table.columns.indexOf(column) + 1], `${id}:${row.ordinal} ${column}`).toBeUndefined();
          } else {
            expect(differing, `${id}:${row.ordinal}`).toEqual([]);
          }
        }
      });
    }
  }

  it('ALB: matches the Vector parse_aws_alb_log goldens value by value', () => {
    for (const name of ['vrl_parse_aws_alb_log_example1', 'vrl_parse_aws_alb_log_example2']) {
      const golden = JSON.parse(readFileSync(join(CORPUS, 'alb', `${name}.expected.json`), 'utf8')) as Json;
      const [row] = rowsByFile.get(`alb/${name}.log`) as Row[];
      const r = row as Row;
      expect(r.time).toBe(Math.floor(Date.parse(golden.timestamp as string)));
      expect(r.fields.type).toBe(golden.type);
      expect(r.fields.elb).toBe(golden.elb);
      expect(`${r.src_ip}:${r.src_port}`).toBe(golden.client_host);
      expect(r.dst_ip).toBe(golden.target_host);
      expect(r.status).toBe(golden.elb_status_code);
      expect(r.fields.target_status_code ?? null).toBe(golden.target_status_code);
      expect(r.bytes_in).toBe(golden.received_bytes);
      expect(r.bytes_out).toBe(golden.sent_bytes);
      expect(Number(r.fields.request_processing_time)).toBe(golden.request_processing_time);
      expect(Number(r.fields.target_processing_time)).toBe(golden.target_processing_time);
      expect(Number(r.fields.response_processing_time)).toBe(golden.response_processing_time);
      expect(r.action).toBe(golden.request_method);
      expect(r.resource).toBe(golden.request_url);
      expect(r.fields.request_protocol).toBe(golden.request_protocol);
      expect(r.user_agent).toBe(golden.user_agent);
      expect(r.fields.ssl_cipher ?? null).toBe(golden.ssl_cipher);
      expect(r.fields.ssl_protocol ?? null).toBe(golden.ssl_protocol);
      expect(r.fields.target_group_arn).toBe(golden.target_group_arn);
      expect(r.request_id).toBe(golden.trace_id);
      expect(r.fields.domain_name ?? null).toBe(golden.domain_name);
      expect(r.fields.chosen_cert_arn ?? null).toBe(golden.chosen_cert_arn);
      expect(r.fields.matched_rule_priority).toBe(golden.matched_rule_priority);
      expect(r.fields.request_creation_time).toBe(golden.request_creation_time);
      expect(r.fields.actions_executed).toBe(golden.actions_executed);
      expect(r.fields.redirect_url ?? null).toBe(golden.redirect_url);
      expect(r.error).toBe(golden.error_reason);
      expect(r.fields['target:port_list']?.split(' ') ?? []).toEqual(golden.target_port_list);
      expect(r.fields.target_status_code_list?.split(' ') ?? []).toEqual(golden.target_status_code_list);
      expect(r.fields.classification ?? null).toBe(golden.classification);
      expect(r.fields.classification_reason ?? null).toBe(golden.classification_reason);
      expect(r.fields.conn_trace_id ?? null).toBe(golden.traceability_id);
    }
  });

  it('ALB: matches the OpenTelemetry golden, including bracketed IPv6 client and target', () => {
    const golden = otelRecords(readFileSync(join(CORPUS, 'alb', 'otel-contrib_alb_al_valid_logs.expected.yaml'), 'utf8'));
    const rows = rowsByFile.get('alb/otel-contrib_alb_al_valid_logs.log') as Row[];
    expect(rows).toHaveLength(golden.length);
    rows.forEach((r, i) => {
      const g = golden[i] as Record<string, string>;
      expect(r.fields.elb).toBe(g['cloud.resource_id']);
      expect(r.fields.type).toBe(g['network.protocol.name']);
      expect(r.fields.request_protocol).toBe(`HTTP/${g['network.protocol.version']}`);
      expect(r.src_ip).toBe(g['client.address']);
      expect(text(r.src_port)).toBe(g['client.port']);
      expect(r.action).toBe(g['http.request.method']);
      expect(r.resource).toBe(g['url.full']);
      expect(text(r.bytes_in)).toBe(g['http.request.size']);
      expect(text(r.bytes_out)).toBe(g['http.response.size']);
      expect(r.status).toBe(g['aws.elb.status.code']);
      expect(r.fields.ssl_protocol?.toLowerCase()).toBe(g['tls.protocol.version']);
      expect(r.fields.ssl_cipher).toBe(g['tls.cipher']);
      expect(r.user_agent).toBe(g['user_agent.original']);
      expect(r.fields.domain_name).toBe(g['url.domain']);
      expect(r.dst_ip).toBe(g['destination.address']);
      expect(text(r.dst_port)).toBe(g['destination.port']);
    });
  });

  it('ALB and NLB: match the SignalFx goldens (raw line and event time)', () => {
    const alb = JSON.parse(readFileSync(join(CORPUS, 'alb', 'signalfx_alb.expected.json'), 'utf8')) as Array<{ event: string; time: number }>;
    const albRows = rowsByFile.get('alb/signalfx_alb.log') as Row[];
    expect(albRows.map((r) => r.raw)).toEqual(alb.map((g) => g.event));
    // SignalFx stamps ALB events with request_creation_time, which we keep in fields.
    expect(albRows.map((r) => Date.parse(r.fields.request_creation_time as string) / 1000)).toEqual(alb.map((g) => g.time));
    const nlb = JSON.parse(readFileSync(join(CORPUS, 'nlb', 'signalfx_nlb.expected.json'), 'utf8')) as Array<{ event: string; time: number }>;
    const nlbRows = rowsByFile.get('nlb/signalfx_nlb.log') as Row[];
    expect(nlbRows.map((r) => r.raw)).toEqual(nlb.map((g) => g.event));
    expect(nlbRows.map((r) => r.time / 1000)).toEqual(nlb.map((g) => g.time));
  });

  it('S3: matches the SignalFx field-by-field tokenization', () => {
    const golden = JSON.parse(readFileSync(join(CORPUS, 's3access', 'signalfx_s3.expected.json'), 'utf8')) as Array<{ event: string; time: number; fields: { event: Record<string, string> } }>;
    const rows = rowsByFile.get('s3access/signalfx_s3.log') as Row[];
    expect(rows).toHaveLength(golden.length);
    const dash = (v: string): string | null => (v === '-' ? null : v);
    rows.forEach((r, i) => {
      const g = (golden[i] as (typeof golden)[number]).fields.event;
      expect(r.raw).toBe((golden[i] as (typeof golden)[number]).event);
      expect(r.time / 1000).toBe((golden[i] as (typeof golden)[number]).time);
      expect(r.fields.bucket_owner).toBe(g.bucket_owner);
      expect(r.fields.bucket).toBe(g.bucket);
      expect(r.src_ip).toBe(g.ip);
      expect(r.actor).toBe(dash(g.requester as string));
      expect(r.request_id).toBe(g.request_id);
      expect(r.action).toBe(g.operation);
      expect(r.fields.key ?? (g.key === '-' ? '-' : r.resource?.slice((r.fields.bucket as string).length + 1))).toBe(g.key);
      expect(r.fields.request_uri).toBe(g.request_uri);
      expect(r.status).toBe(g.http_status);
      expect(r.error).toBe(dash(g.error_code as string));
      expect(text(r.bytes_out)).toBe(dash(g.bytes_sent as string));
      expect(r.fields.object_size ?? null).toBe(dash(g.object_size as string));
      expect(text(r.duration_ms)).toBe(dash(g.total_time as string));
      expect(r.fields.turn_around_time ?? null).toBe(dash(g.turn_around_time as string));
      expect(r.fields.referer ?? null).toBe(dash(g.referer as string));
      expect(r.user_agent).toBe(dash(g.user_agent as string));
      expect(r.fields.version_id ?? null).toBe(dash(g.version_id as string));
      expect(r.fields.host_id).toBe(g.host_id);
      expect(r.fields.signature_version).toBe(g.signature_version);
      expect(r.fields.cipher_suite).toBe(g.cipher_suite);
      expect(r.fields.authentication_type).toBe(g.authentication_type);
      expect(r.fields.host_header).toBe(g.host_header);
      expect(r.fields.tls_version).toBe(g.tls_version);
    });
  });

  it('S3: matches the OpenTelemetry golden, and the SignalFx invalid file yields no record by content', () => {
    const [g] = otelRecords(readFileSync(join(CORPUS, 's3access', 'otel-contrib_valid_s3_access_log.expected.yaml'), 'utf8'));
    const golden = g as Record<string, string>;
    const [row] = rowsByFile.get('s3access/otel-contrib_valid_s3_access_log.log') as Row[];
    const r = row as Row;
    expect(r.time * 1e6).toBe(Number(golden.timeUnixNano));
    expect(r.fields.bucket).toBe(golden['aws.s3.bucket']);
    expect(r.fields.bucket_owner).toBe(golden['aws.s3.owner']);
    expect(r.src_ip).toBe(golden['source.address']);
    expect(r.actor).toBe(golden['user.id']);
    expect(r.request_id).toBe(golden['aws.request_id']);
    expect(r.action).toBe(golden['rpc.method']);
    expect(r.fields.request_uri).toBe(`${golden['http.request.method']} ${golden['url.path']} ${golden['url.scheme']}`);
    expect(r.status).toBe(golden['http.response.status_code']);
    expect(text(r.bytes_out)).toBe(golden['http.response.body.size']);
    expect(text(r.duration_ms)).toBe(golden.duration);
    expect(r.user_agent).toBe(golden['user_agent.original']);
    expect(r.fields.host_id).toBe(golden['aws.extended_request_id']);
    expect(r.fields.signature_version).toBe(golden['aws.signature.version']);
    expect(r.fields.cipher_suite).toBe(golden['tls.cipher']);
    expect(r.fields.authentication_type).toBe(golden['aws.s3.auth_type']);
    expect(r.fields.host_header).toBe(golden['http.request.header.host']);
    expect(r.fields.tls_version).toBe(golden['tls.protocol.version']);
    expect(r.fields.access_point_arn).toBe(golden['aws.s3.access_point.arn']);
    expect(r.fields.acl_required === 'Yes').toBe(golden['aws.s3.acl_required'] === 'true');
    const invalid = JSON.parse(readFileSync(join(CORPUS, 's3access', 'signalfx_invalid_s3.expected.json'), 'utf8')) as unknown[];
    expect(invalid).toEqual([]);
    expect(manifests.get('s3access/signalfx_invalid_s3.log')?.records).toBe(0);
  });

  it('CloudFront: matches the SignalFx goldens (headers are not events, data rows keep raw and time)', () => {
    const golden = JSON.parse(readFileSync(join(CORPUS, 'cloudfront', 'signalfx_cloudfront.expected.json'), 'utf8')) as Array<{ event: string; time: number | null }>;
    const rows = rowsByFile.get('cloudfront/signalfx_cloudfront.log') as Row[];
    const events = golden.filter((g) => g.time !== null);
    expect(golden.filter((g) => g.time === null).every((g) => g.event.startsWith('#'))).toBe(true);
    expect(manifests.get('cloudfront/signalfx_cloudfront.log')?.skipped).toBe(golden.length - events.length);
    expect(rows.map((r) => r.raw)).toEqual(events.map((g) => g.event));
    expect(rows.map((r) => r.time / 1000)).toEqual(events.map((g) => g.time));
  });
});

it('requires the conformance corpus when CI is set', () => {
  expect(() => requireCorpusInCi()).not.toThrow();
});
