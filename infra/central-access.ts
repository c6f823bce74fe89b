/**
 * How the central account's functions reach a source: the physical names of the worker and
 * replay roles, and the actions and conditions of their reads and listings. Plain data without
 * aws-cdk-lib: the central stack grants it, the source-account stack and `loglake onboard` name
 * it on the owner's side, so both sides cannot drift apart.
 */
import { lakeAreas } from '../schema/lake-layout.js';

/** The central functions whose roles another account names in its policies. */
export type CentralFunction = 'worker' | 'replay';

/**
 * Physical name of a central role: deterministic, so another account's stack can name it from
 * the configuration alone, and with the region, since IAM names are account-wide and a
 * deployment of the same name may run in two regions. At most 32 + 7 + 14 characters (IAM: 64).
 */
export function centralRoleName(deployment: string, fn: CentralFunction, region: string): string {
  return `${deployment}-${fn}-${region}`;
}

/** The partition of a region: what every ARN of a deployment there starts with. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  return 'aws';
}

/**
 * What the worker does with a source object: read it, and with the raw archive copy it
 * server-side, which carries its tags along and S3 authorizes as tag reads.
 */
export function sourceReadActions(archiveRaw: boolean): string[] {
  const actions = ['s3:GetObject', 's3:GetObjectVersion'];
  if (lakeAreas(archiveRaw).some((a) => a.worker.includes('copy'))) actions.push('s3:GetObjectTagging', 's3:GetObjectVersionTagging');
  return actions;
}

/** Object ARNs under each prefix of a bucket: what the worker may read. */
export function prefixObjectArns(partition: string, bucket: string, prefixes: readonly string[]): string[] {
  return [...new Set(prefixes.map((p) => `arn:${partition}:s3:::${bucket}/${p}*`))];
}

/**
 * The condition of the replay job's `ListBucket` on a source bucket: listings under the
 * configured prefixes only; none for a whole-bucket source. No object is read.
 */
export function listingCondition(prefixes: Iterable<string>): { StringLike: { 's3:prefix': string[] } } | null {
  const set = new Set(prefixes);
  return set.has('') ? null : { StringLike: { 's3:prefix': [...set].sort().map((p) => `${p}*`) } };
}
