/**
 * The RDS log exporter: the Lambda that, on a schedule, downloads the new portions of the log
 * files of configured DB instances into the central bucket and hands each object to the worker
 * through the replay queue (`functions/rds-export/handler.ts`, docs/rds-export.md). Created only
 * when the configuration has an `rdsExport` section.
 *
 * Its role holds exactly what the exporter does: `rds:DescribeDBLogFiles` and
 * `rds:DownloadDBLogFilePortion` on the configured instances, on the central bucket what
 * `schema/lake-layout.ts` lists for `rdsExport` (under `raw/` narrowed to `raw/rds/`), send to the
 * replay queue. The worker role gains the read of `raw/rds/`, the objects it is sent.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { RDS_EXPORT_ENV, RDS_EXPORT_METRICS } from '../functions/rds-export/env-names.js';
import { lakeAreas, LAKE_PREFIXES, RDS_RAW_PREFIX, type LakeAccess } from '../schema/lake-layout.js';
import type { RdsExportConfig, WorkerConfig } from './config.js';
import { acknowledgeWildcardResources } from './nag.js';
import { bundledCode, functionLogsAndRole, LAKE_ACCESS_ACTIONS, WORKER_RUNTIME } from './worker.js';

/** The exporter's entry point, bundled by esbuild unless `code` is given. */
export const RDS_EXPORT_ENTRY = fileURLToPath(new URL('../functions/rds-export/handler.ts', import.meta.url));

/** Objects of up to 8 MiB are gathered in memory and gzipped. */
export const RDS_EXPORT_MEMORY_MIB = 512;
/** A run stops downloading this long before its deadline: the last object, the state and the messages fit in it. */
export const RDS_EXPORT_DEADLINE_MARGIN_SECONDS = 30;

/**
 * The function timeout: a minute shorter than the schedule (so a run ends before the next one
 * starts), at most Lambda's 15 minutes. A long first run (RDS keeps days of logs) continues
 * in the next ones.
 */
export function rdsExportTimeoutSeconds(scheduleMinutes: number): number {
  return Math.min(900, scheduleMinutes * 60 - 60);
}

/** The input the schedule sends; the function does not read it, it names what invoked it in the logs. */
export const RDS_EXPORT_EVENT = { loglake: 'rds-export', v: 1 } as const;

/** Properties of {@link RdsLogExport}. */
export interface RdsLogExportProps {
  /** Deployment name, the Powertools service name (the `service` metric dimension). */
  readonly name: string;
  /** Log level and log retention, as for the worker. */
  readonly worker: Pick<WorkerConfig, 'logLevel' | 'logRetentionDays'>;
  readonly config: RdsExportConfig;
  readonly lakeBucket: s3.IBucket;
  /** Customer key of the central bucket and queues, when there is one. */
  readonly lakeKey?: kms.IKey;
  /** Where the replay messages go: the worker's replay queue. */
  readonly replayQueue: sqs.IQueue;
  /** The worker's role, which must read what the exporter writes. */
  readonly workerRole: iam.IRole;
  /**
   * Code of the function. @default esbuild bundle of `functions/rds-export/handler.ts`
   *
   * Tests pass inline code: bundling is slow.
   */
  readonly code?: lambda.Code;
}

/** The exporter's function, its schedule and its role. */
export class RdsLogExport extends Construct {
  readonly function: lambda.IFunction;
  readonly role: iam.IRole;
  readonly schedule: events.Rule;

  constructor(scope: Construct, id: string, props: RdsLogExportProps) {
    super(scope, id);
    if (props.code === undefined && !existsSync(RDS_EXPORT_ENTRY)) {
      throw new Error(`RDS export entry ${RDS_EXPORT_ENTRY} does not exist; write functions/rds-export/handler.ts or pass code`);
    }
    const { config } = props;
    const stack = Stack.of(this);

    const { logGroup, role } = functionLogsAndRole(this, props.worker.logRetentionDays, 'loglake RDS log exporter: read the log files of the configured DB instances, write raw/rds/ and its state, enqueue replays');
    this.role = role;

    const fn = new NodejsFunction(this, 'Function', {
      description: 'loglake RDS log exporter: new portions of RDS log files into the central bucket, for the worker',
      runtime: WORKER_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: RDS_EXPORT_MEMORY_MIB,
      timeout: Duration.seconds(rdsExportTimeoutSeconds(config.scheduleMinutes)),
      role,
      logGroup,
      environment: {
        [RDS_EXPORT_ENV.lakeBucket]: props.lakeBucket.bucketName,
        [RDS_EXPORT_ENV.replayQueueUrl]: props.replayQueue.queueUrl,
        [RDS_EXPORT_ENV.instances]: JSON.stringify(config.instances),
        [RDS_EXPORT_ENV.account]: stack.account,
        [RDS_EXPORT_ENV.region]: stack.region,
        [RDS_EXPORT_ENV.deadlineMarginMs]: String(RDS_EXPORT_DEADLINE_MARGIN_SECONDS * 1000),
        POWERTOOLS_SERVICE_NAME: props.name,
        POWERTOOLS_METRICS_NAMESPACE: RDS_EXPORT_METRICS.namespace,
        POWERTOOLS_LOG_LEVEL: props.worker.logLevel,
        NODE_OPTIONS: '--enable-source-maps',
      },
      ...bundledCode(RDS_EXPORT_ENTRY, props.code),
    });
    this.function = fn;
    // A failed run is not retried: the next scheduled run does its work, and a retry could run beside it.
    fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(config.scheduleMinutes) });

    this.schedule = new events.Rule(this, 'Schedule', {
      description: `loglake: export new RDS log portions of ${config.instances.length} DB instance(s) every ${config.scheduleMinutes} minutes`,
      schedule: events.Schedule.rate(Duration.minutes(config.scheduleMinutes)),
      targets: [
        new targets.LambdaFunction(fn, {
          event: events.RuleTargetInput.fromObject(RDS_EXPORT_EVENT),
          // A run older than the next one is worth nothing: the next does its work.
          maxEventAge: Duration.minutes(config.scheduleMinutes),
          retryAttempts: 2,
        }),
      ],
    });

    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadInstanceLogs',
        actions: ['rds:DescribeDBLogFiles', 'rds:DownloadDBLogFilePortion'],
        resources: config.instances.map((i) => stack.formatArn({ service: 'rds', resource: 'db', resourceName: i.identifier, arnFormat: ArnFormat.COLON_RESOURCE_NAME })),
      }),
    );
    // Not grantSendMessages: with a customer key it adds kms:ReEncrypt* and kms:GenerateDataKey*,
    // and the key grant below covers what sending under that key needs.
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'SendReplays', actions: ['sqs:SendMessage'], resources: [props.replayQueue.queueArn] }));
    this.grantLake(role, props);
    this.grantWorkerRead(props);
  }

  /** On the central bucket, exactly the `rdsExport` accesses of the lake layout, `raw/` narrowed to `raw/rds/`. */
  private grantLake(role: iam.Role, props: RdsLogExportProps): void {
    const bucket = props.lakeBucket;
    const areas = lakeAreas(false, true);
    const prefixOf = (prefix: string): string => (prefix === LAKE_PREFIXES.raw ? RDS_RAW_PREFIX : prefix);
    const objectArns: string[] = [];
    for (const access of Object.keys(LAKE_ACCESS_ACTIONS) as Array<Exclude<LakeAccess, 'list'>>) {
      const prefixes = areas.filter((a) => a.rdsExport.includes(access)).map((a) => prefixOf(a.prefix));
      if (prefixes.length === 0) continue;
      const resources = prefixes.map((p) => bucket.arnForObjects(`${p}*`));
      objectArns.push(...resources);
      role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: `Lake${access[0]?.toUpperCase()}${access.slice(1)}`, actions: [...LAKE_ACCESS_ACTIONS[access]], resources }));
    }
    if (areas.some((a) => a.rdsExport.includes('list'))) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ListLake', actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    }
    props.lakeKey?.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
    acknowledgeWildcardResources(
      role,
      objectArns,
      'object access is scoped to one prefix of the central bucket (schema/lake-layout.ts, rdsExport accesses; raw/ narrowed to raw/rds/) and only the actions the exporter performs there; the * is the object keys under it',
    );
  }

  /** The worker reads what the exporter writes (it already decrypts with the lake key). */
  private grantWorkerRead(props: RdsLogExportProps): void {
    const arn = props.lakeBucket.arnForObjects(`${RDS_RAW_PREFIX}*`);
    props.workerRole.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadRdsExports', actions: ['s3:GetObject'], resources: [arn] }));
    acknowledgeWildcardResources(props.workerRole, [arn], 'the worker reads the RDS log portions the exporter writes, under raw/rds/ of the central bucket only; the * is the object keys under it');
  }
}
