/**
 * Which listed objects a replay runs: by default those whose manifest does not already show the
 * same ETag read by the current version of its parser (or, for objects ignored by their key,
 * which are never opened and so have no ETag, the same ignorable); `force` runs all; `parserOlderThan`
 * runs exactly the objects an older version of one parser wrote. Each skip is counted by rule.
 */
import { SOURCES } from '../../schema/index.js';
import { DEFAULT_REGISTRY, parserById, routeByKey, type Registry } from '../route/route.js';
import { manifestKey, objectId } from '../run/identity.js';
import { parseManifest, type Manifest } from '../run/manifest.js';
import type { LakeSink } from '../storage/storage.js';
import { LIST_CONCURRENCY, type Candidate } from './list.js';

export type SkipRule = 'unchanged' | 'not-older-parser';

export interface SelectOptions {
  readonly force?: boolean;
  /** `<parser-id>@<version>`: only objects whose manifest names that parser at a lower version. */
  readonly parserOlderThan?: { readonly id: string; readonly version: number };
  readonly registry?: Registry;
  /** Manifests read at once. @default LIST_CONCURRENCY */
  readonly concurrency?: number;
}

export interface Selection {
  readonly replay: Candidate[];
  readonly skipped: Candidate[];
  readonly skippedBy: Record<SkipRule, number>;
  /** The rule that skipped each skipped key. */
  readonly ruleOf: ReadonlyMap<string, SkipRule>;
}

/** Parses `id@version` against the registry, or says why it is not one. */
export function parseParserVersion(text: string, registry: Registry = DEFAULT_REGISTRY): { id: string; version: number } | string {
  const m = /^([a-z0-9-]+)@(\d+)$/.exec(text);
  if (!m) return `expected <parser-id>@<version>, e.g. cloudtrail@2, got ${JSON.stringify(text)}`;
  const id = m[1] as string;
  if (parserById(id, registry) === undefined) return `unknown parser ${JSON.stringify(id)}; known: ${registry.parsers.map((p) => p.id).join(', ')}`;
  return { id, version: Number(m[2]) };
}

/**
 * Manifest folders to look in for an object whose key routes to `source`: a key that routes
 * by itself has its manifest in that folder (one GET per object); a key that content decides
 * may have it in any. A run under a user rule that pinned another source is not found and so
 * replayed: the safe direction.
 */
function folders(source: string, registry: Registry): string[] {
  if (source !== 'unknown') return [source];
  return [...SOURCES, ...registry.ignorables.map((i) => i.name), 'unknown'];
}

/** The stored manifest of a listed object of `bucket`, or null when it has none. */
async function manifestOf(sink: LakeSink, bucket: string, c: Pick<Candidate, 'key' | 'source'>, registry: Registry): Promise<Manifest | null> {
  const id = objectId({ bucket, key: c.key });
  for (const folder of folders(c.source, registry)) {
    const m = parseManifest(await sink.get(manifestKey(folder, id)));
    if (m !== null && m.bucket === bucket && m.key === c.key) return m;
  }
  return null;
}

/**
 * The stored manifest of any object, found the way a replay finds a listed one: in the folder its
 * key routes to, or, when content decided, in each folder in turn. Null when it has none.
 */
export async function findManifest(sink: LakeSink, bucket: string, key: string, registry: Registry = DEFAULT_REGISTRY): Promise<Manifest | null> {
  const route = routeByKey(key, registry, null);
  const source = route?.kind === 'parse' ? route.parser.source : route?.kind === 'ignore' ? route.name : 'unknown';
  return manifestOf(sink, bucket, { key, source }, registry);
}

/** Splits the listed objects of `bucket` into those to replay and those skipped, by rule. */
export async function selectForReplay(candidates: readonly Candidate[], bucket: string, lake: LakeSink | null, opts: SelectOptions = {}): Promise<Selection> {
  const concurrency = opts.concurrency ?? LIST_CONCURRENCY;
  const registry = opts.registry ?? DEFAULT_REGISTRY;
  const skippedBy: Record<SkipRule, number> = { unchanged: 0, 'not-older-parser': 0 };
  if (opts.force === true || lake === null) {
    if (opts.parserOlderThan === undefined) return { replay: [...candidates], skipped: [], skippedBy, ruleOf: new Map() };
  }
  const verdicts = new Array<SkipRule | null>(candidates.length).fill(null);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < candidates.length) {
      const i = next++;
      const c = candidates[i] as Candidate;
      const m = lake === null ? null : await manifestOf(lake, bucket, c, registry);
      verdicts[i] = verdict(c, m, opts, registry);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const replay: Candidate[] = [];
  const skipped: Candidate[] = [];
  const ruleOf = new Map<string, SkipRule>();
  candidates.forEach((c, i) => {
    const v = verdicts[i] ?? null;
    if (v === null) replay.push(c);
    else {
      skipped.push(c);
      skippedBy[v]++;
      ruleOf.set(c.key, v);
    }
  });
  return { replay, skipped, skippedBy, ruleOf };
}

function verdict(c: Candidate, m: Manifest | null, opts: SelectOptions, registry: Registry): SkipRule | null {
  const older = opts.parserOlderThan;
  if (older !== undefined) {
    const parserId = m?.parser_id ?? m?.parser_version?.split('@')[0] ?? null;
    const version = Number(m?.parser_version?.split('@')[1] ?? Number.NaN);
    return m !== null && parserId === older.id && version < older.version ? null : 'not-older-parser';
  }
  if (opts.force === true || m === null) return null;
  if (m.status === 'failed' || m.status === 'partial') return null;
  // Ignored by its key (a digest, a CUR manifest): never opened, so no ETag, and the same key
  // routes the same way whatever the bytes.
  if (m.status === 'ignored' && m.routed_by === 'key' && m.reason === c.source) return 'unchanged';
  if (m.etag === null || c.etag === null || m.etag !== c.etag) return null;
  if (m.status === 'ignored' && m.parser_version === null) return 'unchanged';
  const parser = m.parser_id ? parserById(m.parser_id, registry) : undefined;
  return parser !== undefined && m.parser_version === `${parser.id}@${parser.version}` ? 'unchanged' : null;
}

/** Of the listed objects, those whose manifest says a run finished at or after `sinceIso` (ok or not), and how many of those failed. */
export async function finishedSince(candidates: readonly Candidate[], bucket: string, lake: LakeSink, sinceIso: string, opts: { registry?: Registry; concurrency?: number } = {}): Promise<{ finished: number; failed: number }> {
  const registry = opts.registry ?? DEFAULT_REGISTRY;
  let finished = 0;
  let failed = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < candidates.length) {
      const c = candidates[next++] as Candidate;
      const m = await manifestOf(lake, bucket, c, registry);
      if (m === null || m.finished_at < sinceIso) continue;
      finished++;
      if (m.status === 'failed') failed++;
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? LIST_CONCURRENCY }, worker));
  return { finished, failed };
}
