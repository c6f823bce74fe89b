/**
 * The CloudWatch Logs intake in the synthesized stack (infra/cwlogs.ts): its function and
 * environment, the subscription filters of the deployment account's log groups and the invoke
 * permissions of prefixes and patterns, its dead-letter queue and retries, a role scoped to the
 * `cwlogs` accesses of the lake layout, its alarms and outputs, the worker's share of the map,
 * cdk-nag, and the configuration's validation.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validations, type CfnResource as CdkResource } from 'aws-cdk-lib';
import { AwsSolutionsChecks, NagRuleCompliance, type IApplyRule } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { CWLOGS_ENV, CWLOGS_METRICS } from '../../functions/cwlogs/env-names.js';
import { INGEST_ENV } from '../../functions/ingest/env-names.js';
import { LoglakeConfigError, parseConfig } from '../../infra/config.js';
import { CWLOGS_MAX_EVENT_AGE, CWLOGS_RETRY_ATTEMPTS, logGroupArnPattern } from '../../infra/cwlogs.js';
import { createApp } from '../../infra/stack.js';
import { parseLogGroupMap, routeLogGroup } from '../../pipeline/index.js';
import { LAKE_LAYOUT } from '../../schema/lake-layout.js';
import { CDK_CONTEXT, INLINE_CODE, MINIMAL, REPO, actionsOf, flat, idOf, resourcesOf, roleStatements, synth, type CfnResource, type Synth, SYNTH_TIMEOUT_MS } from './synth.js';

const CWLOGS = {
  name: 'cw-lake',
  sources: [{ bucket: 'acme-firehose', prefixes: ['cwlogs/'], format: 'cwlogs' }],
  cloudwatchLogs: {
    logGroups: [
      { name: '/aws/lambda/orders' },
      { name: '/aws/rds/instance/db1/postgresql', format: 'rds' },
      { name: 'aws-cloudtrail-logs-111111111111-0a1b2c3d', format: 'cloudtrail' },
      { prefix: '/aws/vpc/flowlogs/', format: 'vpcflow', header: '${version} ${interface-id} ${srcaddr} ${dstaddr}' },
      { pattern: '/aws/redshift/cluster/*/connectionlog', format: 'redshift' },
      { name: '/app/partner', account: '222222222222', format: 'cwlogs' },
    ],
    filterPattern: '-DEBUG',
    reservedConcurrency: 20,
    region: 'eu-west-1',
  },
};

const resource = (s: Synth, id: string): CfnResource => s.template.toJSON().Resources[id] as CfnResource;

/** AwsSolutions checks that also record every finding, acknowledged or not (as test/infra/stack.test.ts does). */
class RecordingChecks extends AwsSolutionsChecks {
  readonly findings: Array<{ path: string; rule: string }> = [];

  protected override applyRule(params: IApplyRule): void {
    const id = `${this.readPackName}-${params.ruleSuffixOverride ?? params.rule.name}`;
    const record = (node: CdkResource): ReturnType<IApplyRule['rule']> => {
      const result = params.rule(node);
      if (result === NagRuleCompliance.NON_COMPLIANT) this.findings.push({ path: node.node.path, rule: id });
      else if (Array.isArray(result)) for (const f of result) this.findings.push({ path: node.node.path, rule: `${id}[${f}]` });
      return result;
    };
    Object.defineProperty(record, 'name', { value: params.rule.name });
    super.applyRule({ ...params, rule: record });
  }
}

describe('CwlogsIntake', () => {
  let s: Synth;
  let fnId: string;
  beforeAll(() => {
    s = synth(CWLOGS);
    fnId = idOf(s, s.stack.cwlogs?.function as never);
  }, SYNTH_TIMEOUT_MS);

  it('is absent without a cloudwatchLogs section', () => {
    const minimal = synth(MINIMAL);
    expect(minimal.stack.cwlogs).toBeNull();
    expect(minimal.resources('AWS::Logs::SubscriptionFilter')).toEqual([]);
  }, SYNTH_TIMEOUT_MS);

  it('runs the intake function with the lake bucket and the log-group map of the settings that name a format', () => {
    const props = resource(s, fnId).Properties;
    expect(props).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], MemorySize: 512, Timeout: 120, ReservedConcurrentExecutions: 20 });
    const env = (props.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(flat(env[CWLOGS_ENV.lakeBucket])).toBe(`<${idOf(s, s.stack.storage.bucket)}>`);
    expect(env.POWERTOOLS_METRICS_NAMESPACE).toBe(CWLOGS_METRICS.namespace);
    const map = parseLogGroupMap(String(env[CWLOGS_ENV.logGroups]), CWLOGS_ENV.logGroups);
    expect(routeLogGroup(map, '/aws/rds/instance/db1/postgresql')?.format).toBe('rds');
    expect(routeLogGroup(map, '/aws/vpc/flowlogs/prod')).toMatchObject({ format: 'vpcflow', header: 'version interface-id srcaddr dstaddr' });
    expect(routeLogGroup(map, '/aws/redshift/cluster/c1/connectionlog')?.format).toBe('redshift');
    expect(routeLogGroup(map, '/app/partner')?.format).toBe('cwlogs');
    expect(map.region).toBe('eu-west-1');
    // A name without a format routes by the built-in map: it is subscribed, not mapped.
    expect(routeLogGroup(map, '/aws/lambda/orders')).toBeNull();
  });

  it('gives the worker the same map, for Firehose objects of subscription payloads', () => {
    const worker = resource(s, idOf(s, s.stack.worker.function)).Properties;
    const env = (worker.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env[INGEST_ENV.logGroups]).toBe((resource(s, fnId).Properties.Environment as { Variables: Record<string, unknown> }).Variables[CWLOGS_ENV.logGroups]);
  });

  it('subscribes each log group of the deployment account named exactly, with the filter pattern, after allowing the invocation', () => {
    const filters = s.resources('AWS::Logs::SubscriptionFilter');
    expect(filters.map(([, f]) => f.Properties.LogGroupName).sort()).toEqual(['/aws/lambda/orders', '/aws/rds/instance/db1/postgresql', 'aws-cloudtrail-logs-111111111111-0a1b2c3d']);
    for (const [, f] of filters) {
      expect(f.Properties.FilterPattern).toBe('-DEBUG');
      expect(f.Properties.FilterName).toBe('loglake-cw-lake');
      expect(flat(f.Properties.DestinationArn)).toBe(`<${fnId}.Arn>`);
      expect((f as CfnResource & { DependsOn?: string[] }).DependsOn?.some((d) => d.includes('CanInvokeLambda'))).toBe(true);
    }
  });

  it('lets logs.amazonaws.com invoke it for exactly the configured log groups of its own account', () => {
    const permissions = s.resources('AWS::Lambda::Permission').filter(([, p]) => flat(p.Properties.FunctionName).includes(fnId));
    expect(permissions.every(([, p]) => p.Properties.Principal === 'logs.amazonaws.com' && p.Properties.Action === 'lambda:InvokeFunction')).toBe(true);
    const arns = permissions.map(([, p]) => flat(p.Properties.SourceArn)).sort();
    expect(arns).toEqual(
      [
        'arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/lambda/orders:*',
        'arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/rds/instance/db1/postgresql:*',
        'arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:aws-cloudtrail-logs-111111111111-0a1b2c3d:*',
        'arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/vpc/flowlogs/*:*',
        'arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/redshift/cluster/*/connectionlog:*',
      ].sort(),
    );
    expect(arns.some((a) => a.includes('/app/partner'))).toBe(false);
  });

  it('hands an invocation that failed every retry to its dead-letter queue, encrypted and TLS-only', () => {
    const props = resource(s, fnId).Properties;
    const dlqId = idOf(s, s.stack.cwlogs?.deadLetterQueue as never);
    expect(flat((props.DeadLetterConfig as { TargetArn: unknown }).TargetArn)).toBe(`<${dlqId}.Arn>`);
    const config = s.resources('AWS::Lambda::EventInvokeConfig').find(([, c]) => flat(c.Properties.FunctionName).includes(fnId));
    expect(config?.[1].Properties).toMatchObject({ MaximumRetryAttempts: CWLOGS_RETRY_ATTEMPTS, MaximumEventAgeInSeconds: CWLOGS_MAX_EVENT_AGE.toSeconds() });
    expect(resource(s, dlqId).Properties).toMatchObject({ MessageRetentionPeriod: 14 * 86400, SqsManagedSseEnabled: true });
  });

  it('grants on the central bucket exactly the cwlogs accesses of the lake layout, and no source', () => {
    const statements = roleStatements(s, idOf(s, s.stack.cwlogs?.role as never));
    const bucket = idOf(s, s.stack.storage.bucket);
    const prefixesFor = (access: 'put' | 'get' | 'delete'): string[] =>
      Object.values(LAKE_LAYOUT)
        .filter((a) => (a.cwlogs as readonly string[]).includes(access))
        .map((a) => `<${bucket}.Arn>/${a.prefix}*`)
        .sort();
    const granted = (action: string): string[] => statements.filter((st) => actionsOf(st).includes(action)).flatMap(resourcesOf).sort();
    expect(granted('s3:PutObject')).toEqual(prefixesFor('put'));
    expect(granted('s3:GetObject')).toEqual(prefixesFor('get'));
    expect(granted('s3:DeleteObject')).toEqual(prefixesFor('delete'));
    expect(granted('s3:ListBucket')).toEqual([`<${bucket}.Arn>`]);
    expect(prefixesFor('put')).toEqual([`<${bucket}.Arn>/errors/*`, `<${bucket}.Arn>/lake/*`, `<${bucket}.Arn>/manifests/*`]);
    expect(statements.flatMap(resourcesOf).some((r) => r.includes('acme-firehose'))).toBe(false);
  });

  it('alarms on intake errors, on its dead-letter queue and on throttles', () => {
    const names = s.resources('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties.AlarmName);
    expect(names).toEqual(expect.arrayContaining(['cw-lake-cwlogs-intake-errors', 'cw-lake-cwlogs-dlq-not-empty', 'cw-lake-cwlogs-throttles']));
    const errors = s.resources('AWS::CloudWatch::Alarm').find(([, a]) => a.Properties.AlarmName === 'cw-lake-cwlogs-intake-errors')?.[1];
    const metrics = JSON.stringify(errors?.Properties.Metrics);
    expect(metrics).toContain(CWLOGS_METRICS.errors);
    expect(metrics).toContain('"MetricName":"Errors"');
  });

  it('outputs the function ARN, its dead-letter queue and the log groups of other accounts it does not subscribe', () => {
    const outputs = s.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(flat(outputs.CloudWatchLogsFunctionArn?.Value)).toBe(`<${fnId}.Arn>`);
    expect(outputs.CloudWatchLogsDeadLetterQueueUrl).toBeDefined();
    expect(outputs.CloudWatchLogsOtherAccounts?.Value).toBe('222222222222:/app/partner');
  });

  it('leaves no cdk-nag finding unacknowledged, with a customer key too, and acknowledges only findings that exist', () => {
    for (const config of [CWLOGS, { ...CWLOGS, lake: { kms: true } }]) {
      const { app } = createApp({ context: { ...CDK_CONTEXT, loglake: config }, workerCode: INLINE_CODE, replayCode: INLINE_CODE, cwlogsCode: INLINE_CODE, outdir: mkdtempSync(join(tmpdir(), 'loglake-cdk-')) });
      const checks = new RecordingChecks();
      const report = checks.validateScope(app);
      expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
      const acks = app.node
        .findAll()
        .filter((c) => c.node.path.includes('/CloudWatchLogs'))
        .flatMap((c) =>
          c.node.metadata
            .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
            .flatMap((m) => Object.keys(m.data as Record<string, string>).map((rule) => ({ path: c.node.path, rule: rule.replace(/^annotation::/i, '') }))),
        );
      expect(acks.length).toBeGreaterThan(0);
      const stale = acks.filter((a) => !checks.findings.some((f) => f.rule === a.rule && (f.path === a.path || f.path.startsWith(`${a.path}/`))));
      expect(stale.map((a) => `${a.rule} at ${a.path}`)).toEqual([]);
    }
  }, SYNTH_TIMEOUT_MS);
});

describe('the CloudWatch Logs intake in docs/deploy.md', () => {
  it('has its column of the central bucket table, which is the layout', () => {
    const doc = readFileSync(new URL('docs/deploy.md', REPO), 'utf8');
    expect(doc).toContain('| prefix | worker | replay job | RDS exporter | CloudWatch Logs intake | holds | lifecycle |');
    for (const area of Object.values(LAKE_LAYOUT)) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${area.prefix}\` |`));
      const column = row?.split('|')[5] ?? '';
      for (const access of area.cwlogs) expect(column, area.prefix).toContain(access);
      if (area.cwlogs.length === 0) expect(column.trim(), area.prefix).toBe('—');
    }
  });
});

describe('cloudwatchLogs configuration', () => {
  const problems = (cloudwatchLogs: unknown, extra: Record<string, unknown> = {}): string[] => {
    try {
      parseConfig({ ...MINIMAL, ...extra, cloudwatchLogs });
    } catch (e) {
      if (e instanceof LoglakeConfigError) return [...e.issues];
      throw e;
    }
    return [];
  };

  it('accepts a minimal section and applies the defaults', () => {
    const c = parseConfig({ ...MINIMAL, cloudwatchLogs: { logGroups: [{ name: '/aws/lambda/x' }] } }).cloudwatchLogs;
    expect(c).toEqual({ logGroups: [{ match: 'name', text: '/aws/lambda/x', format: null, header: null, account: null }], filterPattern: '', memoryMiB: 512, timeoutSeconds: 120, reservedConcurrency: null, region: null, firehose: null });
    expect(parseConfig(MINIMAL).cloudwatchLogs).toBeNull();
  });

  it('names every problem with its path', () => {
    expect(problems({})).toEqual(['cloudwatchLogs.logGroups: must be a non-empty array of log groups, got undefined']);
    expect(problems({ logGroups: [] })).toEqual(['cloudwatchLogs.logGroups: must be a non-empty array of log groups, got []']);
    expect(problems({ logGroups: [{ name: '/a', prefix: '/b' }] })[0]).toContain('cloudwatchLogs.logGroups[0]: needs exactly one of "name"');
    expect(problems({ logGroups: [{ name: 'has space' }] })[0]).toContain('cloudwatchLogs.logGroups[0].name: must be log group name text');
    expect(problems({ logGroups: [{ name: '/a', format: 'nginx' }] })[0]).toMatch(/cloudwatchLogs\.logGroups\[0\]\.format: must be a source \(.*cwlogs.*\) or a parser id/);
    expect(problems({ logGroups: [{ name: '/a', header: 'x y' }] })).toEqual(['cloudwatchLogs.logGroups[0].header: needs a "format" whose parser reads it']);
    expect(problems({ logGroups: [{ name: '/a', account: '1234' }] })[0]).toContain('cloudwatchLogs.logGroups[0].account: must be a 12-digit AWS account id');
    expect(problems({ logGroups: [{ name: '/a', account: '111111111111' }] }, { account: '111111111111' })).toEqual([
      'cloudwatchLogs.logGroups[0].account: is the deployment account; leave it out for same-account log groups',
    ]);
    expect(problems({ logGroups: [{ name: '/a' }, { name: '/a' }] })).toEqual(['cloudwatchLogs.logGroups[1]: name "/a" is listed twice']);
    expect(problems({ logGroups: [{ name: '/a' }], memoryMiB: 64, timeoutSeconds: 1000, extra: 1 })).toEqual([
      'cloudwatchLogs.extra: unknown key; known keys: logGroups, filterPattern, memoryMiB, timeoutSeconds, reservedConcurrency, region, firehose',
      'cloudwatchLogs.memoryMiB: must be an integer from 256 to 10240, got 64',
      'cloudwatchLogs.timeoutSeconds: must be an integer from 10 to 900, got 1000',
    ]);
    expect(problems({ logGroups: [{ name: '/a' }], region: 'moon' })).toEqual(['cloudwatchLogs.region: must be an AWS region such as eu-west-1, got "moon"']);
    const many = Array.from({ length: 80 }, (_, i) => ({ name: `/aws/lambda/a-rather-long-function-name-${i}`, format: 'cwlogs' }));
    expect(problems({ logGroups: many })[0]).toContain('as a log-group map, more than the 3072');
  });

  it('turns a prefix or a glob into the ARN pattern of the invoke permission', () => {
    expect(logGroupArnPattern({ match: 'prefix', text: '/aws/vpc/' }, 'aws', 'eu-west-1', '111111111111')).toBe('arn:aws:logs:eu-west-1:111111111111:log-group:/aws/vpc/*:*');
    expect(logGroupArnPattern({ match: 'pattern', text: '/aws/rds/**/error' }, 'aws', 'eu-west-1', '111111111111')).toBe('arn:aws:logs:eu-west-1:111111111111:log-group:/aws/rds/*/error:*');
  });
});
