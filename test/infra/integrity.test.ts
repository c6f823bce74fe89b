/**
 * The stack's part in CloudTrail integrity validation: the worker's variables, its keys and
 * alarm permissions (cdk-nag passes with the one justified wildcard), the `integrity` Glue table
 * over what the worker writes, and the configuration that turns it off or changes the age.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { INGEST_ENV } from '../../functions/ingest/env-names.js';
import { parseConfig } from '../../infra/config.js';
import { INTEGRITY_COLUMNS, INTEGRITY_TABLE_COLUMNS } from '../../schema/index.js';
import { MINIMAL, actionsOf, flat, idOf, resourcesOf, roleStatements, synth, type Statement, type Synth, SYNTH_TIMEOUT_MS } from './synth.js';

const envOf = (s: Synth): Record<string, unknown> =>
  (s.template.toJSON().Resources[idOf(s, s.stack.worker.function)].Properties.Environment as { Variables: Record<string, unknown> }).Variables;
const statementsOf = (s: Synth): Statement[] => roleStatements(s, idOf(s, s.stack.worker.role));
const resourcesFor = (statements: Statement[], action: string): string[] =>
  statements.filter((st) => st.Effect === 'Allow' && actionsOf(st).includes(action)).flatMap(resourcesOf).sort();

describe('integrity validation in the stack, by default', () => {
  let s: Synth;
  beforeAll(() => {
    s = synth(MINIMAL);
  }, SYNTH_TIMEOUT_MS);

  it('turns the worker on with a 24-hour missing-log age and the ops topic for findings', () => {
    const env = envOf(s);
    expect(env[INGEST_ENV.integrity]).toBe('true');
    expect(env[INGEST_ENV.missingLogAfterHours]).toBe('24');
    expect(flat(env[INGEST_ENV.alarmTopicArn])).toBe(`<${idOf(s, s.stack.monitoring.topic)}>`);
  });

  it('lets the worker list CloudTrail public keys (resource * only), publish to the ops topic, and use integrity/ only as the layout says', () => {
    const st = statementsOf(s);
    const keys = st.filter((x) => actionsOf(x).includes('cloudtrail:ListPublicKeys'));
    expect(keys.map((x) => [x.Sid, actionsOf(x), resourcesOf(x)])).toEqual([['ListCloudTrailPublicKeys', ['cloudtrail:ListPublicKeys'], ['*']]]);
    expect(st.flatMap(actionsOf).filter((a) => a.startsWith('cloudtrail:'))).toEqual(['cloudtrail:ListPublicKeys']);
    expect(resourcesFor(st, 'sns:Publish')).toEqual([`<${idOf(s, s.stack.monitoring.topic)}>`]);
    const bucket = idOf(s, s.stack.storage.bucket);
    for (const action of ['s3:PutObject', 's3:GetObject', 's3:DeleteObject']) expect(resourcesFor(st, action), action).toContain(`<${bucket}.Arn>/integrity/*`);
  });

  it('declares the integrity table over integrity/rows/ with the columns derived from INTEGRITY_COLUMNS', () => {
    const tables = s.resources('AWS::Glue::Table').map(([, r]) => r.Properties.TableInput as { Name: string; StorageDescriptor: { Columns: unknown[]; Location: unknown; SerdeInfo: { SerializationLibrary: string } } });
    const t = tables.find((x) => x.Name === 'integrity');
    expect(t).toBeDefined();
    expect(t?.StorageDescriptor.Columns).toEqual(INTEGRITY_TABLE_COLUMNS.map((c) => ({ Name: c.name, Type: c.athena, Comment: c.comment })));
    expect(t?.StorageDescriptor.Columns.map((c) => (c as { Name: string }).Name)).toEqual(INTEGRITY_COLUMNS.map((c) => c.name));
    expect(t?.StorageDescriptor.Columns).toContainEqual(expect.objectContaining({ Name: 'checked_at', Type: 'timestamp' }));
    expect(flat(t?.StorageDescriptor.Location)).toBe(`s3://<${idOf(s, s.stack.storage.bucket)}>/integrity/rows/`);
    expect(t?.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
  });
});

describe('integrity validation configured', () => {
  it('passes the configured missing-log age', () => {
    const s = synth({ ...MINIMAL, integrity: { missingLogAfterHours: 6 } });
    expect(envOf(s)[INGEST_ENV.missingLogAfterHours]).toBe('6');
  }, SYNTH_TIMEOUT_MS);

  it('turned off, leaves the worker without the variables, the keys or the topic', () => {
    const s = synth({ ...MINIMAL, integrity: { enabled: false } });
    const env = envOf(s);
    for (const name of [INGEST_ENV.integrity, INGEST_ENV.missingLogAfterHours, INGEST_ENV.alarmTopicArn]) expect(env[name], name).toBeUndefined();
    const st = statementsOf(s);
    expect(st.flatMap(actionsOf).filter((a) => a.startsWith('cloudtrail:') || a.startsWith('sns:'))).toEqual([]);
  }, SYNTH_TIMEOUT_MS);
});

describe('the integrity section of the configuration', () => {
  it('defaults to on, 24 hours', () => {
    expect(parseConfig(MINIMAL).integrity).toEqual({ enabled: true, missingLogAfterHours: 24 });
  });

  it('rejects an age out of range and an unknown key, naming them', () => {
    expect(() => parseConfig({ ...MINIMAL, integrity: { missingLogAfterHours: 0 } })).toThrow(/integrity\.missingLogAfterHours/);
    expect(() => parseConfig({ ...MINIMAL, integrity: { missingLogAfterDays: 1 } })).toThrow(/integrity\.missingLogAfterDays/);
  });
});
