/**
 * `loglake onboard` over the multi-account example: the lines that say what each source account's
 * stack creates, the statements to merge (one JSON statement a line), the commands in the order
 * they can run, the JSON form, and every refusal with its exit code.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loglake } from '../helpers/cli.js';
import { tempDir } from '../helpers/lake.js';

const CONFIG = 'loglake.config.multi-account.example.json';
const WORKER = 'arn:aws:iam::111111111111:role/security-lake-worker-eu-west-1';
const REPLAY = 'arn:aws:iam::111111111111:role/security-lake-replay-eu-west-1';

/** The statement lines printed under a heading, parsed. */
function statementsUnder(stdout: string, heading: string): unknown[] {
  const lines = stdout.split('\n');
  const at = lines.indexOf(`  ${heading}:`);
  expect(at, heading).toBeGreaterThan(-1);
  const out: unknown[] = [];
  for (const line of lines.slice(at + 1)) {
    if (!line.startsWith('    {')) break;
    out.push(JSON.parse(line.trim().replace(/,$/, '')));
  }
  return out;
}

describe('loglake onboard', () => {
  const tmp = tempDir('loglake-onboard-');
  afterAll(() => tmp.cleanup());

  it('explains itself with --help', async () => {
    const r = await loglake('onboard', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: loglake onboard --account <id> \[--config <file>\]/);
    const top = await loglake('--help');
    expect(top.stdout).toContain('onboard --account <id>');
  });

  it('workload account: the notifications and forwarding rule it creates, the bucket statements, then the deploy command with the queue from the central stack', async () => {
    const r = await loglake('onboard', '--config', CONFIG, '--account', '333333333333', '--profile', 'workload', '--central-profile', 'security');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('Account 333333333333 for deployment security-lake (central account 111111111111, eu-west-1).');
    expect(lines).toContain('The stack security-lake-source-333333333333 creates:');
    expect(lines).toContain(
      '  - bucket prod-alb-logs-333333333333: S3 notification s3:ObjectCreated:* of prefix "public/AWSLogs/333333333333/elasticloadbalancing/" suffix ".log.gz" -> the central ingest queue (parameter IngestQueueArn); the bucket\'s other notifications are kept',
    );
    expect(lines).toContain('  - bucket prod-cdn-logs-333333333333: EventBridge notifications turned on');
    expect(lines).toContain(
      '  - EventBridge rule: Object Created in prod-cdn-logs-333333333333 (cloudfront/*.gz) -> arn:aws:events:eu-west-1:111111111111:event-bus/default, with a role that may only events:PutEvents there',
    );
    expect(statementsUnder(r.stdout, 'bucket policy of prod-alb-logs-333333333333')).toEqual([
      expect.objectContaining({ Principal: { AWS: WORKER }, Resource: expect.arrayContaining(['arn:aws:s3:::prod-alb-logs-333333333333/public/AWSLogs/333333333333/elasticloadbalancing/*']) }),
      expect.objectContaining({ Principal: { AWS: REPLAY }, Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': ['internal/AWSLogs/333333333333/elasticloadbalancing/*', 'public/AWSLogs/333333333333/elasticloadbalancing/*'] } } }),
    ]);
    expect(lines).toContain(
      `   QUEUE=$(aws cloudformation describe-stacks --stack-name security-lake --region eu-west-1 --profile security --query "Stacks[0].Outputs[?OutputKey=='IngestQueueArn'].OutputValue" --output text)`,
    );
    expect(lines).toContain(`   npx cdk deploy security-lake-source-333333333333 -c loglakeConfig=${CONFIG} --profile workload --parameters security-lake-source-333333333333:IngestQueueArn=$QUEUE`);
    expect(lines).toContain('   aws s3api put-bucket-policy --bucket prod-alb-logs-333333333333 --profile workload --policy file://prod-alb-logs-333333333333.policy.json');
    // The StackSet alternative.
    expect(r.stdout).toContain(`aws cloudformation create-stack-set --stack-set-name security-lake-source-stackset --template-body file://cdk.out/security-lake-source-stackset.template.json`);
    expect(r.stdout).toContain('ParameterKey=CentralAccount,ParameterValue=111111111111 ParameterKey=IngestQueueArn,ParameterValue=$QUEUE');
    expect(r.stdout).toContain('aws cloudformation create-stack-instances --stack-set-name security-lake-source-stackset --deployment-targets OrganizationalUnitIds=<ou-id> --regions eu-west-1');
  });

  it('log archive account: nothing to create; topic statements first (the central deployment subscribes), then bucket and key statements, then the stack', async () => {
    const r = await loglake('onboard', '--config', CONFIG, '--account', '222222222222');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  - nothing but its outputs: this account only merges the statements below');
    const steps = r.stdout.split('\n').filter((l) => /^\d+\. /.test(l));
    expect(steps.map((s) => s.replace(/^(\d+\. \S+ the \S+ above into the (\S+ policy of \S+)).*$/, '$1').replace(/^(\d+\. deploy \S+).*/, '$1'))).toEqual([
      '1. merge the statement above into the topic policy of arn:aws:sns:eu-west-1:222222222222:org-trail-notifications',
      '2. merge the statement above into the topic policy of arn:aws:sns:eu-west-1:222222222222:config-delivery',
      '3. merge the statements above into the bucket policy of org-cloudtrail-logs',
      '4. merge the statements above into the bucket policy of org-config-logs',
      '5. merge the statement above into the key policy of arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab:',
      '6. deploy security-lake-source-222222222222',
    ]);
    expect(statementsUnder(r.stdout, 'key policy of arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab')).toEqual([
      { Sid: 'LoglakeSecurityLakeDecrypt', Effect: 'Allow', Principal: { AWS: WORKER }, Action: 'kms:Decrypt', Resource: '*', Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } } },
    ]);
    expect(statementsUnder(r.stdout, 'topic policy of arn:aws:sns:eu-west-1:222222222222:config-delivery (config-sns)')).toEqual([
      expect.objectContaining({ Principal: { AWS: 'arn:aws:iam::111111111111:root' }, Action: 'sns:Subscribe', Condition: { StringEquals: { 'sns:Protocol': 'sqs' } } }),
    ]);
    // Placeholders where no profile was given; no queue parameter for an account without S3 notifications.
    expect(r.stdout).toContain(`   npx cdk deploy security-lake-source-222222222222 -c loglakeConfig=${CONFIG} --profile <profile of 222222222222>\n`);
  });

  it('management account: the reader role with its external id and policy', async () => {
    const r = await loglake('onboard', '--config', CONFIG, '--account', '444444444444');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `  - reader role arn:aws:iam::444444444444:role/security-lake-billing-reader: assumable by ${WORKER} and ${REPLAY} with external id security-lake-111111111111; reads and lists the prefixes of the sources naming it`,
    );
    expect(r.stdout).not.toContain('To merge into existing policies');
  });

  it('prints the plan and commands as one JSON object with --json', async () => {
    const r = await loglake('onboard', '--config', CONFIG, '--account', '333333333333', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { stack: string; plan: { account: string; buckets: Array<{ bucket: string }> }; commands: Array<{ step: string; shell: string }>; stackSet: string };
    expect(doc.stack).toBe('security-lake-source-333333333333');
    expect(doc.plan.account).toBe('333333333333');
    expect(doc.plan.buckets.map((b) => b.bucket)).toEqual(['prod-alb-logs-333333333333', 'prod-cdn-logs-333333333333']);
    expect(doc.commands.at(-1)?.shell).toContain('npx cdk deploy security-lake-source-333333333333');
    expect(doc.stackSet).toContain('create-stack-set');
  });

  it('refuses an account without sources, naming those that have some', async () => {
    const r = await loglake('onboard', '--config', CONFIG, '--account', '999999999999');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`loglake onboard: ${CONFIG}: the configuration has no source in account 999999999999; source accounts: 222222222222, 333333333333, 444444444444\n`);
    expect(r.stdout).toBe('');
  });

  it('refuses a missing or malformed account and unknown flags', async () => {
    expect(await loglake('onboard', '--config', CONFIG)).toMatchObject({ code: 2, stderr: expect.stringContaining('which account? give --account <12-digit id>') });
    expect(await loglake('onboard', '--account', '12345')).toMatchObject({ code: 2, stderr: expect.stringContaining('--account must be a 12-digit AWS account id, got "12345"') });
    expect(await loglake('onboard', '--acount', '333333333333')).toMatchObject({ code: 2, stderr: expect.stringContaining("Unknown option '--acount'") });
  });

  it('refuses a configuration file that is missing, not JSON, invalid, or without a central account', async () => {
    const missing = await loglake('onboard', '--config', join(tmp.path, 'none.json'), '--account', '333333333333');
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringMatching(/the file does not exist\nwrite it first .*--config <file>/) });
    const broken = join(tmp.path, 'broken.json');
    writeFileSync(broken, '{ "sources": [');
    expect(await loglake('onboard', '--config', broken, '--account', '333333333333')).toMatchObject({ code: 2, stderr: expect.stringMatching(/invalid loglake configuration \(.*broken\.json\):\n {2}- not valid JSON/) });
    const invalid = join(tmp.path, 'invalid.json');
    writeFileSync(invalid, JSON.stringify({ sources: [{ bucket: 'x' }], worker: { batchSize: 50 } }));
    expect(await loglake('onboard', '--config', invalid, '--account', '333333333333')).toMatchObject({ code: 2, stderr: expect.stringContaining('worker.batchSize: must be an integer from 1 to 10, got 50') });
    const agnostic = join(tmp.path, 'agnostic.json');
    writeFileSync(agnostic, JSON.stringify({ sources: [{ bucket: 'partner-logs', account: '333333333333' }] }));
    expect(await loglake('onboard', '--config', agnostic, '--account', '333333333333')).toMatchObject({ code: 2, stderr: expect.stringContaining('the configuration pins no account') });
  });
});
