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
import { Section, problemsText, show } from '../../schema/checks.js';
import { ConfigError } from '../run/errors.js';
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

function readRule(s: Section, registry: Registry): RoutingRule | null {
  const bucket = s.string('bucket', '*');
  const prefix = s.string('prefix', '');
  const format = s.optionalString('format');
  const ignore = s.raw('ignore');
  if (ignore !== undefined && ignore !== true) s.problem('ignore', `must be true (or left out), got ${show(ignore)}`);
  if (s.raw('bucket') === '') s.problem('bucket', 'must not be empty (leave it out to match every bucket)');
  if (!s.isObject) return null;
  if (format === null && ignore === undefined) s.problem('', 'needs "format" (a format name) or "ignore": true');
  if (format !== null && ignore !== undefined) s.problem('', 'has both "format" and "ignore"; give one');
  if (format !== null && !isKnownFormat(format, registry)) {
    s.problem('format', `unknown format ${show(format)}; known: ${formatNames(registry).join(', ')}`);
  }
  return Object.freeze({
    bucket,
    prefix,
    format: format !== null && isKnownFormat(format, registry) ? format : null,
    bucketPattern: globToRegExp(bucket, true),
    prefixPattern: globToRegExp(prefix, false),
  });
}

/**
 * Validates a rules document (already parsed JSON). `where` names its origin in errors, e.g.
 * the file path or the environment variable. Throws `ConfigError('invalid_rules')` naming every problem.
 */
export function validateRules(value: unknown, where: string, registry: Registry = DEFAULT_REGISTRY): RoutingRules {
  const expected = 'an object {"rules": [...]}';
  const doc = new Section(value, { known: ['rules'], shape: expected });
  if (value === undefined || value === null) doc.problem('', `must be ${expected}, got ${show(value)}`);
  if (doc.isObject) doc.required('rules', 'the list of rules');
  const shape = 'an object like {"prefix": "logs/", "format": "alb"}';
  const rules = doc.sections('rules', RULE_KEYS, { shape }).map((r) => readRule(r, registry));
  if (doc.problems.length > 0) throw new ConfigError('invalid_rules', problemsText(doc.problems, where));
  return Object.freeze({ rules: Object.freeze(rules.filter((r) => r !== null)) });
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
