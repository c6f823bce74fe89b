/**
 * What a source's notifications match: the key suffix of its format and the EventBridge pattern
 * of a bucket's `Object Created` events. Plain data without aws-cdk-lib, shared by the central
 * stack, the source-account stack and `loglake onboard`, so all three filter alike.
 */
import type { Source } from '../schema/index.js';
import { sourceOfFormat, type SourceConfig, type SourceFormat } from './config.js';

/**
 * Key suffix every object of a source has, so notifications of a pinned format skip everything
 * else the delivering service writes next to its logs. `null`: the source's names have no
 * common suffix. Keyed by source, not format, so a parser id filters as its source does.
 */
export const SOURCE_SUFFIXES: Readonly<Record<Source, string | null>> = {
  cloudtrail: '.json.gz',
  alb: '.log.gz',
  elb: '.log',
  nlb: '.log.gz',
  s3access: null,
  cloudfront: '.gz',
  config: '.json.gz',
  billing: null,
  // Text (`.log.gz`) and Parquet (`.log.parquet`) deliveries share no suffix; each parser id has its own below.
  vpcflow: null,
  // Export-task objects end in .gz; Firehose objects have a suffix only when Firehose compresses them.
  cwlogs: null,
  redshift: '.gz',
  // RDS log files keep RDS's names (`mysql-slowquery.log.3`, `postgresql.log.2024-05-01-12`): no common suffix.
  rds: null,
};

/**
 * Parser ids whose objects have a narrower suffix than their source's. (`vpcflow` names the
 * source as well as the text parser, and a source pin lets both parsers choose: no suffix.)
 */
export const PARSER_SUFFIXES: Readonly<Record<string, string>> = {
  'vpcflow-parquet': '.log.parquet',
};

/** The suffix filter of a source's notifications: none for `auto`, which may receive anything. */
export function suffixOf(format: SourceFormat): string | null {
  if (Object.hasOwn(PARSER_SUFFIXES, format)) return PARSER_SUFFIXES[format] as string;
  const source = sourceOfFormat(format);
  return source === null ? null : SOURCE_SUFFIXES[source];
}

/** One alternative of an EventBridge key match, as EventBridge writes it. */
export type KeyMatcher = { readonly wildcard: string } | { readonly prefix: string };

/** The EventBridge pattern of new objects in one bucket under the sources' prefixes (camelCase keys, as aws-cdk-lib's `EventPattern`). */
export interface ObjectCreatedPattern {
  readonly source: ['aws.s3'];
  readonly detailType: ['Object Created'];
  readonly detail: { readonly bucket: { readonly name: [string] }; readonly object?: { readonly key: KeyMatcher[] } };
}

/**
 * The pattern of one bucket's rule: each prefix (with the format's suffix) is one alternative of
 * the key match; a whole-bucket source without a suffix matches every key, so no key filter at all.
 */
export function objectCreatedPattern(bucket: string, sources: readonly SourceConfig[]): ObjectCreatedPattern {
  const matchers = sources.flatMap((src) => {
    const suffix = suffixOf(src.format);
    return src.prefixes.map((prefix): KeyMatcher | null => (suffix ? { wildcard: `${prefix}*${suffix}` } : prefix ? { prefix } : null));
  });
  const key = matchers.some((m) => m === null) ? null : (matchers as KeyMatcher[]);
  return { source: ['aws.s3'], detailType: ['Object Created'], detail: { bucket: { name: [bucket] }, ...(key ? { object: { key } } : {}) } };
}
