/**
 * User routing rules: a bucket glob and a key-prefix glob that pin a format, or ignore the
 * objects they match. They are consulted before AWS's key patterns and content sniffing, for
 * sources whose keys say nothing about their format (logs copied to custom prefixes). A pinned
 * format is a source (`billing`: its parsers choose by key and header) or one parser id
 * (`billing-dbr`); the source's digests and manifests are still recognized under a pin. The same
 * JSON document is the CLI's `--rules` file and the worker's `LOGLAKE_ROUTING_RULES`, so a rule
 * tried locally behaves identically in Lambda.
 *
 * ```json
 * { "rules": [
 *   { "bucket": "acme-alb-logs", "prefix": "prod/", "format": "alb" },
 *   { "prefix": "scratch/", "ignore": true }
 * ] }
 * ```
 */
import { readFile } from 'node:fs/promises';
import { ConfigError, preview } from '../run/errors.js';
import type { FormatName } from '../../schema/index.js';
import { DEFAULT_REGISTRY, formatNames, isKnownFormat, type Pin, type Registry } from './route.js';
import type { ObjectRef } from '../storage/storage.js';

/** One validated rule, its globs compiled once. */
export interface RoutingRule {
  /** Glob over the bucket name; `*` when the rule names no bucket. */
  readonly bucket: string;
  /** Glob the start of the key must match; `''` matches every key. */
  readonly prefix: string;
  /** The pinned format (a source, or one parser id), or null for an ignore rule. */
  readonly format: FormatName | null;
  readonly bucketPattern: RegExp;
  readonly prefixPattern: RegExp;
}

/** A validated, frozen rule list. First match wins. */
export interface RoutingRules {
  readonly rules: readonly RoutingRule[];
}

/** Manifest reason (and manifest folder) of objects an ignore rule matched. */
export const IGNORED_BY_RULE = 'ignored-by-rule';

const RULE_KEYS = ['bucket', 'prefix', 'format', 'ignore'];

/**
 * Turns a glob into a regular expression: `**` crosses `/`, `*` and `?` stay within one path
 * segment. `anchorEnd` false makes it a prefix match.
 */
export function globToRegExp(glob: string, anchorEnd: boolean): RegExp {
  let out = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        out += '.*';
        i++;
      } else {
        out += '[^/]*';
      }
    } else if (c === '?') {
      out += '[^/]';
    } else {
      out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(anchorEnd ? `${out}$` : out, 's');
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(where: string, message: string): never {
  throw new ConfigError('invalid_rules', `${where}: ${message}`);
}

function optionalString(rule: Record<string, unknown>, key: string, where: string): string | undefined {
  const v = rule[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') fail(`${where}.${key}`, `expected a string, got ${preview(JSON.stringify(v))}`);
  return v;
}

function validateRule(value: unknown, where: string, registry: Registry): RoutingRule {
  if (!isRecord(value)) fail(where, `expected an object like {"prefix": "logs/", "format": "alb"}, got ${preview(JSON.stringify(value))}`);
  for (const key of Object.keys(value)) {
    if (!RULE_KEYS.includes(key)) fail(where, `unknown key ${JSON.stringify(key)}; known: ${RULE_KEYS.join(', ')}`);
  }
  const bucket = optionalString(value, 'bucket', where) ?? '*';
  const prefix = optionalString(value, 'prefix', where) ?? '';
  const format = optionalString(value, 'format', where);
  const ignore = value.ignore;
  if (ignore !== undefined && ignore !== true) fail(`${where}.ignore`, `expected true, got ${preview(JSON.stringify(ignore))}`);
  if (bucket === '') fail(`${where}.bucket`, 'must not be empty (leave it out to match every bucket)');
  if (format === undefined && ignore === undefined) fail(where, 'needs "format" (a format name) or "ignore": true');
  if (format !== undefined && ignore !== undefined) fail(where, 'has both "format" and "ignore"; give one');
  if (format !== undefined && !isKnownFormat(format, registry)) {
    fail(`${where}.format`, `unknown format ${JSON.stringify(format)}; known: ${formatNames(registry).join(', ')}`);
  }
  return Object.freeze({
    bucket,
    prefix,
    format: format !== undefined && isKnownFormat(format, registry) ? format : null,
    bucketPattern: globToRegExp(bucket, true),
    prefixPattern: globToRegExp(prefix, false),
  });
}

/**
 * Validates a rules document (already parsed JSON). `where` names its origin in errors, e.g.
 * the file path or the environment variable. Throws `ConfigError('invalid_rules')`.
 */
export function validateRules(value: unknown, where: string, registry: Registry = DEFAULT_REGISTRY): RoutingRules {
  if (!isRecord(value)) fail(where, `expected an object {"rules": [...]}, got ${preview(JSON.stringify(value))}`);
  for (const key of Object.keys(value)) {
    if (key !== 'rules') fail(where, `unknown key ${JSON.stringify(key)}; the document has one key, "rules"`);
  }
  const list = value.rules;
  if (!Array.isArray(list)) fail(`${where}: rules`, `expected an array, got ${preview(JSON.stringify(list))}`);
  const rules = list.map((r, i) => validateRule(r, `${where}: rules[${i}]`, registry));
  return Object.freeze({ rules: Object.freeze(rules) });
}

/** Parses and validates rules from JSON text; a syntax error names `where` and the parser's message. */
export function parseRules(text: string, where: string, registry: Registry = DEFAULT_REGISTRY): RoutingRules {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ConfigError('invalid_rules', `${where}: not valid JSON: ${(e as Error).message}`);
  }
  return validateRules(value, where, registry);
}

/** Reads and validates a rules file (the CLI's `--rules`); errors name the file. */
export async function readRulesFile(path: string, registry: Registry = DEFAULT_REGISTRY): Promise<RoutingRules> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError('invalid_rules', `${path}: cannot read the rules file: ${(e as Error).message}`);
  }
  return parseRules(text, path, registry);
}

/** The first rule that matches an object, or null. */
export function matchRule(rules: RoutingRules, ref: ObjectRef): RoutingRule | null {
  for (const rule of rules.rules) {
    if (rule.bucketPattern.test(ref.bucket) && rule.prefixPattern.test(ref.key)) return rule;
  }
  return null;
}

/**
 * The `rule` function `processObject` takes: the pin of the first matching rule, or null so
 * key patterns and content sniffing decide.
 */
export function ruleRouter(rules: RoutingRules): (ref: ObjectRef) => Pin | null {
  const pins = new Map<RoutingRule, Pin>();
  for (const rule of rules.rules) {
    pins.set(rule, rule.format !== null ? { kind: 'pin', format: rule.format } : { kind: 'ignore', name: IGNORED_BY_RULE });
  }
  return (ref) => {
    const rule = matchRule(rules, ref);
    return rule === null ? null : (pins.get(rule) ?? null);
  };
}
