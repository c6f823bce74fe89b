/**
 * One command's session with a deployed stack (`loglake dlq`, `loglake redrive`): AWS clients in
 * the stack's region, the stack's outputs, and failures of AWS calls turned into one line on
 * stderr and exit code 1 — a stack that does not exist, a permission the caller lacks — instead
 * of a stack trace.
 */
import { LoglakeError, type LakeSink } from '../pipeline/index.js';
import { stringFlag, UsageError, type Values } from './args.js';
import type { Io } from './io.js';
import { awsFailure, isMissingStack } from './dead-letters.js';
import { awsOptions, type Aws } from './replay-aws.js';

export interface StackSession {
  readonly aws: Aws;
  readonly stack: string;
  readonly region: string | undefined;
  readonly outputs: Readonly<Record<string, string>>;
  /** The central bucket named by the `LakeBucketName` output. */
  lake(): LakeSink;
  /** Runs one AWS call; a failure ends the command with `what` and the service's answer. */
  call<T>(what: string, fn: () => Promise<T>): Promise<T>;
}

/** The `--stack` of a command that takes no positional argument; a usage error otherwise. */
export function stackFlag(values: Values, positionals: readonly string[]): string {
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const stack = stringFlag(values, 'stack');
  if (stack === undefined) throw new UsageError('--stack <name> is required: the dead-letter queues are found in its outputs');
  return stack;
}

/** A failure already put in words; the session prints it and exits 1. */
class SessionFailure extends Error {}

export interface StackTarget {
  readonly stack: string;
  readonly region: string | undefined;
  readonly endpoint: string | undefined;
}

export async function connectStack(io: Io, verb: string, target: StackTarget, body: (session: StackSession) => Promise<number>): Promise<number> {
  const env = target.region !== undefined ? { ...io.env, AWS_REGION: target.region } : io.env;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const aws = await awsOptions({ ...io, env }, target.endpoint);
  const call = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof SessionFailure || e instanceof UsageError) throw e;
      throw new SessionFailure(awsFailure(e, what));
    }
  };
  try {
    let outputs: Record<string, string>;
    try {
      outputs = await aws.stackOutputs(target.stack);
    } catch (e) {
      if (isMissingStack(e)) throw new SessionFailure(`stack ${target.stack} not found in ${region ?? 'the default region'} (give --region, or check the name with aws cloudformation list-stacks)`);
      throw new SessionFailure(awsFailure(e, `reading the outputs of stack ${target.stack}`));
    }
    const session: StackSession = {
      aws,
      stack: target.stack,
      region,
      outputs,
      lake() {
        const bucket = outputs.LakeBucketName;
        if (bucket === undefined || bucket === '') throw new SessionFailure(`stack ${target.stack} has no output LakeBucketName; is it a loglake stack?`);
        return aws.lake(bucket, '');
      },
      call,
    };
    return await body(session);
  } catch (e) {
    // The pipeline's own errors (a stack without the outputs this version needs) are one line too.
    if (!(e instanceof SessionFailure) && !(e instanceof LoglakeError)) throw e;
    io.stderr.write(`loglake ${verb}: ${e.message}\n`);
    return 1;
  } finally {
    aws.destroy();
  }
}
