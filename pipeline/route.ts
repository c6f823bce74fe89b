/**
 * Chooses the format of an object: first by AWS's documented key naming, then by sniffing the
 * first decoded text. An object nothing recognizes is `unknown`, never guessed.
 */
import { IGNORABLES, PARSERS, type Ignorable, type Parser } from '../parsers/index.js';

export type Route =
  | { readonly kind: 'parse'; readonly parser: Parser; readonly by: 'rule' | 'key' | 'content' }
  | { readonly kind: 'ignore'; readonly name: string; readonly by: 'rule' | 'key' | 'content' }
  | { readonly kind: 'unknown' };

/** Bytes of decoded content that content sniffing looks at. */
export const HEAD_BYTES = 4096;

export interface Registry {
  readonly parsers: readonly Parser[];
  readonly ignorables: readonly Ignorable[];
}

export const DEFAULT_REGISTRY: Registry = { parsers: PARSERS, ignorables: IGNORABLES };

/** Route from the key alone, or null when content has to decide. */
export function routeByKey(key: string, registry: Registry = DEFAULT_REGISTRY): Route | null {
  for (const ig of registry.ignorables) {
    if (ig.keyPatterns.some((p) => p.test(key))) return { kind: 'ignore', name: ig.name, by: 'key' };
  }
  for (const parser of registry.parsers) {
    if (parser.keyPatterns.some((p) => p.test(key))) return { kind: 'parse', parser, by: 'key' };
  }
  return null;
}

/** Route from the first decoded text of the object. */
export function routeByContent(head: string, registry: Registry = DEFAULT_REGISTRY): Route {
  for (const ig of registry.ignorables) {
    if (ig.sniff(head)) return { kind: 'ignore', name: ig.name, by: 'content' };
  }
  for (const parser of registry.parsers) {
    if (parser.sniff(head)) return { kind: 'parse', parser, by: 'content' };
  }
  return { kind: 'unknown' };
}

/** Finds a parser by its source name. */
export function parserByName(name: string, registry: Registry = DEFAULT_REGISTRY): Parser | undefined {
  return registry.parsers.find((p) => p.name === name);
}
