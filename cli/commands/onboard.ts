/**
 * `loglake onboard --account <id>`: what onboarding one source account takes — the resources its
 * stack creates, the statements its owner merges into existing policies — and the commands that
 * do it. Read from the plan the source stack itself is built from (infra/source-plan.ts), so the
 * text cannot promise what the stack does not do. Offline: no AWS call, no SDK loaded.
 */
import { existsSync } from 'node:fs';
import { loadConfig, LoglakeConfigError, type LoglakeConfig } from '../../infra/config.js';
import { OnboardError, planSourceAccount, SOURCE_PARAMETERS, sourceStackId, stackSetId, type PolicyStatement, type SourceAccountPlan } from '../../infra/source-plan.js';
import { parse, stringFlag as str, UsageError } from '../args.js';
import { pathFrom, type Io } from '../io.js';

export const help = `usage: loglake onboard --account <id> [--config <file>] [--profile <name>] [--central-profile <name>] [--json]

Prints what onboarding one source account of the configuration takes: what its stack
(<name>-source-<account>) creates there — S3 notifications to the central ingest queue,
EventBridge rules forwarding "Object Created" events to the central event bus, reader roles —
the statements to merge into the policies of its existing buckets, KMS keys and SNS topics
(the stack never replaces a policy: each has one, and the delivery grants already in it must
stay), and the commands that deploy it, per account or as a StackSet for an organization unit.
Nothing is called: it reads the configuration only.

options:
  --account <id>           the source account (12 digits)
  --config <file>          the deployment configuration (default loglake.config.json)
  --profile <name>         AWS CLI profile of the source account, for the printed commands
  --central-profile <name> AWS CLI profile of the central account, for the printed commands
  --json                   the plan and the commands as one JSON object
  -h, --help               this help
`;

const OPTIONS = {
  account: { type: 'string' },
  config: { type: 'string' },
  profile: { type: 'string' },
  'central-profile': { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** The configuration named on the command line, never the bundled example: onboarding placeholders helps no one. */
function configFrom(io: Io, file: string): LoglakeConfig {
  try {
    return loadConfig((key) => (key === 'loglakeConfig' ? file : undefined), io.cwd).config;
  } catch (e) {
    if (e instanceof LoglakeConfigError) {
      // A first try in a fresh clone: say where the configuration comes from.
      const missing = !existsSync(pathFrom(io, file));
      const next = missing ? `\nwrite it first (docs/deploy.md, "An organization, from empty to queryable"; loglake.config.multi-account.example.json is one for several accounts), or name another with --config <file>` : '';
      throw new UsageError(`${e.message}${next}`, { hint: false });
    }
    const err = e as NodeJS.ErrnoException;
    if (typeof err.code === 'string') throw new UsageError(`cannot read ${pathFrom(io, file)}: ${err.message}`, { hint: false });
    throw e;
  }
}

/** One command of the walkthrough: what it does and the shell text. */
export interface OnboardCommand {
  readonly step: string;
  readonly shell: string;
}

const indent = (text: string, by: string): string => text.replace(/^/gm, by);
/** One statement a line, separated by commas: ready to paste into a policy's `Statement` array. */
const pretty = (statements: readonly PolicyStatement[]): string => statements.map((st) => JSON.stringify(st)).join(',\n');

/** The deployment commands for the plan, in order. */
export function onboardCommands(plan: SourceAccountPlan, configFile: string, profile: string, centralProfile: string): OnboardCommand[] {
  const stack = sourceStackId(plan.central.name, plan.account);
  const needsQueue = plan.buckets.some((b) => b.queueNotifications.length > 0);
  const queueLookup = `QUEUE=$(aws cloudformation describe-stacks --stack-name ${plan.central.name} --region ${plan.central.region} --profile ${centralProfile} --query "Stacks[0].Outputs[?OutputKey=='IngestQueueArn'].OutputValue" --output text)`;
  const commands: OnboardCommand[] = [];
  for (const t of plan.topics) {
    commands.push({
      step: `merge the statement above into the topic policy of ${t.topicArn} before the central stack is deployed: it subscribes the ingest queue to the topic`,
      shell: [
        `aws sns get-topic-attributes --topic-arn ${t.topicArn} --profile ${profile} --query Attributes.Policy --output text > topic.policy.json`,
        '# add the statement to the "Statement" array of topic.policy.json, then',
        `aws sns set-topic-attributes --topic-arn ${t.topicArn} --profile ${profile} --attribute-name Policy --attribute-value file://topic.policy.json`,
      ].join('\n'),
    });
  }
  for (const b of plan.buckets.filter((x) => x.policy.length > 0)) {
    commands.push({
      step: `merge the statements above into the bucket policy of ${b.bucket} (the central stack must be deployed first: S3 refuses a principal that does not exist)`,
      shell: [
        `aws s3api get-bucket-policy --bucket ${b.bucket} --profile ${profile} --query Policy --output text > ${b.bucket}.policy.json`,
        `# add the statements to the "Statement" array of ${b.bucket}.policy.json (a bucket without a policy: {"Version":"2012-10-17","Statement":[…]}), then`,
        `aws s3api put-bucket-policy --bucket ${b.bucket} --profile ${profile} --policy file://${b.bucket}.policy.json`,
      ].join('\n'),
    });
  }
  for (const k of plan.keys) {
    commands.push({
      step: `merge the statement above into the key policy of ${k.keyArn}`,
      shell: [
        `aws kms get-key-policy --key-id ${k.keyArn} --policy-name default --profile ${profile} --query Policy --output text > key.policy.json`,
        '# add the statement to the "Statement" array of key.policy.json, then',
        `aws kms put-key-policy --key-id ${k.keyArn} --policy-name default --profile ${profile} --policy file://key.policy.json`,
      ].join('\n'),
    });
  }
  commands.push({
    step: `deploy ${stack} into account ${plan.account} (no cdk bootstrap needed: the stack has no assets)`,
    shell: [
      ...(needsQueue ? [queueLookup] : []),
      `npx cdk deploy ${stack} -c loglakeConfig=${configFile} --profile ${profile}${needsQueue ? ` --parameters ${stack}:${SOURCE_PARAMETERS.ingestQueueArn}=$QUEUE` : ''}`,
    ].join('\n'),
  });
  return commands;
}

/** The StackSet alternative, for an organization unit. */
export function stackSetCommands(plan: SourceAccountPlan, configFile: string, centralProfile: string): string {
  const set = stackSetId(plan.central.name);
  return [
    `npx cdk synth -c loglakeConfig=${configFile}   # writes cdk.out/${set}.template.json`,
    `QUEUE=$(aws cloudformation describe-stacks --stack-name ${plan.central.name} --region ${plan.central.region} --profile ${centralProfile} --query "Stacks[0].Outputs[?OutputKey=='IngestQueueArn'].OutputValue" --output text)`,
    `aws cloudformation create-stack-set --stack-set-name ${set} --template-body file://cdk.out/${set}.template.json \\`,
    `  --parameters ParameterKey=${SOURCE_PARAMETERS.centralAccount},ParameterValue=${plan.central.account} ParameterKey=${SOURCE_PARAMETERS.ingestQueueArn},ParameterValue=$QUEUE \\`,
    '  --capabilities CAPABILITY_NAMED_IAM --permission-model SERVICE_MANAGED --auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false \\',
    '  --profile <management or delegated administrator account>',
    `aws cloudformation create-stack-instances --stack-set-name ${set} --deployment-targets OrganizationalUnitIds=<ou-id> --regions ${plan.central.region} \\`,
    '  --profile <management or delegated administrator account>',
  ].join('\n');
}

/** The plan as text: what the stack creates, then what owners merge. */
export function describePlan(plan: SourceAccountPlan): string {
  const lines: string[] = [];
  const stack = sourceStackId(plan.central.name, plan.account);
  lines.push(`Account ${plan.account} for deployment ${plan.central.name} (central account ${plan.central.account}, ${plan.central.region}).`, '');
  const creates: string[] = [];
  for (const b of plan.buckets) {
    for (const n of b.queueNotifications) {
      creates.push(`bucket ${b.bucket}: S3 notification s3:ObjectCreated:* of prefix "${n.prefix}"${n.suffix ? ` suffix "${n.suffix}"` : ''} -> the central ingest queue (parameter ${SOURCE_PARAMETERS.ingestQueueArn}); the bucket's other notifications are kept`);
    }
    if (b.forward !== null) {
      const keys = b.forward.detail.object?.key.map((k) => ('wildcard' in k ? k.wildcard : `${k.prefix}*`)).join(', ') ?? 'every key';
      creates.push(`bucket ${b.bucket}: EventBridge notifications turned on`);
      creates.push(`EventBridge rule: Object Created in ${b.bucket} (${keys}) -> ${plan.central.busArn}, with a role that may only events:PutEvents there`);
    }
  }
  for (const r of plan.roles) {
    creates.push(`reader role ${r.roleArn}: assumable by ${(r.trust.Principal?.AWS as string[]).join(' and ')}${r.externalId !== null ? ` with external id ${r.externalId}` : ''}; reads and lists the prefixes of the sources naming it`);
    creates.push(indent(pretty(r.policy), '    '));
  }
  if (plan.buckets.some((b) => b.queueNotifications.length > 0 || b.forward !== null)) {
    creates.push("CDK's notification handler (a Lambda function and its role, allowed s3:GetBucketNotification and s3:PutBucketNotification on these buckets only), which merges the notifications above with the bucket's own");
  }
  lines.push(`The stack ${stack} creates:`);
  lines.push(...(creates.length > 0 ? creates.map((c) => (c.startsWith('    ') ? c : `  - ${c}`)) : ['  - nothing but its outputs: this account only merges the statements below']));
  const merges = [
    ...plan.buckets.filter((b) => b.policy.length > 0).map((b) => ({ what: `bucket policy of ${b.bucket}`, policy: b.policy })),
    ...plan.keys.map((k) => ({ what: `key policy of ${k.keyArn}`, policy: k.policy })),
    ...plan.topics.map((t) => ({ what: `topic policy of ${t.topicArn} (${t.notification})`, policy: t.policy })),
  ];
  if (merges.length > 0) {
    lines.push('', 'To merge into existing policies (the stack never writes them: each has one policy, and the statements already in it must stay; they are also its outputs):');
    for (const m of merges) lines.push(`  ${m.what}:`, indent(pretty(m.policy), '    '));
  }
  return lines.join('\n');
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, OPTIONS);
  if (values.help) {
    io.stdout.write(help);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const account = str(values, 'account');
  if (account === undefined) throw new UsageError('which account? give --account <12-digit id>');
  if (!/^\d{12}$/.test(account)) throw new UsageError(`--account must be a 12-digit AWS account id, got ${JSON.stringify(account)}`);
  const configFile = str(values, 'config') ?? 'loglake.config.json';
  const config = configFrom(io, configFile);
  let plan: SourceAccountPlan;
  try {
    plan = planSourceAccount(config, account);
  } catch (e) {
    if (e instanceof OnboardError) throw new UsageError(`${configFile}: ${e.message}`, { hint: false });
    throw e;
  }
  const profile = str(values, 'profile') ?? `<profile of ${account}>`;
  const centralProfile = str(values, 'central-profile') ?? `<profile of ${plan.central.account}>`;
  const commands = onboardCommands(plan, configFile, profile, centralProfile);
  const stackSet = stackSetCommands(plan, configFile, centralProfile);
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ stack: sourceStackId(plan.central.name, account), plan, commands, stackSet })}\n`);
    return 0;
  }
  const steps = commands.map((c, i) => `${i + 1}. ${c.step}:\n${indent(c.shell, '   ')}`);
  io.stdout.write(`${describePlan(plan)}\n\nCommands:\n\n${steps.join('\n\n')}\n\nOr for every source account of an organization unit at once, as a StackSet (${stackSetId(plan.central.name)}; the policy statements are merged as above):\n\n${indent(stackSet, '   ')}\n`);
  return 0;
}
