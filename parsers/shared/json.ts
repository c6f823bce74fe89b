/**
 * Guards for the JSON values the pipeline hands JSON parsers (CloudTrail, Config): the value
 * type, the object test, the non-empty-string read and the `fields` text that every JSON format
 * applies the same way.
 */

/** A parsed JSON value. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
/** A parsed JSON object. */
export type JsonObject = { [key: string]: Json };

/** True for a JSON object (not an array, not null). */
export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The value when it is a non-empty string, else null. */
export const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** A value as `fields` text: a string as it is, anything else as its JSON. */
export function toFieldText(v: Json): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
