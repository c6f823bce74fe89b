/**
 * What the worker and the replay job are told about reading sources (`LOGLAKE_SOURCE_ACCESS`):
 * the owner of every bucket, sent as `ExpectedBucketOwner`, and the roles that read sources
 * configured with a `roleArn`; and the `sts:AssumeRole` grant on exactly those roles.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import type { SourceConfig } from './config.js';

/** The document as `pipeline/storage/source-access.ts` reads it. */
export interface SourceAccessDocument {
  readonly owner: string;
  readonly buckets: Record<string, string>;
  readonly roles: Array<{ bucket: string; prefixes: readonly string[]; roleArn: string; externalId: string | null }>;
}

/**
 * The document for `sources`: `owner` (the deployment account) owns the central bucket and every
 * source without an `account`; only the other accounts' buckets and the role sources are listed,
 * which keeps it small in the 4 KB of a function's environment.
 */
export function sourceAccessDocument(sources: readonly SourceConfig[], owner: string): SourceAccessDocument {
  const buckets: Record<string, string> = {};
  for (const s of sources) if (s.account !== null) buckets[s.bucket] = s.account;
  const roles = sources.flatMap((s) => (s.roleArn === null ? [] : [{ bucket: s.bucket, prefixes: s.prefixes, roleArn: s.roleArn, externalId: s.externalId }]));
  return { owner, buckets, roles };
}

/**
 * The variable's value in `scope`'s stack (the account may be a deploy-time token) and its
 * length once deployed, for the environment size checks.
 */
export function sourceAccessVariable(scope: IConstruct, sources: readonly SourceConfig[]): { value: string; bytes: number } {
  const stack = Stack.of(scope);
  return {
    value: stack.toJsonString(sourceAccessDocument(sources, stack.account)),
    bytes: JSON.stringify(sourceAccessDocument(sources, '000000000000')).length,
  };
}

/** The role ARNs the sources are read through, each once, sorted. */
export function sourceRoleArns(sources: readonly SourceConfig[]): string[] {
  return [...new Set(sources.flatMap((s) => (s.roleArn === null ? [] : [s.roleArn])))].sort();
}

/** Lets `role` assume exactly the configured reader roles (none: no statement). */
export function grantAssumeSourceRoles(role: iam.Role, sources: readonly SourceConfig[]): void {
  const roles = sourceRoleArns(sources);
  if (roles.length === 0) return;
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'AssumeSourceReaderRoles', actions: ['sts:AssumeRole'], resources: roles }));
}
