/**
 * Closed vocabularies of the schema: partition sources, categories, outcomes and reject reasons.
 *
 * They are `as const` objects so the unions are derived, and they are low-cardinality by
 * construction, which makes them safe as metric dimensions and Glue projection enums.
 */

/**
 * Every value the `source` partition can take: one per log family that has a parser. A source
 * is listed here only once a parser writes it, so configuration, rules, the Glue projection and
 * alarms never offer a source the worker cannot read (the compliance suite checks both ways).
 */
export const SOURCES = ['cloudtrail', 'alb', 'elb', 'nlb', 's3access', 'cloudfront', 'config', 'billing', 'cwlogs', 'redshift', 'vpcflow', 'rds'] as const;
export type Source = (typeof SOURCES)[number];

/**
 * Every parser, by its unique id, with the source partition it writes. Several parsers may
 * write one source (the two billing reports); a rule, replay or continuation pins a source or
 * an id. Kept in `schema/` so configuration (`infra/`) can validate against it without
 * importing parsers; `parsers/index.ts` must register exactly these ids.
 */
export const PARSER_SOURCES = {
  cloudtrail: 'cloudtrail',
  config: 'config',
  alb: 'alb',
  nlb: 'nlb',
  elb: 'elb',
  s3access: 's3access',
  cloudfront: 'cloudfront',
  'billing-cur': 'billing',
  'billing-dbr': 'billing',
  vpcflow: 'vpcflow',
  'vpcflow-parquet': 'vpcflow',
  cwlogs: 'cwlogs',
  'redshift-connection': 'redshift',
  'redshift-user': 'redshift',
  'redshift-activity': 'redshift',
  'rds-postgresql': 'rds',
  'rds-mysql-audit': 'rds',
  'rds-mysql-slowquery': 'rds',
  'rds-mysql-general': 'rds',
  'rds-mysql-error': 'rds',
} as const satisfies Record<string, Source>;
export type ParserId = keyof typeof PARSER_SOURCES;
export const PARSER_IDS = Object.keys(PARSER_SOURCES) as ParserId[];

/** What a rule, configuration or message may pin: a source (its parsers choose) or one parser id. */
export type FormatName = Source | ParserId;

/** True for a source name or a parser id. */
export function isFormatName(name: string): name is FormatName {
  return (SOURCES as readonly string[]).includes(name) || Object.hasOwn(PARSER_SOURCES, name);
}

/** Every name a pin may use, for error messages: sources first, then the ids that differ from them. */
export const FORMAT_NAMES: readonly FormatName[] = [...SOURCES, ...PARSER_IDS.filter((id) => !(SOURCES as readonly string[]).includes(id))];

export const CATEGORIES = [
  'api_activity',
  'http_activity',
  'network_activity',
  'config_state',
  'cost_usage',
  'database_activity',
  'application_log',
] as const;
export type Category = (typeof CATEGORIES)[number];

export const OUTCOMES = ['success', 'failure', 'unknown'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * Why a line or record was rejected. Shared by framers (pipeline) and parsers so the `errors`
 * table has one closed set of codes.
 */
export const REJECT_REASONS = {
  line_too_long: 'the line or record is longer than the configured maximum',
  invalid_json: 'the text is not valid JSON',
  truncated_record: 'the object ended in the middle of a record',
  not_an_object: 'a JSON record is not an object',
  missing_field: 'a required field is absent',
  bad_timestamp: 'the event time is missing or not a valid timestamp',
  no_event_time: 'the record has no derivable event time',
  field_count_mismatch: 'the line has fewer fields than the format requires',
  bad_number: 'a numeric field is not a number',
  unterminated_quote: 'a quoted field is not closed before the end of the line',
  malformed_quote: 'a CSV quote where none may stand: inside an unquoted field, or followed by text after it closes',
  unknown_format: 'the line does not look like this format',
  control_character: 'the line holds a raw control character that the format never writes unescaped',
  time_out_of_range: 'the event time is before the first day or after the last day that every reader of the lake sees (see EVENT_TIME_RANGE)',
  too_deep: 'a JSON record nests deeper than the pipeline reads (maxJsonDepth)',
  parser_error: 'the parser failed on this record with an internal error; the detail names it',
  damaged_input: 'the record holds the point where the compressed stream is damaged: it was cut off there',
} as const;
export type RejectReason = keyof typeof REJECT_REASONS;

/** Why a line was counted as skipped rather than as a record or a rejection. */
export const SKIP_REASONS = {
  blank: 'an empty line',
  header: 'a format header line (#Version, #Fields, CSV header)',
  self_traffic: "a record caused by the pipeline's own requests",
  control: 'a control message the service writes, not an event',
} as const;
export type SkipReason = keyof typeof SKIP_REASONS;
