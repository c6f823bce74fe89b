import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { NAMED_QUERIES } from '../../infra/queries.js';
import { EVENT_TIME_RANGE, MANIFEST_COLUMNS, REPLAY_COLUMNS, SOURCES, glueColumns, glueErrorColumns, gluePartitionKeys, projectionDayRange, type GlueColumn } from '../../schema/index.js';
import { FULL, MINIMAL, flat, idOf, synth, type CfnResource, type Synth, SYNTH_TIMEOUT_MS } from './synth.js';

interface TableInput {
  Name: string;
  TableType: string;
  Parameters: Record<string, unknown>;
  PartitionKeys: unknown[];
  StorageDescriptor: { Columns: unknown[]; Location: unknown; InputFormat: string; OutputFormat: string; SerdeInfo: { SerializationLibrary: string } };
}

const table = (s: Synth, name: string): TableInput => {
  const found = s.resources('AWS::Glue::Table').map(([, r]) => r.Properties.TableInput as TableInput).filter((t) => t.Name === name);
  expect(found).toHaveLength(1);
  return found[0] as TableInput;
};

/** Glue's column shape, as CloudFormation spells it. */
const cfnColumns = (columns: GlueColumn[]): unknown[] => columns.map((c) => ({ Name: c.name, Type: c.type, Comment: c.comment }));

describe('LakeCatalog', () => {
  let s: Synth;
  let bucket: string;
  beforeAll(() => {
    s = synth(MINIMAL);
    bucket = idOf(s, s.stack.storage.bucket);
  }, SYNTH_TIMEOUT_MS);

  it('creates the Glue database named after the deployment', () => {
    s.template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'loglake' } });
  });

  it('declares the events columns and partition keys exactly as the schema module derives them', () => {
    const events = table(s, 'events');
    expect(events.StorageDescriptor.Columns).toEqual(cfnColumns(glueColumns()));
    expect(events.PartitionKeys).toEqual(cfnColumns(gluePartitionKeys()));
  });

  it('reads Parquet under lake/ of the central bucket', () => {
    const events = table(s, 'events');
    expect(events.TableType).toBe('EXTERNAL_TABLE');
    expect(flat(events.StorageDescriptor.Location)).toBe(`s3://<${bucket}>/lake/`);
    expect(events.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe');
    expect(events.StorageDescriptor.InputFormat).toBe('org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat');
  });

  it('projects source as the enum of SOURCES and dt as a daily date, so no crawler or repair is needed', () => {
    const p = table(s, 'events').Parameters;
    expect(p).toMatchObject({
      'projection.enabled': 'true',
      'projection.source.type': 'enum',
      'projection.source.values': SOURCES.join(','),
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': projectionDayRange(),
      'projection.dt.interval': '1',
      'projection.dt.interval.unit': 'DAYS',
    });
    expect(flat(p['storage.location.template'])).toBe(`s3://<${bucket}>/lake/source=<source>/dt=<dt>/`);
  });

  it('projects dt over exactly the event times the worker accepts, in both tables', () => {
    for (const name of ['events', 'errors']) {
      expect(table(s, name).Parameters['projection.dt.range'], name).toBe(`${EVENT_TIME_RANGE.firstDay},NOW+${EVENT_TIME_RANGE.daysAhead}DAYS`);
    }
  });

  it('warns about nothing Athena cannot see when projection starts on the first accepted day', () => {
    Annotations.fromStack(s.stack).hasNoWarning('*', Match.stringLikeRegexp('partitionsFrom'));
  });

  it('projects every partition key the schema declares, and nothing else', () => {
    for (const name of ['events', 'errors']) {
      const projected = Object.keys(table(s, name).Parameters)
        .filter((k) => /^projection\.[^.]+\.type$/.test(k))
        .map((k) => k.split('.')[1]);
      expect(projected, name).toEqual(gluePartitionKeys().map((k) => k.name));
    }
  });

  it('declares the errors table over gzipped JSON lines under errors/ with the schema error columns', () => {
    const errors = table(s, 'errors');
    expect(errors.StorageDescriptor.Columns).toEqual(cfnColumns(glueErrorColumns()));
    expect(errors.PartitionKeys).toEqual(cfnColumns(gluePartitionKeys()));
    expect(flat(errors.StorageDescriptor.Location)).toBe(`s3://<${bucket}>/errors/`);
    expect(errors.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
    expect(errors.StorageDescriptor.InputFormat).toBe('org.apache.hadoop.mapred.TextInputFormat');
    expect(errors.Parameters).toMatchObject({ 'projection.source.values': SOURCES.join(','), compressionType: 'gzip' });
    expect(flat(errors.Parameters['storage.location.template'])).toBe(`s3://<${bucket}>/errors/source=<source>/dt=<dt>/`);
  });

  it('declares the replays table over the run records under replays/, one JSON document per line, unpartitioned', () => {
    const replays = table(s, 'replays');
    expect(replays.StorageDescriptor.Columns).toEqual(REPLAY_COLUMNS.map((c) => ({ Name: c.name, Type: c.athena, Comment: c.comment })));
    expect(replays.PartitionKeys).toBeUndefined();
    expect(flat(replays.StorageDescriptor.Location)).toBe(`s3://<${bucket}>/replays/`);
    expect(replays.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
    expect(replays.StorageDescriptor.InputFormat).toBe('org.apache.hadoop.mapred.TextInputFormat');
    expect(replays.Parameters).toEqual({ classification: 'json', EXTERNAL: 'TRUE' });
    // Struct field names Athena would have to quote are kept out of the types.
    for (const c of REPLAY_COLUMNS) expect(c.athena, c.name).not.toMatch(/[<,](from|to|window|key|at|after):/);
  });

  it('declares the objects table over the manifests under manifests/, its columns the manifest fields of MANIFEST_COLUMNS', () => {
    const objects = table(s, 'objects');
    expect(objects.StorageDescriptor.Columns).toEqual(MANIFEST_COLUMNS.map((c) => ({ Name: c.name, Type: c.athena, Comment: c.comment })));
    expect(objects.PartitionKeys).toBeUndefined();
    expect(flat(objects.StorageDescriptor.Location)).toBe(`s3://<${bucket}>/manifests/`);
    expect(objects.StorageDescriptor.SerdeInfo).toEqual({ SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe', Parameters: { 'ignore.malformed.json': 'TRUE' } });
    expect(objects.StorageDescriptor.InputFormat).toBe('org.apache.hadoop.mapred.TextInputFormat');
    expect(objects.Parameters).toEqual({ classification: 'json', EXTERNAL: 'TRUE' });
    for (const c of MANIFEST_COLUMNS) expect(c.athena, c.name).not.toMatch(/[<,](from|to|window|key|at|after):/);
  });

  it('enforces a workgroup with SSE-S3 encrypted results in the results bucket and a 10 GiB scan limit', () => {
    const [, wg] = s.resources('AWS::Athena::WorkGroup')[0] as [string, CfnResource];
    expect(wg.Properties.Name).toBe('loglake');
    const c = wg.Properties.WorkGroupConfiguration as Record<string, unknown> & { ResultConfiguration: { OutputLocation: unknown; EncryptionConfiguration: unknown } };
    expect(c).toMatchObject({ EnforceWorkGroupConfiguration: true, BytesScannedCutoffPerQuery: 10 * 1024 ** 3, PublishCloudWatchMetricsEnabled: true });
    expect(c.ResultConfiguration.EncryptionConfiguration).toEqual({ EncryptionOption: 'SSE_S3' });
    expect(flat(c.ResultConfiguration.OutputLocation)).toBe(`s3://<${idOf(s, s.stack.storage.queryResults)}>/`);
  });

  it('saves the named queries of the issue in the workgroup and database', () => {
    const queries = s.resources('AWS::Athena::NamedQuery').map(([, r]) => r.Properties);
    expect(queries.map((q) => q.Name)).toEqual([
      'Console logins without MFA (7 days)',
      'Denied API calls by principal (7 days)',
      'Top ALB 5xx URLs (24 hours)',
      'S3 deletes (7 days)',
      'Security group changes (7 days)',
      'Cost by tag, last month',
      'VPC flow log top talkers (24 hours)',
      'VPC flow log rejected traffic to a port (24 hours)',
      'Objects that failed today',
      'Ingest lag by source (24 hours)',
    ]);
    for (const q of queries) expect(q).toMatchObject({ Database: 'loglake', WorkGroup: 'loglake' });
  });
});

describe('named queries', () => {
  const columns = new Set([...glueColumns(), ...gluePartitionKeys()].map((c) => c.name));
  const overEvents = NAMED_QUERIES.filter((q) => /\bFROM events\b/.test(q.sql));
  const overObjects = NAMED_QUERIES.filter((q) => /\bFROM objects\b/.test(q.sql));

  it('read the events table or the objects table (run against a local lake in test/schema/objects.test.ts)', () => {
    expect(overEvents.length + overObjects.length).toBe(NAMED_QUERIES.length);
    expect(overObjects.map((q) => q.id)).toEqual(['ObjectsFailedToday', 'IngestLagBySource']);
  });

  it('filter only on sources the events table projects', () => {
    for (const q of overEvents) {
      const named = [...q.sql.matchAll(/\bsource\s*(?:=|IN)\s*\(?([^)\n]+)/g)].flatMap((m) => [...(m[1] ?? '').matchAll(/'([a-z0-9]+)'/g)].map((x) => x[1]));
      expect(named.length, q.id).toBeGreaterThan(0);
      for (const source of named) expect(SOURCES as readonly string[], `${q.id}: ${source}`).toContain(source);
    }
  });

  it('bound dt so partition projection prunes instead of listing every day since the first projected one', () => {
    for (const q of overEvents) expect(q.sql, q.id).toMatch(/\bdt >= /);
  });

  it('select and group only by columns of the events table', () => {
    for (const q of overEvents) {
      const selected = (/^SELECT ([\s\S]+?)\nFROM events/m.exec(q.sql)?.[1] ?? '')
        .split(/,(?![^(]*\))/)
        .map((part) => part.trim())
        .filter((part) => /^[a-z_]+$/.test(part));
      for (const c of selected) expect(columns.has(c), `${q.id}: ${c}`).toBe(true);
      expect(q.sql.match(/\bFROM (\w+)/g), q.id).toEqual(['FROM events']);
    }
  });
});

describe('LakeCatalog with a customer key and tuned limits', () => {
  let s: Synth;
  beforeAll(() => {
    s = synth(FULL);
  }, SYNTH_TIMEOUT_MS);

  it('encrypts results with the customer key and applies the configured scan limit', () => {
    const [, wg] = s.resources('AWS::Athena::WorkGroup')[0] as [string, CfnResource];
    const c = wg.Properties.WorkGroupConfiguration as { BytesScannedCutoffPerQuery: number; ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: string; KmsKey: unknown } } };
    expect(c.BytesScannedCutoffPerQuery).toBe(2048 * 1024 ** 2);
    expect(c.ResultConfiguration.EncryptionConfiguration.EncryptionOption).toBe('SSE_KMS');
    expect(flat(c.ResultConfiguration.EncryptionConfiguration.KmsKey)).toBe(`<${idOf(s, s.stack.storage.key!)}.Arn>`);
  });

  it('names database and workgroup after the deployment and starts projection at the configured day', () => {
    s.template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'full_lake' } });
    for (const name of ['events', 'errors']) expect(table(s, name).Parameters['projection.dt.range'], name).toBe(projectionDayRange(FULL.lake.partitionsFrom));
    for (const [, q] of s.resources('AWS::Athena::NamedQuery')) expect(q.Properties).toMatchObject({ Database: 'full_lake', WorkGroup: 'full-lake' });
  });

  it('warns at synthesis that rows dated before a later configured start stay invisible to Athena', () => {
    expect(FULL.lake.partitionsFrom > EVENT_TIME_RANGE.firstDay).toBe(true);
    Annotations.fromStack(s.stack).hasWarning(
      '/full-lake/Catalog',
      Match.stringLikeRegexp(`lake.partitionsFrom is ${FULL.lake.partitionsFrom}, later than ${EVENT_TIME_RANGE.firstDay}.*rows dated before ${FULL.lake.partitionsFrom} are written to the lake but Athena never sees them`),
    );
  });
});
