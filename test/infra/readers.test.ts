/**
 * Operations and readers in the synthesized stack: the analysts' managed policy (exact
 * statements, with and without a customer key), the optional Lake Formation grants, their
 * configuration, and the outputs `loglake dlq` / `loglake redrive` read.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_QUEUES } from '../../cli/dead-letters.js';
import { LoglakeConfigError, parseConfig } from '../../infra/config.js';
import { ANALYST_ATHENA_ACTIONS, ANALYST_GLUE_ACTIONS } from '../../infra/readers.js';
import { FULL, MINIMAL, flat, idOf, synth, type Statement, type Synth, SYNTH_TIMEOUT_MS } from './synth.js';

const ANALYST = 'arn:aws:iam::111111111111:role/analyst';
const AUDITOR = 'arn:aws:iam::111111111111:user/auditor';
const LAKE_FORMATION = { ...FULL, name: 'lf-lake', athena: { ...FULL.athena, lakeFormation: { principals: [ANALYST, AUDITOR] } } };

/** The statements of the one analyst policy, flattened for comparison. */
function analystStatements(s: Synth): Array<{ Sid: string | undefined; Action: string[]; Resource: string[]; Condition?: unknown }> {
  const policies = s.resources('AWS::IAM::ManagedPolicy');
  expect(policies).toHaveLength(1);
  const [, policy] = policies[0] as [string, { Properties: Record<string, unknown> }];
  const doc = policy.Properties.PolicyDocument as { Statement: Statement[] };
  return doc.Statement.map((st) => ({
    Sid: st.Sid,
    Action: Array.isArray(st.Action) ? [...st.Action].sort() : [st.Action],
    Resource: (Array.isArray(st.Resource) ? st.Resource : [st.Resource]).map(flat),
    ...(st.Condition !== undefined ? { Condition: st.Condition } : {}),
  }));
}

describe('the analyst policy', () => {
  let s: Synth;
  let bucket: string;
  let results: string;
  beforeAll(() => {
    s = synth(MINIMAL);
    bucket = idOf(s, s.stack.storage.bucket);
    results = idOf(s, s.stack.storage.queryResults);
  }, SYNTH_TIMEOUT_MS);

  it('grants the workgroup, the Glue tables, reads of the tables’ prefixes and the query results — nothing else', () => {
    const glue = (r: string): string => `arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:${r}`;
    expect(analystStatements(s)).toEqual([
      { Sid: 'AthenaWorkgroup', Action: [...ANALYST_ATHENA_ACTIONS].sort(), Resource: ['arn:<AWS::Partition>:athena:<AWS::Region>:<AWS::AccountId>:workgroup/loglake'] },
      { Sid: 'GlueTables', Action: [...ANALYST_GLUE_ACTIONS].sort(), Resource: [glue('catalog'), glue('database/loglake'), glue('table/loglake/*')] },
      { Sid: 'ReadLake', Action: ['s3:GetObject'], Resource: ['errors', 'lake', 'manifests', 'replays'].map((p) => `<${bucket}.Arn>/${p}/*`) },
      { Sid: 'ListLake', Action: ['s3:ListBucket'], Resource: [`<${bucket}.Arn>`], Condition: { StringLike: { 's3:prefix': ['lake/', 'lake/*', 'errors/', 'errors/*', 'manifests/', 'manifests/*', 'replays/', 'replays/*'] } } },
      { Sid: 'LocateBuckets', Action: ['s3:GetBucketLocation'], Resource: [`<${bucket}.Arn>`, `<${results}.Arn>`] },
      { Sid: 'QueryResults', Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:PutObject'], Resource: [`<${results}.Arn>/*`] },
      { Sid: 'ListQueryResults', Action: ['s3:ListBucket', 's3:ListBucketMultipartUploads'], Resource: [`<${results}.Arn>`] },
    ]);
  });

  it('grants no write, delete or key use on the lake', () => {
    const actions = analystStatements(s).flatMap((st) => st.Action);
    for (const a of actions) expect(a, a).not.toMatch(/^s3:(Delete|PutObjectAcl|PutBucket)|^kms:|^glue:(Create|Update|Delete)|^athena:(Create|Update|Delete)/);
    const writes = analystStatements(s).filter((st) => st.Action.includes('s3:PutObject'));
    expect(writes.flatMap((st) => st.Resource)).toEqual([`<${results}.Arn>/*`]);
  });

  it('is named after the deployment and is an output', () => {
    const policies = s.resources('AWS::IAM::ManagedPolicy');
    expect(policies).toHaveLength(1);
    const [id, policy] = policies[0] as [string, { Properties: Record<string, unknown> }];
    expect(policy.Properties.ManagedPolicyName).toBe('loglake-analyst');
    const outputs = s.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(flat(outputs.AnalystPolicyArn?.Value)).toBe(`<${id}>`);
  });

  it('creates no Lake Formation grant unless configured', () => {
    expect(s.resources('AWS::LakeFormation::PrincipalPermissions')).toEqual([]);
    expect(analystStatements(s).flatMap((st) => st.Action)).not.toContain('lakeformation:GetDataAccess');
  });
});

describe('the analyst policy with a customer key and Lake Formation', () => {
  let s: Synth;
  beforeAll(() => {
    s = synth(LAKE_FORMATION);
  }, SYNTH_TIMEOUT_MS);

  it('adds decrypt and data keys on the stack key, and Lake Formation data access', () => {
    const key = idOf(s, s.stack.storage.key as never);
    const statements = analystStatements(s);
    expect(statements.find((st) => st.Sid === 'LakeKey')).toEqual({ Sid: 'LakeKey', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: [`<${key}.Arn>`] });
    expect(statements.find((st) => st.Sid === 'LakeFormationData')).toEqual({ Sid: 'LakeFormationData', Action: ['lakeformation:GetDataAccess'], Resource: ['*'] });
    expect(statements.find((st) => st.Sid === 'AthenaWorkgroup')?.Resource).toEqual(['arn:<AWS::Partition>:athena:<AWS::Region>:<AWS::AccountId>:workgroup/lf-lake']);
  });

  it('grants each principal DESCRIBE on the database and SELECT, DESCRIBE on every table, after the catalog exists', () => {
    const grants = s.resources('AWS::LakeFormation::PrincipalPermissions').map(([, r]) => r as { Properties: Record<string, unknown>; DependsOn?: string[] });
    expect(grants.map((g) => ({ ...g.Properties, Catalog: flat(g.Properties.Catalog) }))).toEqual(
      [ANALYST, AUDITOR].flatMap((principal) => [
        { Catalog: '<AWS::AccountId>', Principal: { DataLakePrincipalIdentifier: principal }, Resource: { Database: { CatalogId: { Ref: 'AWS::AccountId' }, Name: 'lf_lake' } }, Permissions: ['DESCRIBE'], PermissionsWithGrantOption: [] },
        { Catalog: '<AWS::AccountId>', Principal: { DataLakePrincipalIdentifier: principal }, Resource: { Table: { CatalogId: { Ref: 'AWS::AccountId' }, DatabaseName: 'lf_lake', TableWildcard: {} } }, Permissions: ['SELECT', 'DESCRIBE'], PermissionsWithGrantOption: [] },
      ]),
    );
    const tables = s.resources('AWS::Glue::Table').map(([id]) => id);
    const [database] = s.resources('AWS::Glue::Database').map(([id]) => id);
    for (const g of grants) expect(g.DependsOn).toEqual(expect.arrayContaining([database, ...tables]));
  });
});

describe('athena.lakeFormation configuration', () => {
  const issuesOf = (lakeFormation: unknown): string[] => {
    try {
      parseConfig({ ...MINIMAL, athena: { lakeFormation } });
      return [];
    } catch (e) {
      if (e instanceof LoglakeConfigError) return [...e.issues];
      throw e;
    }
  };

  it('takes IAM role and user ARNs, and is null when absent', () => {
    expect(parseConfig({ ...MINIMAL, athena: { lakeFormation: { principals: [ANALYST, AUDITOR] } } }).athena.lakeFormation).toEqual({ principals: [ANALYST, AUDITOR] });
    expect(parseConfig(MINIMAL).athena.lakeFormation).toBeNull();
  });

  it('names what is wrong: a principal that is not an IAM ARN, an empty or missing list, an unknown key', () => {
    expect(issuesOf({ principals: ['analyst'] })).toEqual(['athena.lakeFormation.principals[0]: must be an IAM role or user ARN (arn:aws:iam::<account>:role/<name>), got "analyst"']);
    expect(issuesOf({ principals: [] })).toHaveLength(1);
    expect(issuesOf({ principals: [] })[0]).toMatch(/^athena\.lakeFormation\.principals: /);
    expect(issuesOf({})[0]).toMatch(/^athena\.lakeFormation\.principals: is required/);
    expect(issuesOf({ principals: [ANALYST], groups: [] })[0]).toMatch(/^athena\.lakeFormation\.groups: /);
  });
});

describe('the outputs loglake dlq and loglake redrive read', () => {
  let s: Synth;
  beforeAll(() => {
    s = synth(MINIMAL);
  }, SYNTH_TIMEOUT_MS);

  it('name each dead-letter queue of the stack by its URL', () => {
    const outputs = s.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const queueOf: Record<string, string> = {
      ingest: idOf(s, s.stack.queues.ingestDlq),
      replay: idOf(s, s.stack.queues.replayDlq),
      'replay-control': idOf(s, s.stack.replay.controlDlq),
    };
    for (const q of DEAD_LETTER_QUEUES.filter((d) => !d.optional)) expect(flat(outputs[q.output]?.Value), q.name).toBe(`<${queueOf[q.name]}>`);
    // The intake's queue is output only with the intake (test/infra/cwlogs.test.ts).
    expect(outputs.CloudWatchLogsDeadLetterQueueUrl).toBeUndefined();
    expect(DEAD_LETTER_QUEUES.filter((d) => d.optional).map((d) => d.output)).toEqual(['CloudWatchLogsDeadLetterQueueUrl']);
  });
});
