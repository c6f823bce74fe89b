import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Token, Validations, type App, type CfnResource } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, NagRuleCompliance, type IApplyRule } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../infra/stack.js';
import { CDK_CONTEXT, FULL, INLINE_CODE, MINIMAL, REPO, synth, type Synth, SYNTH_TIMEOUT_MS } from './synth.js';

/** AwsSolutions checks that also record every finding, acknowledged or not. */
class RecordingChecks extends AwsSolutionsChecks {
  readonly findings: Array<{ path: string; rule: string }> = [];

  protected override applyRule(params: IApplyRule): void {
    const id = `${this.readPackName}-${params.ruleSuffixOverride ?? params.rule.name}`;
    const record = (node: CfnResource): ReturnType<IApplyRule['rule']> => {
      const result = params.rule(node);
      if (result === NagRuleCompliance.NON_COMPLIANT) this.findings.push({ path: node.node.path, rule: id });
      else if (Array.isArray(result)) for (const f of result) this.findings.push({ path: node.node.path, rule: `${id}[${f}]` });
      return result;
    };
    Object.defineProperty(record, 'name', { value: params.rule.name });
    super.applyRule({ ...params, rule: record });
  }
}

/** Every acknowledgement recorded in the construct tree: where, which rule, why. */
function acknowledgements(app: App): Array<{ path: string; rule: string; reason: string }> {
  return app.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([rule, reason]) => ({ path: c.node.path, rule: rule.replace(/^annotation::/i, ''), reason })),
      ),
  );
}

const appFor = (config: unknown): App =>
  createApp({ context: { ...CDK_CONTEXT, loglake: config }, workerCode: INLINE_CODE, replayCode: INLINE_CODE, outdir: mkdtempSync(join(tmpdir(), 'loglake-cdk-')) }).app;

const example = (file: string): unknown => JSON.parse(readFileSync(new URL(file, REPO), 'utf8'));

describe('cdk-nag AwsSolutions', () => {
  const cases: Array<[string, () => unknown]> = [
    ['the minimal configuration', () => MINIMAL],
    ['every option', () => FULL],
    ['poll sources (schedules invoking the replay job)', () => ({ sources: [{ bucket: 'acme-legacy', prefixes: ['app/'], notification: 'poll' }, { bucket: 'acme-whole', notification: 'poll', pollMinutes: 60 }], lake: { kms: true } })],
    ['loglake.config.example.json', () => example('loglake.config.example.json')],
    ['loglake.config.multi-account.example.json', () => example('loglake.config.multi-account.example.json')],
    ['Lake Formation grants with a customer key', () => ({ ...MINIMAL, lake: { kms: true }, athena: { lakeFormation: { principals: ['arn:aws:iam::111111111111:role/analyst'] } } })],
  ];

  for (const [label, config] of cases) {
    describe(label, () => {
      let app: App;
      let checks: RecordingChecks;
      let report: ReturnType<RecordingChecks['validateScope']>;
      beforeAll(() => {
        app = appFor(config());
        checks = new RecordingChecks();
        report = checks.validateScope(app);
      }, SYNTH_TIMEOUT_MS);

      it('leaves no finding unacknowledged', () => {
        expect(report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
        expect(report.success).toBe(true);
      });

      it('gives every acknowledgement a reason of its own', () => {
        const acks = acknowledgements(app);
        expect(acks.length).toBeGreaterThan(0);
        for (const a of acks) expect(a.reason.length, `${a.rule} at ${a.path}`).toBeGreaterThanOrEqual(40);
      });

      it('acknowledges only findings that exist, at or below where the acknowledgement is made', () => {
        const stale = acknowledgements(app).filter(
          (a) => !checks.findings.some((f) => f.rule === a.rule && (f.path === a.path || f.path.startsWith(`${a.path}/`))),
        );
        expect(stale.map((a) => `${a.rule} at ${a.path}`)).toEqual([]);
      });
    });
  }
});

describe('LoglakeStack', () => {
  let s: Synth;
  beforeAll(() => {
    s = synth(MINIMAL);
  }, SYNTH_TIMEOUT_MS);

  it('is environment-agnostic unless the configuration names an account and region', () => {
    expect(Token.isUnresolved(s.stack.account)).toBe(true);
    expect(Token.isUnresolved(s.stack.region)).toBe(true);
    const { stack } = createApp({
      context: { ...CDK_CONTEXT, loglake: { ...MINIMAL, account: '111111111111', region: 'eu-west-1' } },
      workerCode: INLINE_CODE,
      replayCode: INLINE_CODE,
    });
    expect([stack.account, stack.region]).toEqual(['111111111111', 'eu-west-1']);
  });

  it('synthesizes without any context lookup, so no AWS account is needed', () => {
    expect(s.stack.node.root.node.tryGetContext('loglake')).toEqual(MINIMAL);
    const assembly = (s.stack.node.root as App).synth();
    expect(assembly.manifest.missing ?? []).toEqual([]);
  }, SYNTH_TIMEOUT_MS);

  it('outputs what a user needs next: bucket, queue for foreign buckets, worker and replay roles, replay queues and function, workgroup, dashboard', () => {
    const outputs = Object.keys(s.template.toJSON().Outputs as Record<string, unknown>).sort();
    expect(outputs).toEqual(
      [
        'AnalystPolicyArn',
        'AthenaWorkgroup',
        'DashboardName',
        'GlueDatabase',
        'IngestDeadLetterQueueUrl',
        'IngestQueueArn',
        'LakeBucketName',
        'OpsTopicArn',
        'ReplayControlDeadLetterQueueUrl',
        'ReplayControlQueueUrl',
        'ReplayDeadLetterQueueUrl',
        'ReplayFunctionName',
        'ReplayQueueUrl',
        'ReplayRoleArn',
        'WorkerRoleArn',
      ].sort(),
    );
  });

  it('keeps stable construct ids for the stateful resources', () => {
    const paths = [s.stack.storage.bucket, s.stack.queues.ingest, s.stack.queues.ingestDlq, s.stack.queues.replay].map((c) => c.node.path);
    expect(paths).toEqual(['loglake/Storage/Bucket', 'loglake/Queues/Ingest', 'loglake/Queues/IngestDlq', 'loglake/Queues/Replay']);
  });

  it('warns when it had to fall back to the example configuration', () => {
    const dir = mkdtempSync(join(tmpdir(), 'loglake-clone-'));
    copyFileSync(fileURLToPath(new URL('loglake.config.example.json', REPO)), join(dir, 'loglake.config.example.json'));
    const { stack } = createApp({ context: CDK_CONTEXT, dir, workerCode: INLINE_CODE, replayCode: INLINE_CODE });
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('no loglake.config.json found: synthesized .* with placeholder buckets'));
    const { stack: own } = createApp({ context: { ...CDK_CONTEXT, loglake: MINIMAL }, dir, workerCode: INLINE_CODE, replayCode: INLINE_CODE });
    Annotations.fromStack(own).hasNoWarning('*', Match.stringLikeRegexp('no loglake.config.json found'));
  }, SYNTH_TIMEOUT_MS);

  it('stops before synthesis with every configuration problem listed', () => {
    expect(() => createApp({ context: { ...CDK_CONTEXT, loglake: { sources: [{ bucket: 'x' }], worker: { batchSize: 11 } } } })).toThrow(
      /invalid loglake configuration \(context:loglake\):\n {2}- sources\[0\]\.bucket: must be an S3 bucket name.*\n {2}- worker\.batchSize: must be an integer from 1 to 10, got 11/,
    );
  });
});
