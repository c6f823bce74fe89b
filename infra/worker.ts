/**
 * The ingest worker: the Lambda that drains the ingest and replay queues into the lake, with
 * its role, log group and queue consumers.
 *
 * It grants itself exactly what the pipeline does: read the configured source prefixes, on the
 * central bucket exactly what `schema/lake-layout.ts` says the worker does under each prefix,
 * send continuations to the replay queue. Nothing wider, so a bug or a compromised dependency
 * cannot reach other data.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { INGEST_ENV, INGEST_METRICS } from '../functions/ingest/env-names.js';
import { lakeAreas, type LakeAccess } from '../schema/lake-layout.js';
import { centralRoleName, prefixObjectArns, sourceReadActions } from './central-access.js';
import type { SourceConfig, WorkerConfig } from './config.js';
import { acknowledgeWildcardResources } from './nag.js';
import { grantAssumeSourceRoles, sourceAccessVariable } from './source-access.js';

/** Repository root, found from this file so synthesis works from any working directory. */
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The worker's entry point, bundled by esbuild unless `code` is given. */
export const WORKER_ENTRY = fileURLToPath(new URL('../functions/ingest/handler.ts', import.meta.url));

/**
 * Runtime of the worker: Node.js 24 is the newest the installed aws-cdk-lib offers, and it has
 * zstd in `node:zlib`, which the Parquet writer prefers.
 */
export const WORKER_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * Node.js flags of the worker. `--max-semi-space-size=16` is Node 20's young generation: Node 24's
 * larger default added ~100 MiB of peak RSS on a 200 MiB CloudTrail object (347 vs 248 MiB with
 * one thread, 692 vs 596 with two) at no measured speed (bench/README.md, "Whole path on every core").
 */
export const WORKER_NODE_OPTIONS = '--enable-source-maps --max-semi-space-size=16';

/** Lambda memory that buys one full vCPU; CPU is allotted in proportion to memory. */
export const MIB_PER_VCPU = 1769;
/**
 * `LOGLAKE_THREADS` for a function of `memoryMiB`: one per full vCPU the memory buys, at least
 * one (no worker thread). The runtime reports more cores than it lets the function use below
 * 3,538 MB, so the worker's own default (one per reported core) would start threads that only
 * take turns on the same share of a core while each holds its batches in memory
 * (docs/deploy.md, "Worker tuning").
 */
export function workerThreads(memoryMiB: number): number {
  return Math.max(1, Math.floor(memoryMiB / MIB_PER_VCPU));
}

/** Room for `LOGLAKE_ROUTING_RULES` within Lambda's 4 KB of environment variables. */
export const MAX_RULES_BYTES = 3072;

/** Properties of {@link IngestWorker}. */
export interface IngestWorkerProps {
  /** Deployment name, the Powertools service name (the `service` metric dimension). */
  readonly name: string;
  readonly worker: WorkerConfig;
  readonly sources: readonly SourceConfig[];
  readonly lakeBucket: s3.IBucket;
  /** Customer key of the central bucket and queues, when there is one. */
  readonly lakeKey?: kms.IKey;
  readonly ingestQueue: sqs.IQueue;
  /** Also where the worker sends continuation messages for objects too big for one invocation. */
  readonly replayQueue: sqs.IQueue;
  readonly archiveRaw: boolean;
  readonly keepRaw: boolean;
  readonly keepSelfTraffic: boolean;
  /** The CloudWatch Logs log-group map (`LOGLAKE_LOG_GROUPS`), for Firehose objects of subscription payloads. @default none (the built-in entries) */
  readonly logGroups?: string;
  /**
   * Code of the function. @default esbuild bundle of `functions/ingest/handler.ts`
   *
   * Tests pass inline code: bundling is slow and needs the handler to exist.
   */
  readonly code?: lambda.Code;
}

/**
 * User routing rules for sources whose format is pinned; `auto` sources need none. The worker
 * reads this JSON from `LOGLAKE_ROUTING_RULES`, in the same shape as the CLI's `--rules` file.
 * The format goes through as configured, not as its source: a rule pins a source or a parser
 * id, and a parser id (`billing-dbr`) must keep the other parsers of its source out.
 */
export function routingRulesFor(sources: readonly SourceConfig[]): string | undefined {
  const rules = sources.flatMap((s) =>
    s.format === 'auto' ? [] : s.prefixes.map((prefix) => ({ bucket: s.bucket, prefix, format: s.format })),
  );
  return rules.length > 0 ? JSON.stringify({ rules }) : undefined;
}

/**
 * IAM actions on objects that each access of the lake layout needs. S3 authorizes every part of
 * a multipart upload as `PutObject` and its clean-up as `AbortMultipartUpload`; the destination
 * of a server-side copy as `PutObject`, plus `PutObjectTagging` for the tags it carries.
 * `list` is absent: it is a bucket-level permission (see {@link lakeListed}).
 */
export const LAKE_ACCESS_ACTIONS: Readonly<Record<Exclude<LakeAccess, 'list'>, readonly string[]>> = {
  put: ['s3:PutObject', 's3:AbortMultipartUpload'],
  copy: ['s3:PutObject', 's3:PutObjectTagging'],
  get: ['s3:GetObject'],
  delete: ['s3:DeleteObject'],
};

/** Statement ids of the lake grants, one per access, stable so policy diffs stay readable. */
const LAKE_GRANT_SIDS: Readonly<Record<Exclude<LakeAccess, 'list'>, string>> = {
  put: 'WriteLakePrefixes',
  copy: 'CopyIntoLakePrefixes',
  get: 'ReadLakePrefixes',
  delete: 'ReplaceInLakePrefixes',
};

/** Whose accesses of the lake layout a grant is for: the ingest worker's, the replay function's or the CloudWatch Logs intake's. */
export type LakeUser = 'worker' | 'replay' | 'cwlogs';

/** One statement of a role's object grants on the central bucket. */
export interface LakeObjectGrant {
  readonly sid: string;
  readonly actions: readonly string[];
  /** Top-level prefixes of the central bucket, each granted as `<prefix>*`. */
  readonly prefixes: readonly string[];
}

/** The object grants on the central bucket of the worker (or the replay function), derived from the lake layout alone. */
export function lakeObjectGrants(archiveRaw: boolean, user: LakeUser = 'worker'): LakeObjectGrant[] {
  const areas = lakeAreas(archiveRaw);
  return (Object.keys(LAKE_ACCESS_ACTIONS) as Array<keyof typeof LAKE_ACCESS_ACTIONS>).flatMap((access) => {
    const prefixes = areas.filter((a) => a[user].includes(access)).map((a) => a.prefix);
    return prefixes.length === 0 ? [] : [{ sid: LAKE_GRANT_SIDS[access], actions: LAKE_ACCESS_ACTIONS[access], prefixes }];
  });
}

/**
 * True when the worker (or the replay function) reads keys of the central bucket that may not
 * exist yet: without `ListBucket` S3 answers 403 instead of 404 for them, and it could not tell
 * a first run from a permission problem.
 */
export function lakeListed(archiveRaw: boolean, user: LakeUser = 'worker'): boolean {
  return lakeAreas(archiveRaw).some((a) => a[user].includes('list'));
}

/**
 * A function's own log group (kept on stack deletion) and an own role that may write only it —
 * instead of the managed AWSLambdaBasicExecutionRole, which may write any log group. Construct
 * ids `Logs` and `Role` under `scope`, as every function of the stack has them.
 */
export function functionLogsAndRole(scope: Construct, retentionDays: number, description: string, roleName?: string): { logGroup: logs.LogGroup; role: iam.Role } {
  const logGroup = new logs.LogGroup(scope, 'Logs', {
    retention: retentionDays as logs.RetentionDays,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const role = new iam.Role(scope, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description, roleName });
  logGroup.grantWrite(role);
  return { logGroup, role };
}

/**
 * The code properties of a function of this project: `code` when given (tests pass inline code,
 * since bundling is slow), else the esbuild bundle of `entry` as one minified ES module with
 * every dependency inside. The worker and the replay function are bundled alike.
 */
export function bundledCode(entry: string, code: lambda.Code | undefined): Pick<NodejsFunctionProps, 'code' | 'handler' | 'entry' | 'projectRoot' | 'depsLockFilePath' | 'bundling'> {
  if (code !== undefined) return { code, handler: 'index.handler' };
  return {
    entry,
    handler: 'handler',
    projectRoot: REPO_ROOT,
    depsLockFilePath: `${REPO_ROOT}package-lock.json`,
    bundling: {
      format: OutputFormat.ESM,
      minify: true,
      sourceMap: true,
      // The SDK is bundled (tree-shaken, pinned) rather than taken from the runtime, so the
      // deployed code is the code the tests ran.
      externalModules: [],
      mainFields: ['module', 'main'],
      // CommonJS dependencies inside an ES module bundle still call require().
      banner: "import { createRequire as __loglakeRequire } from 'node:module'; const require = __loglakeRequire(import.meta.url);",
    },
  };
}

/** The worker Lambda, its consumers of the two queues, and its least-privilege role. */
export class IngestWorker extends Construct {
  /** The function itself (not only `IFunction`): integrity.ts adds variables to it. */
  readonly function: lambda.Function;
  readonly role: iam.IRole;

  constructor(scope: Construct, id: string, props: IngestWorkerProps) {
    super(scope, id);
    const { worker } = props;
    if (props.code === undefined && !existsSync(WORKER_ENTRY)) {
      throw new Error(`worker entry ${WORKER_ENTRY} does not exist; write functions/ingest/handler.ts or pass code`);
    }

    // A fixed name, so the source-account stacks can name the role (infra/source-stack.ts).
    const roleName = centralRoleName(props.name, 'worker', Stack.of(this).region);
    const { logGroup, role } = functionLogsAndRole(this, worker.logRetentionDays, 'loglake ingest worker: read source prefixes, write lake prefixes', roleName);
    this.role = role;

    const environment: Record<string, string> = {
      [INGEST_ENV.lakeBucket]: props.lakeBucket.bucketName,
      [INGEST_ENV.continuationQueueUrl]: props.replayQueue.queueUrl,
      [INGEST_ENV.archiveRaw]: String(props.archiveRaw),
      [INGEST_ENV.keepRaw]: String(props.keepRaw),
      [INGEST_ENV.keepSelfTraffic]: String(props.keepSelfTraffic),
      [INGEST_ENV.threads]: String(workerThreads(worker.memoryMiB)),
      POWERTOOLS_SERVICE_NAME: props.name,
      POWERTOOLS_METRICS_NAMESPACE: INGEST_METRICS.namespace,
      POWERTOOLS_LOG_LEVEL: worker.logLevel,
      NODE_OPTIONS: WORKER_NODE_OPTIONS,
    };
    const rules = routingRulesFor(props.sources);
    if (rules !== undefined) {
      // Lambda allows 4 KB of environment in all; the other variables need about 1 KB.
      if (rules.length > MAX_RULES_BYTES) {
        throw new Error(
          `routing rules for the pinned-format sources take ${rules.length} bytes, more than the ${MAX_RULES_BYTES} the Lambda environment leaves them; use fewer or shorter prefixes, or format "auto"`,
        );
      }
      environment[INGEST_ENV.routingRules] = rules;
    }
    if (props.logGroups !== undefined) {
      // The rules and the map share the room the other variables leave in Lambda's 4 KB.
      const used = (rules?.length ?? 0) + props.logGroups.length;
      if (used > MAX_RULES_BYTES) {
        throw new Error(
          `routing rules and the CloudWatch Logs log-group map take ${used} bytes of the worker's environment, more than the ${MAX_RULES_BYTES} Lambda leaves them; use fewer or shorter prefixes`,
        );
      }
      environment[INGEST_ENV.logGroups] = props.logGroups;
    }
    const access = sourceAccessVariable(this, props.sources);
    const used = (rules?.length ?? 0) + (props.logGroups?.length ?? 0) + access.bytes;
    if (used > MAX_RULES_BYTES) {
      throw new Error(
        `routing rules, the log-group map and the source owners and roles take ${used} bytes of the worker's environment, more than the ${MAX_RULES_BYTES} Lambda leaves them; use fewer or shorter prefixes, or shorter external ids`,
      );
    }
    environment[INGEST_ENV.sourceAccess] = access.value;

    const fn = new NodejsFunction(this, 'Function', {
      description: 'loglake ingest worker: SQS notifications to Parquet in the central bucket',
      runtime: WORKER_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: worker.memoryMiB,
      timeout: Duration.seconds(worker.timeoutSeconds),
      ephemeralStorageSize: Size.mebibytes(worker.ephemeralStorageMiB),
      reservedConcurrentExecutions: worker.reservedConcurrency ?? undefined,
      role,
      logGroup,
      environment,
      ...bundledCode(WORKER_ENTRY, props.code),
    });
    this.function = fn;

    // One invocation may hold a batch for its whole timeout; the window trades a few seconds of
    // latency for fewer, fuller invocations when small objects arrive in bursts.
    fn.addEventSourceMapping('IngestMapping', {
      eventSourceArn: props.ingestQueue.queueArn,
      batchSize: worker.batchSize,
      maxBatchingWindow: worker.batchWindowSeconds > 0 ? Duration.seconds(worker.batchWindowSeconds) : undefined,
      reportBatchItemFailures: true,
      maxConcurrency: worker.ingestMaxConcurrency,
    });
    // Replays and continuations come in bulk: the cap keeps them from taking the concurrency
    // live notifications need.
    fn.addEventSourceMapping('ReplayMapping', {
      eventSourceArn: props.replayQueue.queueArn,
      batchSize: worker.batchSize,
      reportBatchItemFailures: true,
      maxConcurrency: worker.replayMaxConcurrency,
    });
    props.ingestQueue.grantConsumeMessages(role);
    props.replayQueue.grantConsumeMessages(role);
    // Not grantSendMessages: with a customer key it adds kms:ReEncrypt* and kms:GenerateDataKey*,
    // and the lake grant below already covers what sending to a queue under that key needs.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'SendContinuations', actions: ['sqs:SendMessage'], resources: [props.replayQueue.queueArn] }),
    );

    this.grantLake(role, props);
    this.grantSources(role, props);
    grantAssumeSourceRoles(role, props.sources);
  }

  /** On the central bucket, exactly the accesses of the lake layout, each on its own prefixes. */
  private grantLake(role: iam.Role, props: IngestWorkerProps): void {
    const bucket = props.lakeBucket;
    const objectArns: string[] = [];
    for (const grant of lakeObjectGrants(props.archiveRaw)) {
      const resources = grant.prefixes.map((p) => bucket.arnForObjects(`${p}*`));
      objectArns.push(...resources);
      role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: grant.sid, actions: [...grant.actions], resources }));
    }
    if (lakeListed(props.archiveRaw)) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ListLake', actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }));
    }
    props.lakeKey?.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
    acknowledgeWildcardResources(
      role,
      objectArns,
      'object access is scoped to one top-level prefix of the central bucket (schema/lake-layout.ts) and only the actions the worker performs there; the * is the object keys under it',
    );
  }

  /** Read only under each configured source prefix, plus decrypt with the source's key. */
  private grantSources(role: iam.Role, props: IngestWorkerProps): void {
    const partition = Stack.of(this).partition;
    const objectArns = props.sources.flatMap((s) => prefixObjectArns(partition, s.bucket, s.prefixes));
    const actions = sourceReadActions(props.archiveRaw);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadSourcePrefixes', actions, resources: [...new Set(objectArns)] }));
    const keys = [...new Set(props.sources.flatMap((s) => (s.kmsKeyArn ? [s.kmsKeyArn] : [])))];
    if (keys.length > 0) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'DecryptSources', actions: ['kms:Decrypt'], resources: keys }));
    }
    acknowledgeWildcardResources(
      role,
      objectArns,
      'source reads are scoped to the configured bucket and prefix of each source; the * is the object keys under it',
    );
  }
}
