/**
 * The manifest of an object whose processing threw instead of returning a report: what a loop
 * over many objects (`loglake ingest`) records so that one object's unexpected exception — a
 * parser bug, a runaway recursion — costs that object only. `processObject` throws for such
 * errors on purpose (the Lambda worker lets SQS retry them); a local run has no one to retry,
 * so the failure is written down where `processObject` would have put the object's manifest.
 */
import { Readable } from 'node:stream';
import { settleRun } from './continuation.js';
import { decompress } from '../decode/decompress.js';
import { LoglakeError } from './errors.js';
import { manifestKey, objectId } from './identity.js';
import { parseManifest, serializeManifest, type Manifest } from './manifest.js';
import { DEFAULT_REGISTRY, HEAD_BYTES, routeByContent, routeByKey, type Pin, type Registry, type Route } from '../route/route.js';
import { objectUri, type LakeSink, type ObjectRef, type ObjectSource } from '../storage/storage.js';
import type { ObjectReport } from './process-object.js';
import { decodeVisible } from '../decode/utf8.js';

/** Manifest `reason` (and error code) of an object stopped by an exception no tier claims. */
export const INTERNAL_ERROR = 'internal_error';

/** What recording a failure needs: the object's store and lake, and how it was routed. */
export interface FailureDeps {
  readonly source: ObjectSource;
  readonly sink: LakeSink;
  /** @default DEFAULT_REGISTRY */
  readonly registry?: Registry;
  readonly rule?: (ref: ObjectRef) => Pin | null;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * The route `processObject` took for `ref`, found again after it threw: the manifest has to
 * land under the same source folder, or a later successful run would leave the failed manifest
 * behind beside its own. Never throws: what cannot be routed is `unknown`.
 */
export async function routeAgain(ref: ObjectRef, deps: FailureDeps): Promise<Route> {
  const registry = deps.registry ?? DEFAULT_REGISTRY;
  let pin: Pin | null = null;
  try {
    pin = deps.rule?.(ref) ?? null;
  } catch {
    // The rule may be what threw; key and content still route the object.
  }
  const byKey = routeByKey(ref.key, registry, pin);
  if (byKey !== null) return byKey;
  let body: AsyncIterable<Uint8Array> | null = null;
  try {
    const opened = await deps.source.open(ref);
    body = opened.body;
    for await (const chunk of decompress(opened.body, objectUri(ref), { bytes: 0 })) {
      if (!chunk.entryStart) continue;
      return routeByContent(decodeVisible(chunk.data, 0, Math.min(chunk.data.byteLength, HEAD_BYTES)).text, registry, pin);
    }
  } catch {
    // Unreadable now: the failure is still recorded, under `unknown`.
  } finally {
    // Only the head was read: release the file instead of waiting for the collector.
    if (body instanceof Readable) body.destroy();
  }
  return { kind: 'unknown' };
}

/** The manifest folder of a route, as `processObject` names it. */
function sourceFolder(route: Route): string {
  if (route.kind === 'parse') return route.parser.source;
  if (route.kind === 'ignore') return route.name;
  return 'unknown';
}

/** `thrown` as the pipeline's error: its own errors keep their code, anything else is `internal_error`. */
export function asPipelineError(thrown: unknown): LoglakeError {
  if (thrown instanceof LoglakeError) return thrown;
  // The class name stays in the text: RangeError vs TypeError is most of what a bug report needs.
  const text = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : `thrown: ${String(thrown)}`;
  return new LoglakeError(INTERNAL_ERROR, text, { cause: thrown });
}

/**
 * A `failed` manifest for `ref` with zero counts. Outputs of `previous` stay listed: the failed
 * run wrote nothing, so the previous run's files are still the object's live data.
 */
export function failedManifest(ref: ObjectRef, route: Route, error: LoglakeError, previous: Manifest | null, started: number, finished: number): Manifest {
  const built: Manifest = {
    manifest_version: 1,
    object: objectUri(ref),
    object_id: objectId(ref),
    bucket: ref.bucket,
    key: ref.key,
    version_id: ref.versionId ?? null,
    etag: null,
    source: route.kind === 'parse' ? route.parser.source : null,
    parser_id: route.kind === 'parse' ? route.parser.id : null,
    parser_version: route.kind === 'parse' ? `${route.parser.id}@${route.parser.version}` : null,
    routed_by: route.kind === 'unknown' ? null : route.by,
    status: 'failed',
    reason: error.code,
    error: error.message,
    compression: null,
    entries: 0,
    bytes_in: 0,
    bytes_decompressed: 0,
    lines_in: 0,
    records: 0,
    rejected: 0,
    skipped: 0,
    rejected_by_reason: {},
    skipped_by_reason: {},
    invalid_utf8_lines: 0,
    outputs: previous ? [...previous.outputs] : [],
    errors_output: previous?.errors_output ?? null,
    started_at: new Date(started).toISOString(),
    finished_at: new Date(finished).toISOString(),
    duration_ms: finished - started,
    object_last_modified: null,
    schema_drift: 0,
  };
  return settleRun(built, previous, null, null).manifest;
}

/**
 * Records that processing `ref` threw `thrown`: writes its failed manifest where
 * `processObject` keeps the object's manifest and returns the report a failed object gets.
 * Throws only when the lake itself cannot be read or written.
 */
export async function recordObjectFailure(ref: ObjectRef, thrown: unknown, deps: FailureDeps, started: number): Promise<ObjectReport> {
  const error = asPipelineError(thrown);
  const route = await routeAgain(ref, deps);
  const key = manifestKey(sourceFolder(route), objectId(ref));
  const previous = parseManifest(await deps.sink.get(key));
  const manifest = failedManifest(ref, route, error, previous, started, (deps.now ?? Date.now)());
  await deps.sink.put(key, serializeManifest(manifest));
  return { manifest, error };
}
