/**
 * The source-account side of a deployment (`<name>-source-<account>`), and the same as one
 * StackSet template for an organization unit (`<name>-source-stackset`), built from the plan of
 * `source-plan.ts`: S3 notifications of the account's buckets to the central ingest queue,
 * EventBridge rules forwarding their `Object Created` events to the central bus, and the reader
 * roles of sources read by role.
 *
 * Policies of existing buckets, keys and topics are not written: each has exactly one policy,
 * and replacing it would drop what already lives there (CloudTrail's and ELB's delivery grants,
 * the key administrators), so an organization's logging could stop. Their statements are stack
 * outputs (and printed by `loglake onboard`) for their owners to merge. Notifications are safe to
 * write: CDK's handler for an imported bucket merges ours with the bucket's own and removes only
 * ours on deletion.
 */
import { Aws, BootstraplessSynthesizer, CfnCondition, CfnOutput, CfnParameter, CfnResource, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { LoglakeConfig } from './config.js';
import { acknowledge, acknowledgeWildcardResources } from './nag.js';
import { centralOf, planSourceAccount, READER_READ_SID, SOURCE_PARAMETERS, sourceAccounts, type Central, type PolicyStatement, type SourceAccountPlan } from './source-plan.js';

export { sourceStackId, stackSetId } from './source-plan.js';

/** Letters and digits of a name, for construct and output ids. */
const alnum = (text: string): string => text.replace(/[^A-Za-z0-9]/g, '');

/** Properties of {@link SourceAccountResources}. */
interface SourceAccountResourcesProps {
  readonly plan: SourceAccountPlan;
  /** The ingest queue's ARN; absent when no bucket of the plan notifies it. */
  readonly ingestQueueArn: string | undefined;
}

/** What the plan of one account creates, under one construct so a StackSet can condition it whole. */
class SourceAccountResources extends Construct {
  constructor(scope: Construct, id: string, props: SourceAccountResourcesProps) {
    super(scope, id);
    const { plan } = props;
    let queue: sqs.IQueue | undefined;
    let bus: events.IEventBus | undefined;
    for (const b of plan.buckets) {
      const bucket = s3.Bucket.fromBucketName(this, `Bucket-${b.bucket}`, b.bucket);
      for (const n of b.queueNotifications) {
        queue ??= sqs.Queue.fromQueueArn(this, 'IngestQueue', props.ingestQueueArn as string);
        const filter: s3.NotificationKeyFilter = { ...(n.prefix ? { prefix: n.prefix } : {}), ...(n.suffix ? { suffix: n.suffix } : {}) };
        bucket.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SqsDestination(queue), ...(filter.prefix || filter.suffix ? [filter] : []));
      }
      if (b.forward !== null) {
        bus ??= events.EventBus.fromEventBusArn(this, 'CentralBus', plan.central.busArn);
        bucket.enableEventBridgeNotification();
        // The central stack's bus policy admits this account's aws.s3 events; its rule matches the same pattern.
        new events.Rule(this, `Forward-${b.bucket}`, {
          description: `loglake ${plan.central.name}: new objects in ${b.bucket} to the central event bus`,
          eventPattern: b.forward,
          targets: [new targets.EventBus(bus)],
        });
      }
    }
    for (const r of plan.roles) {
      const role = new iam.Role(this, `Reader-${r.roleName}`, {
        roleName: r.roleName,
        path: r.path,
        description: `loglake ${plan.central.name}: the central worker reads the sources that name this role`,
        assumedBy: new iam.CompositePrincipal(...(r.trust.Principal?.AWS as string[]).map((arn) => new iam.ArnPrincipal(arn))),
        externalIds: r.externalId !== null ? [r.externalId] : undefined,
      });
      for (const st of r.policy) role.addToPrincipalPolicy(iam.PolicyStatement.fromJson(st));
      acknowledgeWildcardResources(
        role,
        r.policy.filter((st) => st.Sid === READER_READ_SID).flatMap((st) => (Array.isArray(st.Resource) ? st.Resource : [])),
        'the reader role reads only under the configured prefixes of the sources that name it; the * is the object keys under each prefix',
      );
    }
  }
}

/** The statements owners merge, as outputs: one per bucket, key and topic. */
function policyOutputs(scope: Construct, plan: SourceAccountPlan): CfnOutput[] {
  const stack = Stack.of(scope);
  const json = (statements: readonly PolicyStatement[]): string => stack.toJsonString(statements);
  return [
    ...plan.buckets
      .filter((b) => b.policy.length > 0)
      .map((b) => new CfnOutput(scope, `BucketPolicy${alnum(b.bucket)}`, { value: json(b.policy), description: `merge into the bucket policy of ${b.bucket}` })),
    ...plan.keys.map((k) => new CfnOutput(scope, `KeyPolicy${alnum(k.keyArn.split('/').pop() ?? k.keyArn)}`, { value: json(k.policy), description: `merge into the key policy of ${k.keyArn}` })),
    ...plan.topics.map((t) => new CfnOutput(scope, `TopicPolicy${alnum(t.topicArn.split(':').pop() ?? t.topicArn)}`, { value: json(t.policy), description: `merge into the topic policy of ${t.topicArn}` })),
  ];
}

/** The acknowledgement of what CDK itself adds for notifications of imported buckets (its policy names each bucket, no wildcard). */
function acknowledgeNotificationHandler(stack: Stack): void {
  const handler = stack.node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');
  if (!handler) return;
  acknowledge(
    handler,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    "CDK's own handler that merges S3 bucket notification configurations; it runs only during deployments",
  );
}

/** The ingest queue parameter, when a bucket of the plans sends S3 notifications. */
function ingestQueueParameter(stack: Stack, plans: readonly SourceAccountPlan[]): string | undefined {
  if (!plans.some((p) => p.buckets.some((b) => b.queueNotifications.length > 0))) return undefined;
  return new CfnParameter(stack, SOURCE_PARAMETERS.ingestQueueArn, {
    type: 'String',
    description: 'ARN of the central ingest queue: output IngestQueueArn of the central loglake stack',
    allowedPattern: '^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\\d{12}:[A-Za-z0-9_-]{1,80}$',
  }).valueAsString;
}

/** Properties of {@link LoglakeSourceStack}. */
export interface LoglakeSourceStackProps extends Omit<StackProps, 'env' | 'synthesizer'> {
  readonly config: LoglakeConfig;
  readonly account: string;
}

/**
 * One source account's stack. Synthesized without the bootstrap stack (it has no assets), so a
 * source account needs no `cdk bootstrap`.
 */
export class LoglakeSourceStack extends Stack {
  readonly plan: SourceAccountPlan;

  constructor(scope: Construct, id: string, props: LoglakeSourceStackProps) {
    const central = centralOf(props.config);
    super(scope, id, { ...props, env: { account: props.account, region: central.region }, synthesizer: new BootstraplessSynthesizer() });
    this.plan = planSourceAccount(props.config, props.account, central);
    const part = new SourceAccountResources(this, 'Sources', { plan: this.plan, ingestQueueArn: ingestQueueParameter(this, [this.plan]) });
    policyOutputs(this, this.plan);
    // An account whose owners only merge statements (topics, keys) still gets its stack, holding them as outputs.
    if (!part.node.findAll().some((c) => c instanceof CfnResource)) placeholder(this);
    acknowledgeNotificationHandler(this);
  }
}

/** Properties of {@link LoglakeSourceStackSet}. */
export interface LoglakeSourceStackSetProps extends Omit<StackProps, 'env' | 'synthesizer' | 'analyticsReporting'> {
  readonly config: LoglakeConfig;
}

/**
 * Every source account's stack in one environment-agnostic template for a CloudFormation
 * StackSet: the central account is a parameter, each account's part carries the condition
 * `Account<id>` (the stack instance's `AWS::AccountId`), so one template serves the whole
 * organization unit and an account without sources gets an empty stack.
 */
export class LoglakeSourceStackSet extends Stack {
  readonly plans: readonly SourceAccountPlan[];
  readonly conditions: ReadonlyMap<string, CfnCondition>;

  constructor(scope: Construct, id: string, props: LoglakeSourceStackSetProps) {
    // No bootstrap version rule, no CDK metadata: a StackSet's accounts are not bootstrapped.
    super(scope, id, { ...props, synthesizer: new BootstraplessSynthesizer(), analyticsReporting: false });
    const { config } = props;
    const centralAccount = new CfnParameter(this, SOURCE_PARAMETERS.centralAccount, {
      type: 'String',
      description: 'the account of the central loglake stack',
      allowedPattern: '^\\d{12}$',
      ...(config.account !== null ? { default: config.account } : {}),
    }).valueAsString;
    const central: Central = centralOf(config, { account: centralAccount, region: Aws.REGION, partition: Aws.PARTITION });
    this.plans = sourceAccounts(config).map((account) => planSourceAccount(config, account, central));
    const ingestQueueArn = ingestQueueParameter(this, this.plans);

    const conditions = new Map<string, CfnCondition>();
    for (const plan of this.plans) {
      const condition = new CfnCondition(this, `Account${plan.account}`, { expression: Fn.conditionEquals(Aws.ACCOUNT_ID, plan.account) });
      conditions.set(plan.account, condition);
      const part = new SourceAccountResources(this, `Account-${plan.account}`, { plan, ingestQueueArn });
      for (const c of part.node.findAll()) if (c instanceof CfnResource) c.cfnOptions.condition = condition;
      for (const output of policyOutputs(this, plan)) output.condition = condition;
    }
    this.conditions = conditions;

    // The notification handler is shared by the accounts with notifications; elsewhere it would be an idle function.
    const handler = this.node.tryFindChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');
    if (handler) {
      const notifying = this.plans.filter((p) => p.buckets.some((b) => b.queueNotifications.length > 0 || b.forward !== null)).map((p) => conditions.get(p.account) as CfnCondition);
      const condition = anyOf(this, 'AccountWithNotifications', notifying);
      for (const c of handler.node.findAll()) if (c instanceof CfnResource) c.cfnOptions.condition = condition;
    }
    // Every part may be conditioned away.
    placeholder(this);
    acknowledgeNotificationHandler(this);
  }
}

/** CloudFormation refuses a stack without resources; a wait condition handle is one that costs and does nothing. */
function placeholder(stack: Stack): void {
  new CfnResource(stack, 'Placeholder', { type: 'AWS::CloudFormation::WaitConditionHandle' });
}

/** One condition true when any of `conditions` is (`Fn::Or` takes 2 to 10). */
function anyOf(scope: Construct, id: string, conditions: readonly CfnCondition[]): CfnCondition {
  if (conditions.length === 1) return conditions[0] as CfnCondition;
  const groups: CfnCondition[] = [];
  for (let i = 0; i < conditions.length; i += 10) {
    const chunk = conditions.slice(i, i + 10);
    groups.push(chunk.length === 1 ? (chunk[0] as CfnCondition) : new CfnCondition(scope, `${id}${groups.length + 1}`, { expression: Fn.conditionOr(...chunk) }));
  }
  return groups.length === 1 ? (groups[0] as CfnCondition) : anyOf(scope, `${id}Of`, groups);
}
