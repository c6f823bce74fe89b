/**
 * The RDS log exporter in the synthesized stack: created only with an `rdsExport` section; its
 * function, environment and schedule; a role scoped to exactly the configured instances, the
 * exporter's areas of the central bucket and the replay queue; the worker's read of what it
 * writes; its alarm, outputs and lifecycle rules; the configuration's checks. What the role allows
 * on the central bucket is also checked against the real function at work on a local S3, as
 * lake-access.test.ts does for the worker and the replay job.
 */
import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { SendMessageBatchCommand, SQSClient, type SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRdsExportConfig } from '../../functions/rds-export/config.js';
import { RDS_EXPORT_ENV, RDS_EXPORT_METRICS } from '../../functions/rds-export/env-names.js';
import { createRdsExportHandler } from '../../functions/rds-export/job.js';
import { SdkRdsLogs } from '../../functions/rds-export/rds.js';
import { parseConfig } from '../../infra/config.js';
import { RDS_EXPORT_EVENT, rdsExportTimeoutSeconds } from '../../infra/rds-export.js';
import { LAKE_LAYOUT, LAKE_PREFIXES, RDS_RAW_PREFIX, type LakeAccess } from '../../schema/lake-layout.js';
import { FakeRds, logLines } from '../functions/rds-export/fake-rds.js';
import { waitForPutsToLand } from '../functions/rds-export/s3-landed.js';
import { lambdaContext } from '../helpers/notifications.js';
import { startLocalS3, type LocalS3 } from '../helpers/s3.js';
import { actionsOf, flat, idOf, MINIMAL, REPO, resourcesOf, roleStatements, synth, type CfnResource, type Statement, type Synth, SYNTH_TIMEOUT_MS } from './synth.js';

/** Two instances (one with its own filter), a customer key and a retention: every branch of the construct in one synthesis. */
const RDS = {
  name: 'rds-lake',
  sources: MINIMAL.sources,
  lake: { kms: true, retentionDays: 400 },
  rdsExport: {
    instances: [{ identifier: 'orders-db' }, { identifier: 'billing-pg', logFiles: ['error/postgresql.log.'] }],
    logFiles: ['error/', 'slowquery/', 'audit/'],
    scheduleMinutes: 10,
  },
};

interface Ids {
  fn: string;
  role: string;
  bucket: string;
  replay: string;
  workerRole: string;
  key: string;
}

const resource = (s: Synth, id: string): CfnResource => s.template.toJSON().Resources[id] as CfnResource;

const resourcesFor = (statements: Statement[], action: string): string[] =>
  statements.filter((st) => st.Effect === 'Allow' && actionsOf(st).includes(action)).flatMap(resourcesOf).sort();

/** What S3 authorizes each access as, from S3's documentation (as in lake-access.test.ts). */
const IAM_OF: Readonly<Record<Exclude<LakeAccess, 'list'>, readonly string[]>> = {
  put: ['s3:PutObject', 's3:AbortMultipartUpload'],
  copy: ['s3:PutObject', 's3:PutObjectTagging'],
  get: ['s3:GetObject'],
  delete: ['s3:DeleteObject'],
};

/** The exporter's accesses of the layout, `raw/` narrowed to `raw/rds/`, as `{ prefix: accesses }`. */
const layoutByPrefix = (): Record<string, LakeAccess[]> =>
  Object.fromEntries(
    Object.values(LAKE_LAYOUT)
      .filter((a) => a.rdsExport.length > 0)
      .map((a) => [a.prefix === LAKE_PREFIXES.raw ? RDS_RAW_PREFIX : a.prefix, [...a.rdsExport].sort()]),
  );

/** The grants accesses by prefix need: `<action> <prefix>*`, or `s3:ListBucket bucket`. */
function grantsFor(byPrefix: Record<string, readonly LakeAccess[]>): string[] {
  const out = new Set<string>();
  for (const [prefix, accesses] of Object.entries(byPrefix)) {
    for (const access of accesses) {
      if (access === 'list') out.add('s3:ListBucket bucket');
      else for (const action of IAM_OF[access]) out.add(`${action} ${prefix}*`);
    }
  }
  return [...out].sort();
}

/** The exporter role's S3 grants on the central bucket in the form of {@link grantsFor}. */
function lakeGrants(s: Synth, ids: Ids): string[] {
  const bucket = `<${ids.bucket}.Arn>`;
  return roleStatements(s, ids.role)
    .filter((st) => st.Effect === 'Allow')
    .flatMap((st) =>
      actionsOf(st)
        .filter((a) => a.startsWith('s3:'))
        .flatMap((action) => resourcesOf(st).map((r) => `${action} ${r === bucket ? 'bucket' : r.slice(bucket.length + 1)}`)),
    )
    .sort();
}

describe('RdsLogExport, configured', () => {
  let s: Synth;
  let ids: Ids;
  let statements: Statement[];
  beforeAll(() => {
    s = synth(RDS);
    const exporter = s.stack.rdsExport;
    if (exporter === null) throw new Error('no RdsLogExport');
    ids = {
      fn: idOf(s, exporter.function),
      role: idOf(s, exporter.role),
      bucket: idOf(s, s.stack.storage.bucket),
      replay: idOf(s, s.stack.queues.replay),
      workerRole: idOf(s, s.stack.worker.role),
      key: idOf(s, s.stack.storage.key!),
    };
    statements = roleStatements(s, ids.role);
  }, SYNTH_TIMEOUT_MS);

  it('runs on arm64 with the worker runtime, its timeout a minute shorter than the schedule', () => {
    const fn = resource(s, ids.fn);
    expect(fn.Properties).toMatchObject({ Architectures: ['arm64'], MemorySize: 512, Timeout: 540, Handler: 'index.handler' });
    expect(fn.Properties.Runtime).toBe(resource(s, idOf(s, s.stack.worker.function)).Properties.Runtime);
    expect([5, 15, 60].map(rdsExportTimeoutSeconds)).toEqual([240, 840, 900]);
  });

  it('tells the function the bucket, the replay queue, the instances with their filters, the account, the region and its margin', () => {
    const env = (resource(s, ids.fn).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(flat(env[RDS_EXPORT_ENV.lakeBucket])).toBe(`<${ids.bucket}>`);
    expect(flat(env[RDS_EXPORT_ENV.replayQueueUrl])).toBe(`<${ids.replay}>`);
    expect(JSON.parse(env[RDS_EXPORT_ENV.instances] as string)).toEqual([
      { identifier: 'orders-db', logFiles: ['error/', 'slowquery/', 'audit/'] },
      { identifier: 'billing-pg', logFiles: ['error/postgresql.log.'] },
    ]);
    expect(flat(env[RDS_EXPORT_ENV.account])).toBe('<AWS::AccountId>');
    expect(flat(env[RDS_EXPORT_ENV.region])).toBe('<AWS::Region>');
    expect(env[RDS_EXPORT_ENV.deadlineMarginMs]).toBe('30000');
    expect(env).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'rds-lake', POWERTOOLS_METRICS_NAMESPACE: RDS_EXPORT_METRICS.namespace, POWERTOOLS_LOG_LEVEL: 'INFO' });
    expect(Object.keys(env).filter((k) => k.startsWith('LOGLAKE_')).sort()).toEqual(
      [RDS_EXPORT_ENV.lakeBucket, RDS_EXPORT_ENV.replayQueueUrl, RDS_EXPORT_ENV.instances, RDS_EXPORT_ENV.account, RDS_EXPORT_ENV.region, RDS_EXPORT_ENV.deadlineMarginMs].sort(),
    );
  });

  it('runs on a schedule every scheduleMinutes, a late run dropped, a failed run not retried beside the next', () => {
    const rules = s.resources('AWS::Events::Rule').filter(([, r]) => (r.Properties.Targets as Array<{ Arn: unknown }>).some((t) => flat(t.Arn) === `<${ids.fn}.Arn>`));
    expect(rules).toHaveLength(1);
    const rule = rules[0]?.[1] as CfnResource;
    expect(rule.Properties).toMatchObject({ ScheduleExpression: 'rate(10 minutes)', State: 'ENABLED' });
    const target = (rule.Properties.Targets as Array<{ Input: string; RetryPolicy: unknown }>)[0];
    expect(JSON.parse(target?.Input ?? '')).toEqual(RDS_EXPORT_EVENT);
    expect(target?.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 600, MaximumRetryAttempts: 2 });
    const invoke = s.resources('AWS::Lambda::EventInvokeConfig').filter(([, c]) => flat(c.Properties.FunctionName) === `<${ids.fn}>`);
    expect(invoke.map(([, c]) => c.Properties)).toEqual([expect.objectContaining({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 600 })]);
  });

  it('reads the log files of exactly the configured instances, nothing else of RDS', () => {
    const rds = statements.filter((st) => actionsOf(st).some((a) => a.startsWith('rds:')));
    expect(rds).toHaveLength(1);
    expect(actionsOf(rds[0] as Statement).sort()).toEqual(['rds:DescribeDBLogFiles', 'rds:DownloadDBLogFilePortion']);
    expect(resourcesOf(rds[0] as Statement).sort()).toEqual(['billing-pg', 'orders-db'].map((i) => `arn:<AWS::Partition>:rds:<AWS::Region>:<AWS::AccountId>:db:${i}`));
  });

  it('writes raw/rds/ and its state, reads only its state, and lists the bucket, exactly as the layout says', () => {
    expect(lakeGrants(s, ids)).toEqual(grantsFor(layoutByPrefix()));
    expect(lakeGrants(s, ids)).toEqual(
      ['s3:AbortMultipartUpload raw/rds/*', 's3:AbortMultipartUpload rds-export/*', 's3:GetObject rds-export/*', 's3:ListBucket bucket', 's3:PutObject raw/rds/*', 's3:PutObject rds-export/*'].sort(),
    );
  });

  it('sends only to the replay queue, uses only the lake key, and has nothing on every resource, no wildcard action, no managed policy', () => {
    expect(resourcesFor(statements, 'sqs:SendMessage')).toEqual([`<${ids.replay}.Arn>`]);
    expect(statements.flatMap(actionsOf).filter((a) => a.startsWith('sqs:'))).toEqual(['sqs:SendMessage']);
    expect(resourcesFor(statements, 'kms:Decrypt')).toEqual([`<${ids.key}.Arn>`]);
    expect(resourcesFor(statements, 'kms:GenerateDataKey')).toEqual([`<${ids.key}.Arn>`]);
    expect(statements.filter((st) => resourcesOf(st).includes('*'))).toEqual([]);
    expect(statements.flatMap(actionsOf).filter((a) => a.includes('*'))).toEqual([]);
    expect(resource(s, ids.role).Properties.ManagedPolicyArns).toBeUndefined();
    const actions = new Set(statements.flatMap(actionsOf));
    expect([...actions].filter((a) => !/^(s3|rds|sqs|kms):/.test(a)).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  it('lets the worker read raw/rds/, the objects it is sent, and nothing else the exporter writes', () => {
    const worker = roleStatements(s, ids.workerRole);
    expect(worker.filter((st) => st.Sid === 'ReadRdsExports').map((st) => [actionsOf(st), resourcesOf(st)])).toEqual([[['s3:GetObject'], [`<${ids.bucket}.Arn>/raw/rds/*`]]]);
    expect(worker.flatMap(resourcesOf).filter((r) => r.includes('/rds-export/'))).toEqual([]);
    expect(worker.flatMap(actionsOf).filter((a) => a.startsWith('rds:'))).toEqual([]);
  });

  it('alarms on exporter errors over one schedule period, to the ops topic', () => {
    const alarm = s.resources('AWS::CloudWatch::Alarm').find(([, r]) => r.Properties.AlarmName === 'rds-lake-rds-export-errors')?.[1].Properties;
    const topic = [{ Ref: idOf(s, s.stack.monitoring.topic) }];
    expect(alarm).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1, TreatMissingData: 'notBreaching', AlarmActions: topic, OKActions: topic });
    const metrics = alarm?.Metrics as Array<{ Id: string; Expression?: string; MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: Array<{ Name: string; Value: unknown }> }; Period: number; Stat: string } }>;
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('FILL(recorded, 0) + FILL(failed, 0)');
    expect(metrics.find((m) => m.Id === 'recorded')?.MetricStat).toEqual({
      Metric: { Namespace: 'Loglake', MetricName: RDS_EXPORT_METRICS.errors, Dimensions: [{ Name: 'service', Value: 'rds-lake' }] },
      Period: 600,
      Stat: 'Sum',
    });
    const failed = metrics.find((m) => m.Id === 'failed')?.MetricStat;
    expect(failed?.Metric.MetricName).toBe('Errors');
    expect(failed?.Metric.Dimensions.map((d) => `${d.Name}=${flat(d.Value)}`)).toEqual([`FunctionName=<${ids.fn}>`]);
  });

  it('outputs the function name and the role', () => {
    const outputs = s.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(flat(outputs.RdsExportFunctionName?.Value)).toBe(`<${ids.fn}>`);
    expect(flat(outputs.RdsExportRoleArn?.Value)).toBe(`<${ids.role}.Arn>`);
  });

  it('gives raw/ its archive rule and the state its expiry, without the raw archive on', () => {
    const bucket = resource(s, ids.bucket);
    const rules = (bucket.Properties.LifecycleConfiguration as { Rules: Array<{ Id: string; Prefix?: string; ExpirationInDays?: number; Transitions?: unknown }> }).Rules;
    expect(rules.find((r) => r.Prefix === 'raw/')).toMatchObject({ Id: 'raw-archive', Transitions: [{ StorageClass: 'GLACIER', TransitionInDays: 90 }] });
    expect(rules.find((r) => r.Prefix === 'rds-export/')).toEqual({ Id: 'rdsExport-expiry', Prefix: 'rds-export/', Status: 'Enabled', ExpirationInDays: 400 });
  });
});

describe('without an rdsExport section', () => {
  let s: Synth;
  beforeAll(() => {
    s = synth(MINIMAL);
  }, SYNTH_TIMEOUT_MS);

  it('creates no exporter, no RDS permission, no raw/rds/ read, no alarm, no output and no rds-export/ rule', () => {
    expect(s.stack.rdsExport).toBeNull();
    const template = JSON.stringify(s.template.toJSON());
    expect(template).not.toMatch(/rds:|RdsExport|rds-export|raw\/rds|LOGLAKE_RDS_/);
  });
});

describe('the rdsExport configuration', () => {
  const problems = (rdsExport: unknown, lake: unknown = undefined): string[] => {
    try {
      parseConfig({ ...MINIMAL, rdsExport, ...(lake !== undefined ? { lake } : {}) });
    } catch (e) {
      return [...((e as { issues?: string[] }).issues ?? [(e as Error).message])];
    }
    return [];
  };

  it('applies the defaults: every file, every 15 minutes', () => {
    expect(parseConfig({ ...MINIMAL, rdsExport: { instances: [{ identifier: 'db-1' }] } }).rdsExport).toEqual({ instances: [{ identifier: 'db-1', logFiles: [''] }], scheduleMinutes: 15 });
    expect(parseConfig(MINIMAL).rdsExport).toBeNull();
  });

  it('names every mistake', () => {
    expect(problems({})).toEqual(['rdsExport.instances: must be a non-empty array of DB instances, got undefined']);
    expect(problems({ instances: [] })).toEqual(['rdsExport.instances: must be a non-empty array of DB instances, got []']);
    expect(
      problems({ instances: [{ identifier: 'Orders_DB' }, { identifier: 'db-1' }, { identifier: 'db-1', logFiles: ['/error'] }, {}], logFiles: ['slow*'], scheduleMinutes: 2, region: 'us-east-1' }),
    ).toEqual([
      'rdsExport.region: unknown key; known keys: instances, logFiles, scheduleMinutes',
      'rdsExport.logFiles[0]: must not contain * or ? (it is a literal prefix of the log file name, not a pattern), got "slow*"',
      'rdsExport.instances[0].identifier: must be a DB instance identifier (1-63 lowercase letters, digits and hyphens, starting with a letter), got "Orders_DB"',
      'rdsExport.instances[2].identifier: "db-1" is listed twice',
      'rdsExport.instances[2].logFiles[0]: must not start with "/" (RDS log file names have none), got "/error"',
      'rdsExport.instances[3].identifier: is required (the DB instance identifier)',
      'rdsExport.scheduleMinutes: must be an integer from 5 to 1440, got 2',
    ]);
  });

  it('refuses more instances than the function environment holds', () => {
    const instances = Array.from({ length: 40 }, (_, i) => ({ identifier: `database-instance-number-${i}`, logFiles: ['error/postgresql.log.'] }));
    expect(problems({ instances })).toEqual([expect.stringMatching(/^rdsExport\.instances: take \d+ bytes of the function's environment, more than the 3072/)]);
  });

  it('allows raw/ lifecycle settings with the exporter and no raw archive, since it writes raw/rds/', () => {
    expect(problems({ instances: [{ identifier: 'db-1' }] }, { rawGlacierAfterDays: 30 })).toEqual([]);
    expect(problems(undefined, { rawGlacierAfterDays: 30 })).toEqual([expect.stringMatching(/^lake\.archiveRaw: raw\/ lifecycle settings are given/)]);
  });

  it('is documented in docs/deploy.md: the exporter column of the central bucket table is the layout', () => {
    const doc = readFileSync(new URL('docs/deploy.md', REPO), 'utf8');
    for (const area of Object.values(LAKE_LAYOUT)) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${area.prefix}\` |`));
      const column = row?.split('|')[4] ?? '';
      for (const access of area.rdsExport) expect(column, area.prefix).toContain(access);
      if (area.rdsExport.length === 0) expect(column.trim(), area.prefix).toBe('—');
    }
  });
});

/** The parts of an S3 command input the recorder reads. */
interface S3Input {
  readonly Key?: string;
  readonly Prefix?: string;
  readonly Bucket?: string;
}

describe('the exporter role against the exporter at work', () => {
  const LAKE = 'rds-export-access-lake';
  let s3: LocalS3;
  let s: Synth;
  const observed = new Map<string, Set<LakeAccess>>();
  const unknown: string[] = [];
  const sqs = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  const sqsMock = mockClient(sqs);
  let rds: FakeRds;

  beforeAll(async () => {
    s = synth(RDS);
    s3 = await startLocalS3();
    waitForPutsToLand(s3);
    await s3.createBucket(LAKE);
    rds = new FakeRds();
    rds.put('orders-db', 'slowquery/mysql-slowquery.log', logLines('slow', 0, 40), Date.now() - 60_000);
    rds.put('billing-pg', 'error/postgresql.log.2024-05-01-13', logLines('pg', 0, 40), Date.now() - 60_000);
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => ({
      Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: 'm', MD5OfMessageBody: '' })),
      Failed: [],
    }));
    s3.client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = String(context.commandName ?? '');
        const input = args.input as S3Input;
        const add = (key: string, access: LakeAccess): void => {
          // Accesses under raw/ are recorded by their second segment too: the grant is raw/rds/ only.
          const prefix = key.startsWith(LAKE_PREFIXES.raw) ? key.split('/').slice(0, 2).join('/') + '/' : key.slice(0, key.indexOf('/') + 1);
          const set = observed.get(prefix) ?? new Set<LakeAccess>();
          set.add(access);
          observed.set(prefix, set);
        };
        try {
          const out = await next(args);
          if (input.Bucket === LAKE) {
            if (command === 'PutObjectCommand') add(input.Key ?? '', 'put');
            else if (command === 'GetObjectCommand') add(input.Key ?? '', 'get');
            else if (command === 'ListObjectsV2Command') add(input.Prefix ?? '', 'list');
            else unknown.push(command);
          }
          return out;
        } catch (e) {
          // A GET of a state that does not exist yet: answered 404 only to a role that may list.
          if (input.Bucket === LAKE && command === 'GetObjectCommand') {
            add(input.Key ?? '', 'get');
            add(input.Key ?? '', 'list');
          }
          throw e;
        }
      },
      { step: 'initialize', name: 'recordRdsExportAccess' },
    );

    // The function's own switches as the template sets them; names of resources are tokens there.
    const vars = (resource(s, idOf(s, s.stack.rdsExport!.function)).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    const switches = Object.fromEntries(Object.entries(vars).filter((e): e is [string, string] => e[0].startsWith('LOGLAKE_') && typeof e[1] === 'string'));
    const saved = process.env.POWERTOOLS_METRICS_DISABLED;
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const metrics = new Metrics({ namespace: 'Loglake', serviceName: 'loglake-test' });
    if (saved === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = saved;
    const handler = createRdsExportHandler({
      config: loadRdsExportConfig({
        ...switches,
        [RDS_EXPORT_ENV.lakeBucket]: LAKE,
        [RDS_EXPORT_ENV.replayQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/111122223333/replay',
        [RDS_EXPORT_ENV.account]: '111122223333',
        [RDS_EXPORT_ENV.region]: 'us-east-1',
        [RDS_EXPORT_ENV.linesPerPortion]: '10',
        [RDS_EXPORT_ENV.objectBytes]: '1024',
        [RDS_EXPORT_ENV.s3Endpoint]: s3.endpoint,
      }),
      s3: s3.client,
      sqs,
      rds: new SdkRdsLogs(rds.client),
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics,
    });
    // A first run, then one after the files grew and one rotated.
    const first = await handler({}, lambdaContext());
    expect(first.instances.map((r) => r.status)).toEqual(['done', 'done']);
    rds.append('orders-db', 'slowquery/mysql-slowquery.log', logLines('slow', 40, 5), Date.now());
    rds.put('billing-pg', 'error/postgresql.log.2024-05-01-13', logLines('pg-new', 0, 3), Date.now());
    const second = await handler({}, lambdaContext());
    expect(second.instances.map((r) => [r.status, r.objects > 0])).toEqual([
      ['done', true],
      ['done', true],
    ]);
  }, SYNTH_TIMEOUT_MS);

  afterAll(async () => {
    sqsMock.restore();
    rds.mock.restore();
    await s3.stop();
  });

  it('makes only the S3 calls the recorder knows how to authorize', () => {
    expect(unknown).toEqual([]);
  });

  it('does on the central bucket exactly what the layout lists for it, prefix by prefix', () => {
    const byPrefix = Object.fromEntries([...observed].map(([p, set]) => [p, [...set].sort()]));
    expect(byPrefix).toEqual(layoutByPrefix());
  });

  it('is granted exactly what it did, and nothing it did not', () => {
    const byPrefix = Object.fromEntries([...observed].map(([p, set]) => [p, [...set].sort()]));
    const ids = { role: idOf(s, s.stack.rdsExport!.role), bucket: idOf(s, s.stack.storage.bucket) } as Ids;
    expect(lakeGrants(s, ids)).toEqual(grantsFor(byPrefix));
  });
});
