/**
 * Room `pipeline/route/`: which parser an object gets. `route.ts` decides from the key, the first
 * decoded bytes and the parser registry (`parsers/index.ts`), ignorables first; `rules.ts` reads
 * the user's routing rules, which pin a format or ignore an object before key patterns decide.
 *
 * Chooses the parser of an object: a user rule or message may pin a source (or one parser id);
 * then AWS's documented key naming; then the first decoded text. The ignorables of a source
 * (digests, report manifests, write checks) are checked first on every path, pinned or not, so
 * a pin never turns a digest into rejected lines. An object nothing recognizes is `unknown`,
 * never guessed.
 */
import { FORMAT_NAMES, PARSER_SOURCES, isFormatName, type FormatName, type Source } from '../../schema/index.js';
import { IGNORABLES, PARSERS, type Ignorable, type Parser } from '../../parsers/index.js';

/** How a route was decided. */
export type RoutedBy = 'rule' | 'key' | 'content';

export type Route =
  | { readonly kind: 'parse'; readonly parser: Parser; readonly by: RoutedBy }
  | { readonly kind: 'ignore'; readonly name: string; readonly by: RoutedBy }
  | { readonly kind: 'unknown' };

/**
 * What a routing rule (or a replay/continuation message) decides before any byte is read: pin
 * a format — a source, whose parsers then choose by key and content, or one parser id — or
 * ignore the object under a manifest reason.
 */
export type Pin =
  | {
      readonly kind: 'pin';
      readonly format: FormatName;
      /**
       * Route straight to the parser with id `format`, without looking at key or content: a
       * continuation resumes exactly where the parser its first run chose stopped.
       */
      readonly exact?: boolean;
    }
  | { readonly kind: 'ignore'; readonly name: string };

/** Bytes of decoded content that content sniffing looks at. */
export const HEAD_BYTES = 4096;

export interface Registry {
  readonly parsers: readonly Parser[];
  readonly ignorables: readonly Ignorable[];
}

export const DEFAULT_REGISTRY: Registry = { parsers: PARSERS, ignorables: IGNORABLES };

/** The parsers a pinned format may choose from: one id, or every parser of a source. */
export function parsersFor(format: FormatName, registry: Registry = DEFAULT_REGISTRY): readonly Parser[] {
  const byId = registry.parsers.filter((p) => p.id === format);
  return byId.length > 0 ? byId : registry.parsers.filter((p) => p.source === format);
}

/** The source a pinned format writes. */
export function sourceOf(format: FormatName): Source {
  return Object.hasOwn(PARSER_SOURCES, format) ? PARSER_SOURCES[format as keyof typeof PARSER_SOURCES] : (format as Source);
}

/** Every name a pin may use in this registry: the vocabulary's format names that pin one of its parsers. */
export function formatNames(registry: Registry = DEFAULT_REGISTRY): string[] {
  return FORMAT_NAMES.filter((name) => parsersFor(name, registry).length > 0);
}

/** True when `name` pins at least one parser of `registry`. */
export function isKnownFormat(name: string, registry: Registry = DEFAULT_REGISTRY): name is FormatName {
  return isFormatName(name) && parsersFor(name, registry).length > 0;
}

interface Scope {
  readonly parsers: readonly Parser[];
  readonly ignorables: readonly Ignorable[];
  readonly by: RoutedBy | null;
}

function scopeOf(pin: Pin | null, registry: Registry): Scope {
  if (pin === null || pin.kind !== 'pin') return { parsers: registry.parsers, ignorables: registry.ignorables, by: null };
  const source = sourceOf(pin.format);
  return { parsers: parsersFor(pin.format, registry), ignorables: registry.ignorables.filter((i) => i.source === source), by: 'rule' };
}

/**
 * Route from the key alone, or null when content has to decide. Under a pin, the pinned
 * source's ignorables and parsers are the only candidates, and content still decides unless a
 * key pattern did (a pinned object may be a digest copied to a custom prefix).
 */
export function routeByKey(key: string, registry: Registry = DEFAULT_REGISTRY, pin: Pin | null = null): Route | null {
  if (pin?.kind === 'ignore') return { kind: 'ignore', name: pin.name, by: 'rule' };
  if (pin?.kind === 'pin' && pin.exact === true) {
    const parser = parserById(pin.format, registry);
    if (parser !== undefined) return { kind: 'parse', parser, by: 'rule' };
  }
  const scope = scopeOf(pin, registry);
  for (const ig of scope.ignorables) {
    if (ig.keyPatterns.some((p) => p.test(key))) return { kind: 'ignore', name: ig.name, by: scope.by ?? 'key' };
  }
  for (const parser of scope.parsers) {
    if (parser.keyPatterns.some((p) => p.test(key))) return { kind: 'parse', parser, by: scope.by ?? 'key' };
  }
  return null;
}

/**
 * Route from the first decoded text of the object. Under a pin, a parser of the pinned format
 * is chosen even when none sniffs the text: the rule says what the object is, and its lines
 * are then accounted for as records or rejections instead of failing the object whole.
 */
export function routeByContent(head: string, registry: Registry = DEFAULT_REGISTRY, pin: Pin | null = null): Route {
  const scope = scopeOf(pin, registry);
  const by = scope.by ?? 'content';
  for (const ig of scope.ignorables) {
    if (ig.sniff(head)) return { kind: 'ignore', name: ig.name, by };
  }
  for (const parser of scope.parsers) {
    if (parser.sniff(head)) return { kind: 'parse', parser, by };
  }
  const fallback = pin?.kind === 'pin' ? scope.parsers[0] : undefined;
  return fallback !== undefined ? { kind: 'parse', parser: fallback, by } : { kind: 'unknown' };
}

/** Finds a parser by its unique id. */
export function parserById(id: string, registry: Registry = DEFAULT_REGISTRY): Parser | undefined {
  return registry.parsers.find((p) => p.id === id);
}
