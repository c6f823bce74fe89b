/**
 * The replay job: the Lambda that lists a date range of a source bucket and enqueues one replay
 * message per object for the worker (`functions/replay/handler.ts`), its control queue (requests,
 * and the `replay-continue` a run sends itself at its deadline) with a dead-letter queue, and
 * one schedule per `poll` source.
 *
 * Its role holds exactly what the job does: list the configured source buckets under their
 * configured prefixes (it never reads a source object; the worker does), on the central bucket
 * what `schema/lake-layout.ts` lists for `replay` under each prefix, send to the replay queue and
 * to its own control queue.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { REPLAY_ENV, REPLAY_METRICS } from '../functions/replay/env-names.js';
import { centralRoleName, listingCondition } from './central-access.js';
import type { SourceConfig, WorkerConfig } from './config.js';
import { acknowledgeWildcardResources } from './nag.js';
import { grantAssumeSourceRoles, sourceAccessVariable } from './source-access.js';
import { queueWithDlq, visibilityTimeoutFor } from './queues.js';
import { bundledCode, functionLogsAndRole, lakeListed, lakeObjectGrants, WORKER_RUNTIME } from './worker.js';

/** The replay function's entry point, bundled by esbuild unless `code` is given. */
export const REPLAY_ENTRY = fileURLToPath(new URL('../functions/replay/handler.ts', import.meta.url));

/** Lambda's longest timeout: the longer an invocation, the fewer hand-overs a long range needs. */
export const REPLAY_TIMEOUT_SECONDS = 900;
/** A run stops this long before the deadline and continues in a new invocation: one chunk and a record write fit in it. */
export const REPLAY_YIELD_MARGIN_SECONDS = 120;
/** A listing window (a month, by default) is held in memory while it is worked. */
export const REPLAY_MEMORY_MIB = 1024;
/** Concurrent invocations the control queue may start (SQS event sources allow no fewer than 2). */
export const REPLAY_CONTROL_CONCURRENCY = 2;

/** Properties of {@link ReplayJob}. */
export interface ReplayJobProps {
  /** Deployment name, the Powertools service name (the `service` metric dimension). */
  readonly name: string;
  /** Log level, log retention and deliveries before the dead-letter queue, as for the worker. */
  readonly worker: Pick<WorkerConfig, 'logLevel' | 'logRetentionDays' | 'maxReceiveCount'>;
  /** Every configured source: the job may list them all; `poll` ones are polled on their schedule. */
  readonly sources: readonly SourceConfig[];
  readonly lakeBucket: s3.IBucket;
  /** Customer key of the central bucket and queues, when there is one. */
  readonly lakeKey?: kms.IKey;
  /** Where the replay messages go: the worker's replay queue. */
  readonly replayQueue: sqs.IQueue;
  readonly archiveRaw: boolean;
  /**
   * Code of the function. @default esbuild bundle of `functions/replay/handler.ts`
   *
   * Tests pass inline code: bundling is slow.
   */
  readonly code?: lambda.Code;
}

/** The `replay-poll` request a poll source's schedule sends. */
export function pollRequest(source: SourceConfig): { loglake: 'replay-poll'; v: 1; bucket: string; prefixes: string[]; lookbackDays: number } {
  if (source.poll === null) throw new Error(`source ${source.bucket} is not polled (notification ${source.notification})`);
  return { loglake: 'replay-poll', v: 1, bucket: source.bucket, prefixes: [...source.prefixes], lookbackDays: source.poll.lookbackDays };
}

/** Construct ids are derived from bucket names and prefixes, so reordering sources replaces nothing. */
const idOf = (text: string): string => text.replace(/[^A-Za-z0-9]/g, '-');
const shortHash = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 8);

/** The replay function, its control queue and dead-letter queue, its poll schedules and its role. */
export class ReplayJob extends Construct {
  readonly function: lambda.IFunction;
  readonly role: iam.IRole;
  /** Requests to the function, and the continuations of its runs. */
  readonly controlQueue: sqs.IQueue;
  /** Requests that failed `maxReceiveCount` times. */
  readonly controlDlq: sqs.IQueue;
  /** One schedule per `poll` source. */
  readonly pollRules: readonly events.Rule[];

  constructor(scope: Construct, id: string, props: ReplayJobProps) {
    super(scope, id);
    if (props.code === undefined && !existsSync(REPLAY_ENTRY)) {
      throw new Error(`replay entry ${REPLAY_ENTRY} does not exist; write functions/replay/handler.ts or pass code`);
    }

    const control = queueWithDlq(this, 'Control', {
      visibilityTimeout: visibilityTimeoutFor(REPLAY_TIMEOUT_SECONDS, 0),
      maxReceiveCount: props.worker.maxReceiveCount,
      encryptionKey: props.lakeKey,
    });
    this.controlQueue = control.queue;
    this.controlDlq = control.dlq;

    // A fixed name, so the source-account stacks can name the role (infra/source-stack.ts).
    const roleName = centralRoleName(props.name, 'replay', Stack.of(this).region);
    const { logGroup, role } = functionLogsAndRole(this, props.worker.logRetentionDays, 'loglake replay job: list source prefixes, read manifests, write run records, enqueue replays', roleName);
    this.role = role;

    const fn = new NodejsFunction(this, 'Function', {
      description: 'loglake replay job: lists a date range of a source bucket and enqueues its objects for the worker',
      runtime: WORKER_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: REPLAY_MEMORY_MIB,
      timeout: Duration.seconds(REPLAY_TIMEOUT_SECONDS),
      role,
      logGroup,
      environment: {
        [REPLAY_ENV.lakeBucket]: props.lakeBucket.bucketName,
        [REPLAY_ENV.replayQueueUrl]: props.replayQueue.queueUrl,
        [REPLAY_ENV.controlQueueUrl]: control.queue.queueUrl,
        [REPLAY_ENV.yieldMarginMs]: String(REPLAY_YIELD_MARGIN_SECONDS * 1000),
        // Its size is bounded by the worker's check: the worker's environment holds it too.
        [REPLAY_ENV.sourceAccess]: sourceAccessVariable(this, props.sources).value,
        POWERTOOLS_SERVICE_NAME: props.name,
        POWERTOOLS_METRICS_NAMESPACE: REPLAY_METRICS.namespace,
        POWERTOOLS_LOG_LEVEL: props.worker.logLevel,
        NODE_OPTIONS: '--enable-source-maps',
      },
      ...bundledCode(REPLAY_ENTRY, props.code),
    });
    this.function = fn;

    // One request per invocation: a run works until its deadline, and a failed request alone
    // goes back to the queue (and after maxReceiveCount deliveries to the dead-letter queue).
    fn.addEventSourceMapping('ControlMapping', {
      eventSourceArn: control.queue.queueArn,
      batchSize: 1,
      reportBatchItemFailures: true,
      maxConcurrency: REPLAY_CONTROL_CONCURRENCY,
    });
    control.queue.grantConsumeMessages(role);
    // Not grantSendMessages: with a customer key it adds kms:ReEncrypt* and kms:GenerateDataKey*,
    // and the key grant below covers what sending under that key needs.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'SendReplaysAndContinuations', actions: ['sqs:SendMessage'], resources: [props.replayQueue.queueArn, control.queue.queueArn] }),
    );

    this.grantLake(role, props);
    this.grantSourceListing(role, props.sources);
    grantAssumeSourceRoles(role, props.sources);

    const rules: events.Rule[] = [];
    for (const src of props.sources) {
      if (src.poll === null) continue;
      const where = src.prefixes.map((p) => (p === '' ? 'the whole bucket' : p)).join(', ');
      rules.push(
        new events.Rule(this, `Poll-${idOf(src.bucket)}-${shortHash(JSON.stringify(src.prefixes))}`, {
          description: `loglake: poll ${src.bucket} (${where}) every ${src.poll.minutes} minutes`,
          schedule: events.Schedule.rate(Duration.minutes(src.poll.minutes)),
          targets: [
            new targets.LambdaFunction(fn, {
              event: events.RuleTargetInput.fromObject(pollRequest(src)),
              // A poll older than the next one is worth nothing: the next covers its days.
              maxEventAge: Duration.minutes(src.poll.minutes),
              retryAttempts: 2,
            }),
          ],
        }),
      );
    }
    this.pollRules = rules;
  }

  /** On the central bucket, exactly the `replay` accesses of the lake layout, each on its own prefixes. */
  private grantLake(role: iam.Role, props: ReplayJobProps): void {
    const bucket = props.lakeBucket;
    const objectArns: string[] = [];
    for (const grant of lakeObjectGrants(props.archiveRaw, 'replay')) {
      const resources = grant.prefixes.map((p) => bucket.arnForObjects(`${p}*`));
      objectArns.push(...resources);
      role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: grant.sid, actions: [...grant.actions], resources }));
    }
    if (lakeListed(props.archiveRaw, 'replay')) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ListLake', actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    }
    props.lakeKey?.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
    acknowledgeWildcardResources(
      role,
      objectArns,
      'object access is scoped to one top-level prefix of the central bucket (schema/lake-layout.ts, replay accesses) and only the actions the replay job performs there; the * is the object keys under it',
    );
  }

  /**
   * `ListBucket` on each configured source bucket, only for listings under its configured
   * prefixes (`s3:prefix`); a whole-bucket source needs no condition. No object is read.
   */
  private grantSourceListing(role: iam.Role, sources: readonly SourceConfig[]): void {
    const partition = Stack.of(this).partition;
    const byBucket = new Map<string, Set<string>>();
    for (const s of sources) {
      const set = byBucket.get(s.bucket) ?? new Set<string>();
      for (const p of s.prefixes) set.add(p);
      byBucket.set(s.bucket, set);
    }
    for (const [bucket, prefixes] of [...byBucket].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const conditions = listingCondition(prefixes);
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: `ListSource${shortHash(bucket)}`,
          actions: ['s3:ListBucket'],
          resources: [`arn:${partition}:s3:::${bucket}`],
          ...(conditions === null ? {} : { conditions }),
        }),
      );
    }
  }
}
