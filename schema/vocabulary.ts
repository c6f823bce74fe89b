/**
 * Closed vocabularies of the schema: partition sources, categories, outcomes and reject reasons.
 *
 * They are `as const` objects so the unions are derived, and they are low-cardinality by
 * construction, which makes them safe as metric dimensions and Glue projection enums.
 */

/** Every value the `source` partition can take, one per log type. */
export const SOURCES = [
  'cloudtrail',
  'alb',
  'elb',
  'nlb',
  's3access',
  'cloudfront',
  'config',
  'billing',
  'vpcflow',
  'redshift',
  'rds',
] as const;
export type Source = (typeof SOURCES)[number];

export const CATEGORIES = [
  'api_activity',
  'http_activity',
  'network_activity',
  'config_state',
  'cost_usage',
  'database_activity',
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
