/**
 * The CloudWatch Logs intake: the Lambda that CloudWatch Logs subscription filters invoke with
 * their payloads (`functions/cwlogs/handler.ts`, docs/cwlogs.md), the filters the stack creates
 * for the log groups of the deployment account, and the dead-letter queue of its asynchronous
 * invocations. Created only when the configuration has a `cloudwatchLogs` section.
 *
 * CloudWatch Logs invokes the function asynchronously: a failed invocation is retried by Lambda
 * twice (with a minute, then two, between), a throttled one for up to six hours, and then goes
 * to the dead-letter queue with its payload, which an alarm watches. A retried payload writes
 * the same names, so it replaces, never duplicates.
 *
 * Its role holds exactly what the function does: on the central bucket what
 * `schema/lake-layout.ts` lists for `cwlogs` under each prefix, and its own log group. Invoking
 * it is allowed to `logs.amazonaws.com` for the configured log groups of the deployment account
 * only (an exact name, or the ARN pattern of a configured prefix or glob). A Lambda function
 * cannot receive a cross-account subscription (CloudWatch Logs destinations front Kinesis Data
 * Streams and Firehose only): log groups of other accounts come through a Firehose stream into a
 * source bucket, whose objects the worker splits by the same map.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Annotations, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as destinations from 'aws-cdk-lib/aws-logs-destinations';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CWLOGS_ENV, CWLOGS_METRICS } from '../functions/cwlogs/env-names.js';
import { logGroupMapOf, type CloudWatchLogsConfig, type LogGroupSetting, type WorkerConfig } from './config.js';
import { acknowledgeWildcardResources } from './nag.js';
import { QUEUE_RETENTION } from './queues.js';
import { bundledCode, functionLogsAndRole, lakeListed, lakeObjectGrants, WORKER_RUNTIME } from './worker.js';

/** The intake function's entry point, bundled by esbuild unless `code` is given. */
export const CWLOGS_ENTRY = fileURLToPath(new URL('../functions/cwlogs/handler.ts', import.meta.url));

/** Retries of a failed asynchronous invocation (Lambda's maximum), and how long an event may wait for them. */
export const CWLOGS_RETRY_ATTEMPTS = 2;
export const CWLOGS_MAX_EVENT_AGE = Duration.hours(6);

/** Properties of {@link CwlogsIntake}. */
export interface CwlogsIntakeProps {
  /** Deployment name, the Powertools service name (the `service` metric dimension). */
  readonly name: string;
  /** Log level and log retention, as for the worker. */
  readonly worker: Pick<WorkerConfig, 'logLevel' | 'logRetentionDays'>;
  readonly config: CloudWatchLogsConfig;
  readonly lakeBucket: s3.IBucket;
  /** Customer key of the central bucket and queues, when there is one. */
  readonly lakeKey?: kms.IKey;
  readonly keepRaw: boolean;
  readonly keepSelfTraffic: boolean;
  /**
   * Code of the function. @default esbuild bundle of `functions/cwlogs/handler.ts`
   *
   * Tests pass inline code: bundling is slow.
   */
  readonly code?: lambda.Code;
}

/**
 * The log-group map the functions read (`LOGLAKE_LOG_GROUPS`), as JSON; undefined when no setting
 * names a format and no region is known. `firehoseRegion` is the region of the stack's own
 * Firehose stream, whose objects come only from log groups of that region (a subscription
 * delivers within its region): the map's region when the configuration gives none.
 */
export function logGroupMapJson(config: CloudWatchLogsConfig, firehoseRegion: string | null = null): string | undefined {
  const map = logGroupMapOf(config.logGroups, config.region ?? (config.firehose !== null ? firehoseRegion : null));
  return map === null ? undefined : JSON.stringify(map);
}

/** The ARN pattern (`ArnLike`) of the log groups a prefix or glob setting matches, for the invoke permission. */
export function logGroupArnPattern(setting: Pick<LogGroupSetting, 'match' | 'text'>, partition: string, region: string, account: string): string {
  const groups = setting.match === 'prefix' ? `${setting.text}*` : setting.match === 'pattern' ? setting.text.replace(/\*\*/g, '*') : setting.text;
  return `arn:${partition}:logs:${region}:${account}:log-group:${groups}:*`;
}

const shortHash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 8);
const idOf = (text: string): string => text.replace(/[^A-Za-z0-9]/g, '-').replace(/^-+/, '').slice(0, 60);

/** The intake function, its subscriptions, its dead-letter queue and its role. */
export class CwlogsIntake extends Construct {
  readonly function: lambda.IFunction;
  readonly role: iam.IRole;
  /** Invocations that failed every retry, with their payloads. */
  readonly deadLetterQueue: sqs.IQueue;
  /** The subscription filters the stack created (log groups of the deployment account named exactly). */
  readonly subscriptions: readonly logs.SubscriptionFilter[];
  /** Settings of log groups in other accounts: routed by the map, not subscribed (see the class comment). */
  readonly otherAccounts: readonly LogGroupSetting[];

  constructor(scope: Construct, id: string, props: CwlogsIntakeProps) {
    super(scope, id);
    const { config } = props;
    if (props.code === undefined && !existsSync(CWLOGS_ENTRY)) {
      throw new Error(`CloudWatch Logs intake entry ${CWLOGS_ENTRY} does not exist; write functions/cwlogs/handler.ts or pass code`);
    }
    const stack = Stack.of(this);

    const { logGroup, role } = functionLogsAndRole(this, props.worker.logRetentionDays, 'loglake CloudWatch Logs intake: write the events of subscription payloads to the lake prefixes');
    this.role = role;

    const dlq = new sqs.Queue(this, 'DeadLetters', {
      ...(props.lakeKey ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: props.lakeKey } : { encryption: sqs.QueueEncryption.SQS_MANAGED }),
      enforceSSL: true,
      retentionPeriod: QUEUE_RETENTION,
    });
    this.deadLetterQueue = dlq;

    const environment: Record<string, string> = {
      [CWLOGS_ENV.lakeBucket]: props.lakeBucket.bucketName,
      [CWLOGS_ENV.keepRaw]: String(props.keepRaw),
      [CWLOGS_ENV.keepSelfTraffic]: String(props.keepSelfTraffic),
      POWERTOOLS_SERVICE_NAME: props.name,
      POWERTOOLS_METRICS_NAMESPACE: CWLOGS_METRICS.namespace,
      POWERTOOLS_LOG_LEVEL: props.worker.logLevel,
      NODE_OPTIONS: '--enable-source-maps',
    };
    const map = logGroupMapJson(config);
    if (map !== undefined) environment[CWLOGS_ENV.logGroups] = map;

    const fn = new NodejsFunction(this, 'Function', {
      description: 'loglake CloudWatch Logs intake: subscription payloads to Parquet in the central bucket',
      runtime: WORKER_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: config.memoryMiB,
      timeout: Duration.seconds(config.timeoutSeconds),
      reservedConcurrentExecutions: config.reservedConcurrency ?? undefined,
      role,
      logGroup,
      environment,
      deadLetterQueue: dlq,
      retryAttempts: CWLOGS_RETRY_ATTEMPTS,
      maxEventAge: CWLOGS_MAX_EVENT_AGE,
      ...bundledCode(CWLOGS_ENTRY, props.code),
    });
    this.function = fn;

    this.grantLake(role, props);

    // Named groups the Firehose stream subscribes are not subscribed here too (a group has at most two filters, and one name).
    const viaFirehose = config.firehose?.subscribeOwnGroups === true;
    const own = config.logGroups.filter((g) => g.account === null && !(viaFirehose && g.match === 'name'));
    this.otherAccounts = config.logGroups.filter((g) => g.account !== null);
    const subscriptions: logs.SubscriptionFilter[] = [];
    const destination = new destinations.LambdaDestination(fn);
    for (const g of own) {
      const key = `${g.match}-${idOf(g.text)}-${shortHash(`${g.match}\n${g.text}`)}`;
      if (g.match === 'name') {
        const group = logs.LogGroup.fromLogGroupName(this, `Group-${key}`, g.text);
        subscriptions.push(
          new logs.SubscriptionFilter(this, `Subscription-${key}`, {
            logGroup: group,
            destination,
            filterPattern: logs.FilterPattern.literal(config.filterPattern),
            filterName: `loglake-${props.name}`,
          }),
        );
      } else {
        // A prefix or glob names no single group to subscribe: the permission lets the groups it
        // matches be subscribed (by hand, or by an account-level subscription policy).
        fn.addPermission(`Invoke-${key}`, {
          principal: new iam.ServicePrincipal('logs.amazonaws.com'),
          action: 'lambda:InvokeFunction',
          sourceArn: logGroupArnPattern(g, stack.partition, stack.region, stack.account),
          sourceAccount: stack.account,
        });
      }
    }
    this.subscriptions = subscriptions;
    if (this.otherAccounts.length > 0 && config.firehose === null) {
      Annotations.of(this).addWarningV2(
        'loglake:cwlogsCrossAccount',
        `${this.otherAccounts.length} log group setting(s) of other accounts are routed by the log-group map but not subscribed: a Lambda function cannot be a cross-account subscription destination; add cloudwatchLogs.firehose for a destination and Firehose stream, or deliver them through your own Firehose into a source bucket (docs/cwlogs.md)`,
      );
    }
  }

  /** On the central bucket, exactly the `cwlogs` accesses of the lake layout, each on its own prefixes. */
  private grantLake(role: iam.Role, props: CwlogsIntakeProps): void {
    const bucket = props.lakeBucket;
    const objectArns: string[] = [];
    for (const grant of lakeObjectGrants(false, 'cwlogs')) {
      const resources = grant.prefixes.map((p) => bucket.arnForObjects(`${p}*`));
      objectArns.push(...resources);
      role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: grant.sid, actions: [...grant.actions], resources }));
    }
    if (lakeListed(false, 'cwlogs')) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ListLake', actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    }
    props.lakeKey?.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
    acknowledgeWildcardResources(
      role,
      objectArns,
      'object access is scoped to one top-level prefix of the central bucket (schema/lake-layout.ts, cwlogs accesses) and only the actions the intake performs there; the * is the object keys under it',
    );
  }
}
