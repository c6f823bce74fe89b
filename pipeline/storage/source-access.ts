/**
 * Who owns each source bucket and which role reads which source prefix (`LOGLAKE_SOURCE_ACCESS`,
 * written by the stack from the configuration). The worker and the replay job decide it from the
 * object's bucket and key alone, since a notification never says which configured source it
 * belongs to. Pure: the clients that act on it are in `source-readers.ts`.
 */
import { ConfigError } from '../run/errors.js';

/** A source read through a role of (usually) another account. */
export interface SourceRole {
  readonly bucket: string;
  /** Key prefixes of the source; `''` is the whole bucket. */
  readonly prefixes: readonly string[];
  readonly roleArn: string;
  /** The `sts:ExternalId` the role's trust policy requires; null when it requires none. */
  readonly externalId: string | null;
}

/** The document of `LOGLAKE_SOURCE_ACCESS`. */
export interface SourceAccess {
  /**
   * Owner of every bucket not listed in `buckets`: the deployment account, which owns the
   * central bucket and the same-account sources. Null leaves those reads unchecked.
   */
  readonly owner: string | null;
  /** Buckets of other accounts, by name, with their owner. */
  readonly buckets: Readonly<Record<string, string>>;
  readonly roles: readonly SourceRole[];
}

const ACCOUNT = /^\d{12}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads and checks the document; a malformed one throws `ConfigError` naming `variable` and what is wrong. */
export function parseSourceAccess(text: string, variable: string): SourceAccess {
  const fail = (what: string): never => {
    throw new ConfigError('invalid_option', `${variable}: ${what}`);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return fail(`not valid JSON: ${(e as Error).message}`);
  }
  if (!isRecord(doc)) return fail('must be a JSON object with owner, buckets and roles');
  const owner = doc.owner ?? null;
  if (owner !== null && (typeof owner !== 'string' || !ACCOUNT.test(owner))) fail(`owner must be a 12-digit account id, got ${JSON.stringify(owner)}`);
  const buckets = doc.buckets ?? {};
  if (!isRecord(buckets)) return fail('buckets must be an object of bucket name to account id');
  for (const [bucket, account] of Object.entries(buckets)) {
    if (typeof account !== 'string' || !ACCOUNT.test(account)) fail(`buckets.${bucket} must be a 12-digit account id, got ${JSON.stringify(account)}`);
  }
  const roles = doc.roles ?? [];
  if (!Array.isArray(roles)) return fail('roles must be an array');
  const parsed = roles.map((r: unknown, i): SourceRole => {
    const at = `roles[${i}]`;
    if (!isRecord(r)) return fail(`${at} must be an object`);
    const { bucket, prefixes, roleArn, externalId = null } = r;
    if (typeof bucket !== 'string' || bucket === '') fail(`${at}.bucket must be a bucket name`);
    if (!Array.isArray(prefixes) || prefixes.length === 0 || !prefixes.every((p) => typeof p === 'string')) fail(`${at}.prefixes must be a non-empty array of key prefixes`);
    if (typeof roleArn !== 'string' || !ROLE_ARN.test(roleArn)) fail(`${at}.roleArn must be an IAM role ARN, got ${JSON.stringify(roleArn)}`);
    if (externalId !== null && typeof externalId !== 'string') fail(`${at}.externalId must be a string or null`);
    return { bucket: bucket as string, prefixes: prefixes as string[], roleArn: roleArn as string, externalId: externalId as string | null };
  });
  return { owner: owner as string | null, buckets: buckets as Record<string, string>, roles: parsed };
}

/** The account that must own `bucket` (`ExpectedBucketOwner`), or null when nothing is known of it. */
export function bucketOwner(access: SourceAccess, bucket: string): string | null {
  return Object.hasOwn(access.buckets, bucket) ? (access.buckets[bucket] as string) : access.owner;
}

/**
 * The role that reads `key` (an object key, or the prefix a listing starts from) in `bucket`:
 * the source with the longest prefix that starts it, as configured prefixes never overlap within
 * a bucket. Null: the function's own credentials.
 */
export function roleFor(access: SourceAccess, bucket: string, key: string): SourceRole | null {
  let best: { role: SourceRole; length: number } | null = null;
  for (const role of access.roles) {
    if (role.bucket !== bucket) continue;
    for (const p of role.prefixes) if (key.startsWith(p) && (best === null || p.length > best.length)) best = { role, length: p.length };
  }
  return best?.role ?? null;
}
