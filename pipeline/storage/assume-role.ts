/**
 * Credentials of a role the worker assumes to read a source (`roleArn` in the configuration),
 * cached until shortly before they expire: one `AssumeRole` per role and container for most of
 * an hour, not one per object. The provider is what S3Client's `credentials` accepts, so the SDK
 * asks it before every request and the cache decides when STS is called again.
 */
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import { toPipelineError } from './aws-errors.js';

/** Temporary credentials with the time they stop working. */
export interface RoleCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** A role to assume, with the external id its trust policy asks for. */
export interface AssumedRole {
  readonly roleArn: string;
  readonly externalId: string | null;
}

/** Options of {@link assumedRoleCredentials}. */
export interface AssumeRoleOptions {
  /** `RoleSessionName`: shows in the source account's CloudTrail as who read. */
  readonly sessionName: string;
  /** Requested lifetime; STS's default and the role's usual maximum. @default 3600 */
  readonly durationSeconds?: number;
  /**
   * Credentials are renewed this long before they expire, so a request signed with them is not
   * still in flight (a large object's GetObject streams for minutes) when they lapse. @default 300000
   */
  readonly refreshMarginMs?: number;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
}

/**
 * A credentials provider for `role`: assumes it on first use and again once the cached
 * credentials come within `refreshMarginMs` of their expiry; concurrent callers share one call.
 * A refusal by STS is thrown as the pipeline's error naming the role (access denied: an
 * unreadable object, the trust policy or external id is wrong; throttling: transient).
 */
export function assumedRoleCredentials(sts: STSClient, role: AssumedRole, opts: AssumeRoleOptions): () => Promise<RoleCredentials> {
  const now = opts.now ?? Date.now;
  const margin = opts.refreshMarginMs ?? 300_000;
  let cached: RoleCredentials | null = null;
  let pending: Promise<RoleCredentials> | null = null;

  const assume = async (): Promise<RoleCredentials> => {
    let out;
    try {
      out = await sts.send(
        new AssumeRoleCommand({
          RoleArn: role.roleArn,
          RoleSessionName: opts.sessionName,
          DurationSeconds: opts.durationSeconds ?? 3600,
          ...(role.externalId !== null ? { ExternalId: role.externalId } : {}),
        }),
      );
    } catch (e) {
      throw toPipelineError(e, `assuming role ${role.roleArn}${role.externalId !== null ? ' with its external id' : ''}`);
    }
    const c = out.Credentials;
    if (c?.AccessKeyId === undefined || c.SecretAccessKey === undefined || c.SessionToken === undefined || c.Expiration === undefined) {
      throw new Error(`assuming role ${role.roleArn}: STS answered without complete credentials`);
    }
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
  };

  return async () => {
    if (cached !== null && now() < cached.expiration.getTime() - margin) return cached;
    pending ??= assume().then(
      (c) => {
        cached = c;
        pending = null;
        return c;
      },
      (e: unknown) => {
        pending = null;
        throw e;
      },
    );
    return pending;
  };
}
