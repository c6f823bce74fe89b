/**
 * Every VPC flow log file of the shared corpus (vpcflow/, read in place) through the real
 * pipeline, read back from Parquet: counts reconcile and every line is a header skip, a record or
 * a clear rejection; every record keeps its line in `raw` and agrees, field by field, with an
 * independent reading of the line (split at spaces, zipped with the header's names, or with the
 * default format's when there is none); default-format files agree with AWS's documented Athena
 * table (FORMATS.md 12.6, a space-delimited SerDe, read at run time); and the values of Vector's
 * `parse_aws_vpc_flow_log` goldens (`*.expected.json`, other names, same values) are found in
 * ours. Vector's headerless examples come with their format in a `.format.txt` sidecar (Vector's
 * underscore names): AWS writes that format as the file's header line (hyphenated names), so the
 * test prepends exactly that line and runs the pipeline over the result; the headerless line alone
 * is, as it must be, not recognized. The CloudWatch Logs payload is decoded here and its
 * messages mapped through `flowRecord` with the format its corpus entry names.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FLOW_FIELDS, flowRecord, isKnownFlowField, protocolName } from '../../parsers/vpcflow.js';
import type { Manifest } from '../../pipeline/run/manifest.js';
import { LakeQuery } from '../../query/lake-query.js';
import type { EventFields } from '../../schema/index.js';
import { CORPUS, corpusMissingReason, corpusPresent, requireCorpusInCi } from '../helpers/corpus.js';
import { goldenRow } from '../helpers/golden.js';
import { runLocal, tempDir, writeInput } from '../helpers/lake.js';

type Json = Record<string, unknown>;
type Row = EventFields & { ordinal: number; raw: string; fields: Record<string, string> };

const DIR = join(CORPUS, 'vpcflow');

/** Lines of a corpus file as the pipeline frames them. */
function linesOf(bytes: Buffer): string[] {
  const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** A header line as an independent reader sees it: lower-case names only. */
const isHeader = (line: string): boolean => line.split(' ').every((t) => /^[a-z][a-z0-9-]*$/.test(t));

/** A data line's values by field name: split at spaces, zipped with the names in force. */
function readLine(names: readonly string[], line: string): Map<string, string> {
  const values = line.split(' ').filter((v) => v !== '');
  if (values.length !== names.length) throw new Error(`${values.length} values for ${names.length} names: ${line}`);
  return new Map(names.map((n, i) => [n, values[i] as string]));
}

/** The typed columns each field feeds, read from a line independently of the parser. */
function expectRecordOf(v: Map<string, string>, row: Row, where: string, standInMs = NaN): void {
  const get = (n: string): string | null => {
    const x = v.get(n);
    return x === undefined || x === '-' ? null : x;
  };
  const num = (n: string): number | null => (get(n) === null ? null : Number(get(n)));
  const start = num('start');
  const end = num('end');
  expect(row.time, `${where} time`).toBe(start !== null ? start * 1000 : end !== null ? end * 1000 : standInMs);
  expect(row.duration_ms, `${where} duration`).toBe(start !== null && end !== null ? (end - start) * 1000 : null);
  expect(row.category).toBe('network_activity');
  expect(row.src_ip, `${where} srcaddr`).toBe(get('srcaddr'));
  expect(row.dst_ip, `${where} dstaddr`).toBe(get('dstaddr'));
  expect(row.src_port, `${where} srcport`).toBe(num('srcport'));
  expect(row.dst_port, `${where} dstport`).toBe(num('dstport'));
  expect(row.bytes_in, `${where} bytes`).toBe(num('bytes'));
  const protocol = num('protocol');
  expect(row.action, `${where} protocol`).toBe(protocol === null ? null : protocolName(protocol));
  const action = get('action');
  const status = get('log-status');
  expect(row.status, `${where} action`).toBe(action ?? (status !== null && status !== 'OK' ? status : null));
  expect(row.outcome, `${where} outcome`).toBe(action === 'ACCEPT' ? 'success' : action === 'REJECT' ? 'failure' : 'unknown');
  expect(row.resource, `${where} resource`).toBe(get('interface-id') ?? get('tgw-attachment-id') ?? get('tgw-id'));
  const account = get('account-id');
  if (account !== null && /^\d{12}$/.test(account)) expect(row.account_id, `${where} account-id`).toBe(account);
  if (get('region') !== null) expect(row.region, `${where} region`).toBe(get('region'));
  expect(row.error, `${where} reject-reason`).toBe(get('reject-reason'));
  // Every other field is in `fields` under its AWS name, with the text of the line.
  const typed = new Set(['srcaddr', 'dstaddr', 'srcport', 'dstport', 'bytes', 'start', 'end', 'action', 'interface-id', 'reject-reason']);
  if (get('interface-id') === null) typed.add(get('tgw-attachment-id') !== null ? 'tgw-attachment-id' : 'tgw-id');
  if (account !== null && /^\d{12}$/.test(account)) typed.add('account-id');
  if (get('region') !== null) typed.add('region');
  const others = Object.fromEntries([...v].filter(([n, x]) => x !== '-' && !typed.has(n)));
  expect(row.fields, `${where} fields`).toEqual(others);
}

/** The columns and types of AWS's documented Athena table for flow logs (FORMATS.md 12.6). */
function athenaColumns(formatsMd: string): Array<{ name: string; type: string }> {
  const start = formatsMd.indexOf('### 12.6 ');
  const text = formatsMd.slice(start, formatsMd.indexOf('\n### ', start + 4));
  const body = text.slice(text.indexOf('(', text.indexOf('CREATE EXTERNAL TABLE')) + 1, text.indexOf('PARTITIONED BY'));
  return body
    .split(',')
    .map((c) => c.trim().replaceAll('`', '').replace(/\)\s*$/, '').split(/\s+/))
    .filter((p) => p.length === 2)
    .map(([name, type]) => ({ name: name as string, type: type as string }));
}

/** One line as Athena's space-delimited SerDe reads it into the table's columns (null where it cannot). */
function athenaRead(columns: ReadonlyArray<{ name: string; type: string }>, line: string): Record<string, string | number | null> {
  const cells = line.split(' ');
  return Object.fromEntries(
    columns.map((c, i) => {
      const cell = cells[i];
      if (cell === undefined) return [c.name, null];
      if (c.type === 'int' || c.type === 'bigint') return [c.name, /^-?\d+$/.test(cell) ? Number(cell) : null];
      return [c.name, cell];
    }),
  );
}

/** What each corpus file is, and what the pipeline must make of its lines. */
interface Expectation {
  /** The file has a header line (else its lines are read with the default format). */
  readonly header: boolean;
  /** Records rejected for having no event time (custom formats without `start` and `end`). */
  readonly timeless?: boolean;
}

const FILES: Readonly<Record<string, Expectation>> = {
  'awsdocs-archive_vpc-nat-gateway-custom-noversion.log': { header: true, timeless: true },
  'awsdocs-archive_vpc-v2-default-examples.log': { header: true },
  'awsdocs-archive_vpc-v3-tcp-flags-custom.log': { header: true },
  'awsdocs-archive_vpc-v3-transit-path-custom.log': { header: true, timeless: true },
  'awsdocs-archive_vpc-v5-traffic-path-custom.log': { header: true },
  'coralogix_vpcflow.log.gz': { header: true },
  'otel-contrib_valid_tgw_flow_log.log': { header: true },
  'otel-contrib_valid_vpc_flow_log.log': { header: true },
  'otel-contrib_valid_vpc_flow_log_ecs.log': { header: true },
  'otel-contrib_valid_vpc_flow_log_multi.log': { header: true },
  'panther_compromised-root-creds_attacker_vpc.log': { header: false },
  'vrl_parse_aws_vpc_flow_log_example1.log': { header: false },
};

/**
 * Vector's headerless examples of custom formats (the format is in `<name>.format.txt`), with the
 * rejection their line gets when it is read with the default format: a field count other than 14,
 * or (example 4 has 14 fields, in another order) a start time where the default format has a port.
 */
const WITH_FORMAT = {
  vrl_parse_aws_vpc_flow_log_example2: 'field_count_mismatch',
  vrl_parse_aws_vpc_flow_log_example3: 'field_count_mismatch',
  vrl_parse_aws_vpc_flow_log_example4: 'bad_number',
} as const;
const WITH_FORMAT_STEMS = Object.keys(WITH_FORMAT) as Array<keyof typeof WITH_FORMAT>;

/** Corpus inputs that are not S3 flow log objects at all. */
const CLOUDWATCH_PAYLOAD = 'otel-contrib_valid_vpc_flow_cw_custom.json';
/** The format of its messages, as its corpus entry (SOURCES.md) names it. */
const CLOUDWATCH_FORMAT = ['version', 'interface-id', 'srcaddr', 'dstaddr'];

describe.skipIf(!corpusPresent)(`VPC flow log conformance corpus${corpusPresent ? '' : ` (skipped: ${corpusMissingReason})`}`, () => {
  const lake = tempDir('loglake-vpcflow-conformance-');
  const manifests = new Map<string, Manifest>();
  const rowsByFile = new Map<string, Row[]>();
  const linesByFile = new Map<string, string[]>();
  let q: LakeQuery | undefined;

  /** Runs a file (a corpus path, or text written to the temporary folder under `name`). */
  async function ingest(name: string, path: string): Promise<void> {
    manifests.set(name, (await runLocal(path, join(lake.path, 'lake'))).manifest);
    linesByFile.set(name, linesOf(readFileSync(path)));
  }

  beforeAll(async () => {
    for (const f of Object.keys(FILES)) await ingest(f, join(DIR, f));
    for (const stem of WITH_FORMAT_STEMS) {
      await ingest(`${stem}.log`, join(DIR, `${stem}.log`));
      const header = readFileSync(join(DIR, `${stem}.format.txt`), 'utf8').trim().replaceAll('_', '-');
      const line = readFileSync(join(DIR, `${stem}.log`), 'utf8').replace(/\n$/, '');
      await ingest(`${stem}+header`, writeInput(lake.path, `in/${stem}-with-header.log`, `${header}\n${line}\n`));
      // Routed explicitly (a rule), the headerless line is read with the default format.
      manifests.set(`${stem} pinned`, (await runLocal(join(DIR, `${stem}.log`), join(lake.path, 'pinned'), { rule: () => ({ kind: 'pin', format: 'vpcflow' }) })).manifest);
    }
    q = await LakeQuery.open(join(lake.path, 'lake'));
    for (const [name, m] of manifests) {
      if (name.endsWith(' pinned') || m.records === 0) continue;
      const object = m.object.replaceAll("'", "''");
      const sql = `SELECT * EXCLUDE (time), epoch_ms(time) AS time FROM events WHERE object = '${object}' ORDER BY ordinal`;
      const rows = (await q.rows(sql)).rows.map((r) => {
        const g = goldenRow(r) as Json;
        return { ...g, time: Number(g.time), ordinal: Number(g.ordinal), fields: (g.fields ?? {}) as Record<string, string> } as unknown as Row;
      });
      rowsByFile.set(name, rows);
    }
  }, 120_000);
  afterAll(() => {
    q?.close();
    lake.cleanup();
  });

  it('knows every file of the folder', () => {
    const known = new Set([...Object.keys(FILES), ...WITH_FORMAT_STEMS.flatMap((s) => [`${s}.log`, `${s}.format.txt`, `${s}.expected.json`]), 'vrl_parse_aws_vpc_flow_log_example1.expected.json', CLOUDWATCH_PAYLOAD]);
    expect(readdirSync(DIR).filter((f) => !known.has(f))).toEqual([]);
  });

  for (const [f, e] of Object.entries(FILES)) {
    it(`${f}: routed to vpcflow by content, every line a header, a record or a clear rejection, values as the line says`, () => {
      const m = manifests.get(f) as Manifest;
      const lines = linesByFile.get(f) as string[];
      const data = lines.filter((l) => l !== '' && !(e.header && isHeader(l)));
      expect(m).toMatchObject({ status: 'ok', parser_id: 'vpcflow', routed_by: 'content' });
      expect(m.lines_in).toBe(lines.length);
      expect(m.lines_in).toBe(m.records + m.rejected + m.skipped);
      expect(m.skipped_by_reason).toEqual(e.header ? { header: 1 } : {});
      if (e.timeless) {
        // No start, no end, and a file name that is not AWS's: nothing dates these records.
        expect(m).toMatchObject({ records: 0, rejected: data.length, rejected_by_reason: { no_event_time: data.length } });
        const names = e.header ? (lines[0] as string).split(' ') : [...DEFAULT_FLOW_FIELDS];
        for (const line of data) {
          const v = readLine(names, line);
          // The rest of the mapping, with a stand-in time.
          const r = flowRecord((n) => v.get(n) ?? null, names, { account: null, region: null, timeMs: 0 });
          expect(r.ok, line).toBe(true);
          if (r.ok === true) expectRecordOf(v, { ...r.record, ordinal: 0, raw: line, fields: r.record.fields ?? {} }, `${f}: ${line}`, 0);
        }
        return;
      }
      expect(m.rejected).toBe(0);
      expect(m.records).toBe(data.length);
      expect(m.schema_drift).toBe(0);
      const rows = rowsByFile.get(f) as Row[];
      expect(rows).toHaveLength(data.length);
      let names: readonly string[] = DEFAULT_FLOW_FIELDS;
      let next = 0;
      lines.forEach((line, i) => {
        if (e.header && isHeader(line)) {
          names = line.split(' ');
          return;
        }
        const row = rows[next++] as Row;
        expect(row.ordinal).toBe(i + 1);
        expect(row.raw).toBe(line);
        expectRecordOf(readLine(names, line), row, `${f}:${i + 1}`);
      });
    });
  }

  it("default-format files agree with AWS's Athena table (FORMATS.md 12.6, space-delimited) on every column it shares", () => {
    const columns = athenaColumns(readFileSync(join(CORPUS, 'FORMATS.md'), 'utf8'));
    expect(columns.slice(0, 14).map((c) => c.name)).toEqual(DEFAULT_FLOW_FIELDS.map((n) => n.replaceAll('-', '_')));
    let compared = 0;
    for (const f of Object.keys(FILES)) {
      const lines = linesByFile.get(f) as string[];
      const defaultFormat = !FILES[f]?.header || lines[0] === DEFAULT_FLOW_FIELDS.join(' ');
      if (!defaultFormat) continue;
      for (const row of rowsByFile.get(f) as Row[]) {
        const a = athenaRead(columns, row.raw);
        const where = `${f}:${row.ordinal}`;
        expect(String(a.version), where).toBe(row.fields.version);
        expect(a.account_id, where).toBe(row.account_id ?? row.fields['account-id']);
        expect(a.interface_id, where).toBe(row.resource);
        expect(a.srcaddr === '-' ? null : a.srcaddr, where).toBe(row.src_ip);
        expect(a.dstaddr === '-' ? null : a.dstaddr, where).toBe(row.dst_ip);
        expect(a.srcport, where).toBe(row.src_port);
        expect(a.dstport, where).toBe(row.dst_port);
        expect(a.protocol === null ? null : String(a.protocol), where).toBe(row.fields.protocol ?? null);
        expect(a.packets === null ? null : String(a.packets), where).toBe(row.fields.packets ?? null);
        expect(a.bytes, where).toBe(row.bytes_in);
        expect(a.start, where).toBe(row.time / 1000);
        expect(a.end, where).toBe((row.time + (row.duration_ms as number)) / 1000);
        expect(a.action === '-' ? null : a.action, where).toBe(row.status === 'NODATA' || row.status === 'SKIPDATA' ? null : row.status);
        expect(a.log_status, where).toBe(row.fields['log-status']);
        // Columns past the default format's are not in these lines: Athena reads them as null.
        for (const c of columns.slice(14)) expect(a[c.name], `${where} ${c.name}`).toBeNull();
        compared++;
      }
    }
    // v2-default-examples 7, panther 6, coralogix 2, otel multi 2, otel single 1, vector example 1.
    expect(compared).toBe(19);
  });

  it('matches the Vector golden of the headerless default-format NODATA record value by value', () => {
    const golden = JSON.parse(readFileSync(join(DIR, 'vrl_parse_aws_vpc_flow_log_example1.expected.json'), 'utf8')) as Json;
    const [row] = rowsByFile.get('vrl_parse_aws_vpc_flow_log_example1.log') as Row[];
    expectVectorGolden(row as Row, golden);
  });

  for (const stem of WITH_FORMAT_STEMS) {
    it(`${stem}: headerless, so not recognized alone (pinned, read with the default format: ${WITH_FORMAT[stem]}); with the header its .format.txt implies, Vector's values`, () => {
      expect(manifests.get(`${stem}.log`)).toMatchObject({ status: 'failed', reason: 'unknown_format', records: 0 });
      const pinned = manifests.get(`${stem} pinned`) as Manifest;
      expect(pinned).toMatchObject({ status: 'ok', parser_id: 'vpcflow', records: 0, rejected: 1, rejected_by_reason: { [WITH_FORMAT[stem]]: 1 } });
      const m = manifests.get(`${stem}+header`) as Manifest;
      const lines = linesByFile.get(`${stem}+header`) as string[];
      const names = (lines[0] as string).split(' ');
      const unknown = names.filter((n) => !isKnownFlowField(n));
      expect(m).toMatchObject({ status: 'ok', parser_id: 'vpcflow', routed_by: 'content', skipped_by_reason: { header: 1 } });
      expect(m.lines_in).toBe(m.records + m.rejected + m.skipped);
      const golden = JSON.parse(readFileSync(join(DIR, `${stem}.expected.json`), 'utf8')) as Json;
      const v = readLine(names, lines[1] as string);
      if (!names.includes('start') && !names.includes('end')) {
        expect(m).toMatchObject({ records: 0, rejected_by_reason: { no_event_time: 1 } });
        const r = flowRecord((n) => v.get(n) ?? null, names, { account: null, region: null, timeMs: 0 });
        if (r.ok !== true) throw new Error(JSON.stringify(r));
        expectVectorGolden({ ...r.record, ordinal: 2, raw: lines[1] as string, fields: r.record.fields ?? {} }, golden);
        return;
      }
      expect(m).toMatchObject({ records: 1, rejected: 0, schema_drift: unknown.length > 0 ? 1 : 0 });
      const [row] = rowsByFile.get(`${stem}+header`) as Row[];
      expectRecordOf(v, row as Row, stem);
      expectVectorGolden(row as Row, golden);
    });
  }

  it(`${CLOUDWATCH_PAYLOAD}: a CloudWatch Logs payload; its messages, in the format SOURCES.md names, map through flowRecord`, () => {
    const doc = JSON.parse(readFileSync(join(DIR, CLOUDWATCH_PAYLOAD), 'utf8')) as { owner: string; logEvents: Array<{ timestamp: number; message: string }> };
    expect(doc.logEvents.length).toBeGreaterThan(0);
    for (const e of doc.logEvents) {
      const v = readLine(CLOUDWATCH_FORMAT, e.message);
      // The format has no start or end: the event's CloudWatch timestamp stands in for the time.
      const r = flowRecord((n) => v.get(n) ?? null, CLOUDWATCH_FORMAT, { account: doc.owner, region: null, timeMs: e.timestamp });
      expect(r).toMatchObject({ ok: true, record: { time: e.timestamp, account_id: doc.owner, resource: v.get('interface-id'), src_ip: v.get('srcaddr'), dst_ip: v.get('dstaddr'), fields: { version: v.get('version') } } });
    }
  });
});

/** Vector's golden values (snake_case names, `-` as null, numbers typed) found in our row. */
function expectVectorGolden(row: Row, golden: Json): void {
  const fields = row.fields;
  const hyphen = (k: string): string => k.replaceAll('_', '-');
  for (const [k, g] of Object.entries(golden)) {
    const where = `${k}: ${JSON.stringify(g)}`;
    switch (k) {
      case 'account_id':
        expect(row.account_id ?? fields['account-id'] ?? null, where).toBe(g);
        break;
      case 'interface_id':
        expect(row.resource, where).toBe(g);
        break;
      case 'srcaddr':
        expect(row.src_ip, where).toBe(g);
        break;
      case 'dstaddr':
        expect(row.dst_ip, where).toBe(g);
        break;
      case 'srcport':
        expect(row.src_port, where).toBe(g);
        break;
      case 'dstport':
        expect(row.dst_port, where).toBe(g);
        break;
      case 'bytes':
        expect(row.bytes_in, where).toBe(g);
        break;
      case 'start':
        expect(row.time / 1000, where).toBe(g);
        break;
      case 'end':
        expect(row.duration_ms == null ? null : (row.time + row.duration_ms) / 1000, where).toBe(g);
        break;
      case 'action':
        expect(row.status === 'NODATA' || row.status === 'SKIPDATA' ? null : row.status, where).toBe(g);
        break;
      case 'region':
        expect(row.region, where).toBe(g);
        break;
      case 'reject_reason':
        expect(row.error, where).toBe(g);
        break;
      case 'protocol':
        expect(fields.protocol === undefined ? null : Number(fields.protocol), where).toBe(g);
        expect(row.action, where).toBe(g === null ? null : protocolName(g as number));
        break;
      default: {
        // Everything else is in fields under its AWS name; Vector types numbers.
        const ours = fields[hyphen(k)];
        expect(ours === undefined ? null : typeof g === 'number' ? Number(ours) : ours, where).toBe(g);
      }
    }
  }
}

it('requires the conformance corpus when CI is set', () => {
  expect(() => requireCorpusInCi()).not.toThrow();
});
