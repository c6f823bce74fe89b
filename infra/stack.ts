/**
 * The loglake stack and the app around it: the pipeline stages wired together from one
 * validated configuration.
 *
 * One stack, because every stage references the others and cross-stack references would pin
 * them; the stateful stages (`Storage`, `Queues`, `Catalog`) are separate constructs from the
 * ones that run code, with stable ids, so redeploying a function never replaces data.
 */
import { App, Annotations, CfnOutput, Stack, Tags, Validations, type StackProps } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { SOURCES, type Source } from '../schema/index.js';
import { lakeAreas } from '../schema/lake-layout.js';
import { LakeCatalog } from './catalog.js';
import { loadConfig, sourceOfFormat, type LoglakeConfig } from './config.js';
import { CwlogsIntake, logGroupMapJson } from './cwlogs.js';
import { CwlogsFirehose } from './cwlogs-firehose.js';
import { PipelineMonitoring } from './monitoring.js';
import { SourceNotifications } from './notifications.js';
import { IngestQueues, visibilityTimeoutFor } from './queues.js';
import { RdsLogExport } from './rds-export.js';
import { LakeReaders } from './readers.js';
import { ReplayJob } from './replay.js';
import { sourceAccounts } from './source-plan.js';
import { LoglakeSourceStack, LoglakeSourceStackSet, sourceStackId, stackSetId } from './source-stack.js';
import { LakeStorage } from './storage.js';
import { workerIntegrity } from './integrity.js';
import { IngestWorker } from './worker.js';

/** Properties of {@link LoglakeStack}. */
export interface LoglakeStackProps extends StackProps {
  readonly config: LoglakeConfig;
  /** Worker code; @default the esbuild bundle of `functions/ingest/handler.ts` */
  readonly workerCode?: lambda.Code;
  /** Replay function code; @default the esbuild bundle of `functions/replay/handler.ts` */
  readonly replayCode?: lambda.Code;
  /** RDS log exporter code; @default the esbuild bundle of `functions/rds-export/handler.ts` */
  readonly rdsExportCode?: lambda.Code;
  /** CloudWatch Logs intake code; @default the esbuild bundle of `functions/cwlogs/handler.ts` */
  readonly cwlogsCode?: lambda.Code;
}

/**
 * Sources whose rejected-line rate is alarmed on: those of the pinned formats (a parser id
 * counts as its source, the `source` dimension the worker emits), or all when one is `auto`.
 */
export function alarmedSources(config: LoglakeConfig): Source[] {
  const pinned = config.sources.map((s) => sourceOfFormat(s.format));
  if (pinned.includes(null)) return [...SOURCES];
  return SOURCES.filter((name) => pinned.includes(name));
}

/** The whole pipeline of one deployment. */
export class LoglakeStack extends Stack {
  readonly storage: LakeStorage;
  readonly queues: IngestQueues;
  readonly catalog: LakeCatalog;
  /** The analysts' managed policy and the optional Lake Formation grants. */
  readonly readers: LakeReaders;
  readonly worker: IngestWorker;
  readonly replay: ReplayJob;
  /** The RDS log exporter, when the configuration has an `rdsExport` section. */
  readonly rdsExport: RdsLogExport | null;
  /** The CloudWatch Logs intake, when the configuration has a `cloudwatchLogs` section. */
  readonly cwlogs: CwlogsIntake | null;
  /** The Firehose stream (and destination) of the CloudWatch Logs intake, when `cloudwatchLogs.firehose` is configured. */
  readonly cwlogsFirehose: CwlogsFirehose | null;
  readonly monitoring: PipelineMonitoring;

  constructor(scope: Construct, id: string, props: LoglakeStackProps) {
    super(scope, id, props);
    const { config } = props;
    const { lake, worker } = config;

    this.storage = new LakeStorage(this, 'Storage', { name: config.name, lake, resultRetentionDays: config.athena.resultRetentionDays, rdsExport: config.rdsExport !== null, cwlogsFirehose: (config.cloudwatchLogs?.firehose ?? null) !== null });
    this.queues = new IngestQueues(this, 'Queues', {
      visibilityTimeout: visibilityTimeoutFor(worker.timeoutSeconds, worker.batchWindowSeconds),
      maxReceiveCount: worker.maxReceiveCount,
      encryptionKey: this.storage.key,
    });
    this.catalog = new LakeCatalog(this, 'Catalog', {
      databaseName: config.athena.databaseName,
      workgroupName: config.athena.workgroupName,
      lakeBucket: this.storage.bucket,
      resultsBucket: this.storage.queryResults,
      encryptionKey: this.storage.key,
      maxScannedMiBPerQuery: config.athena.maxScannedMiBPerQuery,
      partitionsFrom: lake.partitionsFrom,
    });
    this.readers = new LakeReaders(this, 'Readers', {
      name: config.name,
      databaseName: config.athena.databaseName,
      workgroupName: config.athena.workgroupName,
      lakeBucket: this.storage.bucket,
      resultsBucket: this.storage.queryResults,
      key: this.storage.key,
      lakeFormationPrincipals: config.athena.lakeFormation?.principals ?? null,
      catalog: this.catalog,
    });
    this.worker = new IngestWorker(this, 'Worker', {
      name: config.name,
      worker,
      sources: config.sources,
      lakeBucket: this.storage.bucket,
      lakeKey: this.storage.key,
      ingestQueue: this.queues.ingest,
      replayQueue: this.queues.replay,
      archiveRaw: lake.archiveRaw,
      keepRaw: lake.keepRaw,
      keepSelfTraffic: lake.keepSelfTraffic,
      // Firehose objects of subscription payloads are split by the same log-group map.
      logGroups: config.cloudwatchLogs !== null ? logGroupMapJson(config.cloudwatchLogs, this.region) : undefined,
      code: props.workerCode,
    });
    this.replay = new ReplayJob(this, 'ReplayJob', {
      name: config.name,
      worker,
      sources: config.sources,
      lakeBucket: this.storage.bucket,
      lakeKey: this.storage.key,
      replayQueue: this.queues.replay,
      archiveRaw: lake.archiveRaw,
      code: props.replayCode,
    });
    this.rdsExport =
      config.rdsExport === null
        ? null
        : new RdsLogExport(this, 'RdsExport', {
            name: config.name,
            worker,
            config: config.rdsExport,
            lakeBucket: this.storage.bucket,
            lakeKey: this.storage.key,
            replayQueue: this.queues.replay,
            workerRole: this.worker.role,
            code: props.rdsExportCode,
          });
    this.cwlogs =
      config.cloudwatchLogs === null
        ? null
        : new CwlogsIntake(this, 'CloudWatchLogs', {
            name: config.name,
            worker,
            config: config.cloudwatchLogs,
            lakeBucket: this.storage.bucket,
            lakeKey: this.storage.key,
            keepRaw: lake.keepRaw,
            keepSelfTraffic: lake.keepSelfTraffic,
            code: props.cwlogsCode,
          });
    const cwlogsConfig = config.cloudwatchLogs;
    this.cwlogsFirehose =
      cwlogsConfig === null || cwlogsConfig.firehose === null
        ? null
        : new CwlogsFirehose(this, 'CloudWatchLogsFirehose', {
            name: config.name,
            config: { ...cwlogsConfig, firehose: cwlogsConfig.firehose },
            lakeBucket: this.storage.bucket,
            lakeKey: this.storage.key,
            ingestQueue: this.queues.ingest,
            workerRole: this.worker.role,
            logRetentionDays: worker.logRetentionDays,
          });
    new SourceNotifications(this, 'Notifications', {
      name: config.name,
      sources: config.sources,
      ingestQueue: this.queues.ingest,
      ingestDlq: this.queues.ingestDlq,
    });
    this.monitoring = new PipelineMonitoring(this, 'Monitoring', {
      name: config.name,
      alarms: config.alarms,
      encryptionKey: this.storage.key,
      ingestQueue: this.queues.ingest,
      ingestDlq: this.queues.ingestDlq,
      replayQueue: this.queues.replay,
      replayDlq: this.queues.replayDlq,
      worker: this.worker.function,
      replay: { function: this.replay.function, controlDlq: this.replay.controlDlq },
      ...(this.rdsExport !== null && config.rdsExport !== null ? { rdsExport: { function: this.rdsExport.function, scheduleMinutes: config.rdsExport.scheduleMinutes } } : {}),
      ...(this.cwlogs !== null ? { cwlogs: { function: this.cwlogs.function, deadLetterQueue: this.cwlogs.deadLetterQueue } } : {}),
      ...(this.cwlogsFirehose !== null && cwlogsConfig?.firehose ? { cwlogsFirehose: { freshness: this.cwlogsFirehose.freshness, bufferSeconds: cwlogsConfig.firehose.bufferSeconds } } : {}),
      sources: alarmedSources(config),
    });
    // CloudTrail digests are checked by the worker, findings published to the ops topic.
    workerIntegrity(this.worker, this.monitoring.topic, config.integrity);

    for (const [key, value] of Object.entries(config.tags)) Tags.of(this).add(key, value);

    const output = (id: string, value: string, description: string): void => {
      new CfnOutput(this, id, { value, description });
    };
    output('LakeBucketName', this.storage.bucket.bucketName, `central bucket: ${lakeAreas(lake.archiveRaw, config.rdsExport !== null).map((a) => a.prefix).join(', ')}`);
    output('IngestQueueArn', this.queues.ingest.queueArn, 'point S3 notifications of buckets in other accounts here');
    output('ReplayQueueUrl', this.queues.replay.queueUrl, 'loglake replay sends here');
    output('ReplayControlQueueUrl', this.replay.controlQueue.queueUrl, 'requests to the replay job (replay-start, replay-continue, replay-poll)');
    output('ReplayFunctionName', this.replay.function.functionName, 'the replay job, to invoke with a replay request');
    // loglake dlq and loglake redrive find the dead-letter queues here.
    output('IngestDeadLetterQueueUrl', this.queues.ingestDlq.queueUrl, 'notifications the worker failed on every receive; loglake dlq summarizes, loglake redrive moves them back');
    output('ReplayDeadLetterQueueUrl', this.queues.replayDlq.queueUrl, 'replay and continuation messages the worker failed on every receive; loglake redrive --queue replay moves them back');
    output('ReplayControlDeadLetterQueueUrl', this.replay.controlDlq.queueUrl, 'replay job requests that failed on every receive; loglake redrive --queue replay-control moves them back');
    output('ReplayRoleArn', this.replay.role.roleArn, 'grant this role s3:ListBucket (for the configured prefixes) in the bucket policy of buckets in other accounts');
    output('WorkerRoleArn', this.worker.role.roleArn, 'grant this role s3:GetObject in the bucket policy of buckets in other accounts');
    output('AthenaWorkgroup', this.catalog.workgroupName, 'run queries in this workgroup');
    output('GlueDatabase', this.catalog.databaseName, 'tables events and errors');
    output('AnalystPolicyArn', this.readers.policy.managedPolicyArn, 'attach to the roles of people who query the lake: the Athena workgroup, the Glue tables, read on lake/, errors/, manifests/ and replays/');
    if (this.rdsExport !== null) {
      output('RdsExportFunctionName', this.rdsExport.function.functionName, 'the RDS log exporter, run by its schedule (invoke it to run now)');
      output('RdsExportRoleArn', this.rdsExport.role.roleArn, 'the RDS log exporter role: rds:DescribeDBLogFiles and rds:DownloadDBLogFilePortion on the configured instances');
    }
    if (this.cwlogs !== null) {
      output('CloudWatchLogsFunctionArn', this.cwlogs.function.functionArn, 'the CloudWatch Logs intake: the destination of subscription filters of this account and region (the stack subscribes the configured log group names; subscribe groups of the configured prefixes and patterns to it)');
      output('CloudWatchLogsDeadLetterQueueUrl', this.cwlogs.deadLetterQueue.queueUrl, 'subscription payloads the intake could not write after every retry, to inspect and redrive');
      if (this.cwlogsFirehose !== null) {
        output('CloudWatchLogsFirehoseStreamName', this.cwlogsFirehose.stream.ref, 'the Firehose stream of CloudWatch Logs payloads, writing raw/cwlogs/ of the central bucket');
        output('CloudWatchLogsSubscriptionRoleArn', this.cwlogsFirehose.logsRole.roleArn, 'the role to pass (--role-arn) when subscribing a log group of this account to the Firehose stream');
      }
      if (this.cwlogsFirehose !== null && this.cwlogsFirehose.destinationArn !== null) {
        output(
          'CloudWatchLogsDestinationArn',
          this.cwlogsFirehose.destinationArn,
          `log groups of the configured accounts subscribe here, in this region: aws logs put-subscription-filter --log-group-name <group> --filter-name loglake-${config.name} --filter-pattern "" --destination-arn <this ARN>`,
        );
      } else if (this.cwlogs.otherAccounts.length > 0) {
        output(
          'CloudWatchLogsOtherAccounts',
          this.cwlogs.otherAccounts.map((g) => `${g.account}:${g.text}`).join(' '),
          'log groups of other accounts: not subscribed (a Lambda function cannot be a cross-account destination); deliver them through Firehose into a source bucket (docs/cwlogs.md)',
        );
      }
    }
    output('OpsTopicArn', this.monitoring.topic.topicArn, 'alarms publish here');
    output('DashboardName', this.monitoring.dashboard.dashboardName, 'CloudWatch dashboard of the pipeline');
  }
}

/** Options of {@link createApp}; the defaults are what `cdk synth` uses. */
export interface CreateAppOptions {
  /** Context (feature flags, `loglake`, `loglakeConfig`); the CLI passes `cdk.json` context itself. @default {} */
  readonly context?: Record<string, unknown>;
  /** Where `loglake.config.json` is looked for. @default process.cwd() */
  readonly dir?: string;
  readonly workerCode?: lambda.Code;
  readonly replayCode?: lambda.Code;
  readonly rdsExportCode?: lambda.Code;
  readonly cwlogsCode?: lambda.Code;
  readonly outdir?: string;
}

/** What {@link createApp} builds. */
export interface LoglakeApp {
  readonly app: App;
  readonly stack: LoglakeStack;
  /** One stack per source account (infra/source-stack.ts), when the configuration pins the central account and region. */
  readonly sourceStacks: readonly LoglakeSourceStack[];
  /** The StackSet template of every source account, when there is one. */
  readonly stackSet: LoglakeSourceStackSet | null;
}

/**
 * The app: configuration, the central stack, the source-account stacks and their StackSet
 * template, and the cdk-nag `AwsSolutions` checks, which fail synthesis on any finding.
 */
export function createApp(options: CreateAppOptions = {}): LoglakeApp {
  const app = new App({ context: options.context, outdir: options.outdir });
  const { config, origin, isExample } = loadConfig((key) => app.node.tryGetContext(key) as unknown, options.dir ?? process.cwd());
  const stack = new LoglakeStack(app, config.name, {
    stackName: config.name,
    description: `loglake ${config.name}: AWS logs into one Parquet schema, queryable with Athena`,
    env: config.account !== null || config.region !== null ? { account: config.account ?? undefined, region: config.region ?? undefined } : undefined,
    config,
    workerCode: options.workerCode,
    replayCode: options.replayCode,
    rdsExportCode: options.rdsExportCode,
    cwlogsCode: options.cwlogsCode,
  });
  if (isExample) {
    Annotations.of(stack).addWarningV2(
      'loglake:exampleConfiguration',
      `no loglake.config.json found: synthesized ${origin} with placeholder buckets; copy it to loglake.config.json and edit it before deploying`,
    );
  }
  const accounts = sourceAccounts(config);
  const pinned = config.account !== null && config.region !== null;
  const sourceStacks = pinned
    ? accounts.map(
        (account) =>
          new LoglakeSourceStack(app, sourceStackId(config.name, account), {
            stackName: sourceStackId(config.name, account),
            description: `loglake ${config.name}: notifications and reader roles of the log buckets of account ${account}`,
            config,
            account,
          }),
      )
    : [];
  const stackSet =
    accounts.length > 0
      ? new LoglakeSourceStackSet(app, stackSetId(config.name), {
          description: `loglake ${config.name}: StackSet template of the source accounts (${accounts.join(', ')})`,
          config,
        })
      : null;
  if (accounts.length > 0 && !pinned) {
    Annotations.of(stack).addWarningV2(
      'loglake:sourceStacks',
      `sources in accounts ${accounts.join(', ')}: set "account" and "region" to synthesize a stack per source account (${sourceStackId(config.name, '<account>')}); the StackSet template ${stackSetId(config.name)} takes the central account as a parameter`,
    );
  }
  for (const s of [...sourceStacks, ...(stackSet ? [stackSet] : [])]) for (const [key, value] of Object.entries(config.tags)) Tags.of(s).add(key, value);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }));
  return { app, stack, sourceStacks, stackSet };
}
