/**
 * The CloudWatch Logs subscription payloads of the shared corpus (read in place; found by content
 * in every folder) through the intake: as the payload of a Lambda invocation and as an S3 object
 * a Firehose stream delivered. Every event is accounted for; generic records keep each message
 * exactly, with its time, group, stream, owner and id; a mapped format gets the messages it
 * reads (CloudTrail events become the rows the CloudTrail parser makes of the same envelope in
 * S3; VPC flow records in a format without `start`/`end` have no time of their own, the
 * documented limit of docs/cwlogs.md).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_LOG_GROUP_MAP, ingestSubscriptionPayload, looksLikePayload, readPayload, validateLogGroupMap, type LogGroupMap } from '../../pipeline/index.js';
import type { DataPayload } from '../../pipeline/formats/cwlogs-payload.js';
import type { Manifest } from '../../pipeline/run/manifest.js';
import { resolveOptions } from '../../pipeline/run/options.js';
import { LocalLakeSink } from '../../pipeline/storage/local-storage.js';
import { CORPUS, corpusMissingReason, corpusPresent, requireCorpusInCi } from '../helpers/corpus.js';
import { lakeRows, runLocal, tempDir } from '../helpers/lake.js';

/** Every corpus file that is a CloudWatch Logs payload, by `<folder>/<file>`. */
function payloadFiles(): string[] {
  if (!corpusPresent) return [];
  const out: string[] = [];
  for (const folder of readdirSync(CORPUS).sort()) {
    if (!statSync(join(CORPUS, folder)).isDirectory()) continue;
    for (const file of readdirSync(join(CORPUS, folder)).sort()) {
      if (!file.endsWith('.json')) continue;
      if (looksLikePayload(readFileSync(join(CORPUS, folder, file), 'utf8').slice(0, 4096))) out.push(`${folder}/${file}`);
    }
  }
  return out;
}

const FILES = payloadFiles();
const payloadOf = (file: string): DataPayload => {
  const p = readPayload(JSON.parse(readFileSync(join(CORPUS, file), 'utf8')));
  if (!('kind' in p) || p.kind !== 'data') throw new Error(`${file} is not a data payload`);
  return p;
};

describe.skipIf(!corpusPresent)(`CloudWatch Logs payloads of the conformance corpus${corpusPresent ? '' : ` (skipped: ${corpusMissingReason})`}`, () => {
  let lake: { path: string; cleanup: () => void };
  beforeEach(() => {
    lake = tempDir('loglake-cwlogs-conformance-');
  });
  afterEach(() => lake.cleanup());
  const ingest = async (file: string, map: LogGroupMap = DEFAULT_LOG_GROUP_MAP): Promise<Manifest> => {
    const { reports } = await ingestSubscriptionPayload(payloadOf(file), { sink: new LocalLakeSink(lake.path), options: resolveOptions(), map, site: { region: 'us-east-1' } });
    expect(reports).toHaveLength(1);
    return (reports[0] as { manifest: Manifest }).manifest;
  };

  it('finds the envelopes of the corpus (CloudTrail and VPC flow logs delivered to CloudWatch Logs)', () => {
    expect(FILES).toEqual(expect.arrayContaining(['cloudtrail/otel-contrib_cloudtrail_log_cw.json', 'vpcflow/otel-contrib_valid_vpc_flow_cw_custom.json']));
  });

  for (const file of FILES) {
    it(`${file}: every event becomes a generic record with its message, time and ids (Lambda path, unmapped group)`, async () => {
      const p = payloadOf(file);
      const m = await ingest(file);
      expect({ status: m.status, lines_in: m.lines_in, records: m.records, rejected: m.rejected }).toEqual({ status: 'ok', lines_in: p.logEvents.length, records: p.logEvents.length, rejected: 0 });
      const rows = await lakeRows(lake.path, "SELECT epoch_ms(time) AS t, raw, fields['log_group'] AS g, fields['log_stream'] AS s, fields['owner'] AS o, fields['event_id'] AS id, account_id, region FROM events ORDER BY ordinal");
      expect(rows.map((r) => ({ t: Number(r.t), message: (JSON.parse(String(r.raw)) as { message: string }).message, g: r.g, s: r.s, o: r.o, id: r.id, account: r.account_id, region: r.region }))).toEqual(
        p.logEvents.map((e) => ({ t: e.timestamp, message: e.message, g: p.logGroup, s: p.logStream, o: p.owner, id: e.id, account: p.owner, region: 'us-east-1' })),
      );
    });

    it(`${file}: as a Firehose object (decompressed payload) it is read whole and every event accounted for`, async () => {
      const m = (await runLocal(join(CORPUS, file), lake.path)).manifest;
      expect(m.lines_in).toBe(m.records + m.rejected + m.skipped);
      expect(m.records).toBe(payloadOf(file).logEvents.length);
    });
  }

  it('CloudTrail events mapped to cloudtrail make the rows the CloudTrail parser makes of the same envelope in S3', async () => {
    const file = 'cloudtrail/otel-contrib_cloudtrail_log_cw.json';
    const map = validateLogGroupMap({ logGroups: [{ name: payloadOf(file).logGroup, format: 'cloudtrail' }] }, 'test');
    expect(await ingest(file, map)).toMatchObject({ source: 'cloudtrail', records: 1, rejected: 0 });
    const columns = 'time, category, account_id, region, actor, actor_type, action, resource, resource_type, src_ip, user_agent, status, outcome, error, bytes_in, bytes_out, request_id, fields, parser_version';
    const viaIntake = await lakeRows(lake.path, `SELECT ${columns} FROM events`);
    const s3 = tempDir('loglake-cwlogs-conformance-s3-');
    try {
      expect((await runLocal(join(CORPUS, file), s3.path)).manifest).toMatchObject({ parser_id: 'cloudtrail', records: 1 });
      expect(await lakeRows(s3.path, `SELECT ${columns} FROM events`)).toEqual(viaIntake);
    } finally {
      s3.cleanup();
    }
  });

  it('VPC flow records mapped to vpcflow with their LogFormat are parsed field by field, and without start/end rejected for want of a time (documented), never lost', async () => {
    const file = 'vpcflow/otel-contrib_valid_vpc_flow_cw_custom.json';
    const map = validateLogGroupMap({ logGroups: [{ name: payloadOf(file).logGroup, format: 'vpcflow', header: '${version} ${interface-id} ${srcaddr} ${dstaddr}' }] }, 'test');
    const m = await ingest(file, map);
    expect(m).toMatchObject({ source: 'vpcflow', lines_in: 3, skipped: 1, skipped_by_reason: { header: 1 }, records: 0, rejected: 2, rejected_by_reason: { no_event_time: 2 } });
    const errors = await lakeRows(lake.path, 'SELECT raw FROM errors ORDER BY ordinal');
    expect(errors.map((e) => e.raw)).toEqual(payloadOf(file).logEvents.map((e) => e.message));
  });
});

it('requires the conformance corpus when CI is set', () => {
  expect(() => requireCorpusInCi()).not.toThrow();
});
