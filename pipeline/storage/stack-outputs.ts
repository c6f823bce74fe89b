/**
 * The outputs of a deployed loglake stack (`DescribeStacks`), so commands that talk to a
 * deployment take `--stack <name>` instead of queue URLs and bucket names copied by hand.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { clientConfig, type AwsClientOptions } from './aws-clients.js';
import { toPipelineError } from './aws-errors.js';

/** Output key → value of the stack; throws with the cause when the stack cannot be read. */
export async function stackOutputs(stackName: string, opts: AwsClientOptions = {}): Promise<Record<string, string>> {
  const client = new CloudFormationClient(clientConfig(opts));
  try {
    const out = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = out.Stacks?.[0];
    if (stack === undefined) throw new Error(`stack ${stackName} not found`);
    return Object.fromEntries((stack.Outputs ?? []).flatMap((o) => (o.OutputKey !== undefined && o.OutputValue !== undefined ? [[o.OutputKey, o.OutputValue]] : [])));
  } catch (e) {
    throw toPipelineError(e, `reading the outputs of stack ${stackName}`);
  } finally {
    client.destroy();
  }
}

/** One output of `outputs`, or an error naming the stack and what is missing (an older deployment). */
export function requireOutput(outputs: Readonly<Record<string, string>>, key: string, stackName: string): string {
  const v = outputs[key];
  if (v === undefined || v === '') throw new Error(`stack ${stackName} has no output ${key}; redeploy it with this version of loglake (outputs: ${Object.keys(outputs).sort().join(', ') || 'none'})`);
  return v;
}
