/**
 * The CloudWatch Logs intake (docs/cwlogs.md): subscription payloads into the lake through the
 * normal run of an object. Two ways in:
 *
 * - **Lambda path** (`ingestSubscriptionPayload`): `functions/cwlogs` decodes the invocation
 *   (`cwlogs-payload.ts`) and hands over the payload; its events become one virtual object.
 * - **Firehose path** (`cwlogsFirehose`, an `ObjectHook` of `processObject`): an S3 object that
 *   Kinesis Data Firehose wrote from a subscription is concatenated payloads (gzip members, or JSON
 *   texts with Firehose decompression on, possibly gzipped again by Firehose). The worker
 *   recognizes it by content and splits its payloads into virtual objects, one per log stream.
 *   The object itself gets a manifest (`source` `cwlogs`) that sums the counts of its virtual
 *   objects and lists their outputs, so a re-run of the object replaces exactly what the last
 *   one wrote, like any object.
 *
 * Each virtual object runs through the core `processObject` (no format hooks) with an in-memory
 * source and the pin its log group's map entry gives: partitions, rejects, identity columns and
 * a manifest of its own, named after its log stream, first event id and a digest of its event ids.
 */
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import type { RejectReason, SkipReason } from '../../schema/index.js';
import { afterCompleteMember, decompress, detectCompression, salvageGzip, type ByteCounter, type Compression } from '../decode/decompress.js';
import { decodeVisible } from '../decode/utf8.js';
import { JsonRecordFramer, type FrameSink, type ParsedJson } from '../framing/framing.js';
import { DEFAULT_LOG_GROUP_MAP, GENERIC_FORMAT, VirtualObjects, looksLikePayload, readPayload, type IntakeSite, type LogGroupMap, type Payload, type VirtualObject } from './cwlogs-payload.js';
import { ErrorsWriter } from '../run/errors-writer.js';
import { settleRun } from '../run/continuation.js';
import { LoglakeError, ObjectError, TransientError } from '../run/errors.js';
import { dayFromKey, errorsKey, manifestKey, objectId } from '../run/identity.js';
import { parseManifest, serializeManifest, type Damage, type Manifest, type PartitionOutput } from '../run/manifest.js';
import type { PipelineOptions } from '../run/options.js';
import { processObject, type ObjectHook, type ObjectReport, type ProcessDeps, type ProcessOne } from '../run/process-object.js';
import { DEFAULT_REGISTRY, HEAD_BYTES, routeByContent, routeByKey, sourceOf, type Pin, type Registry } from '../route/route.js';
import { objectUri, type LakeSink, type ObjectRef, type ObjectSource, type OpenedObject } from '../storage/storage.js';

/** Bytes already in memory, served as an object. */
class InlineSource implements ObjectSource {
  constructor(private readonly bytes: Buffer) {}

  async open(): Promise<OpenedObject> {
    const bytes = this.bytes;
    return {
      body: (async function* (): AsyncGenerator<Uint8Array> {
        yield bytes;
      })(),
      size: bytes.byteLength,
    };
  }
}

/** What the intake needs to write virtual objects. */
export interface IntakeDeps {
  readonly sink: LakeSink;
  readonly options: PipelineOptions;
  readonly map: LogGroupMap;
  readonly site: IntakeSite;
  readonly registry?: Registry;
  readonly now?: () => number;
  readonly createdBy?: string;
}

/** Runs one virtual object through the core run, pinned to its format. */
export function processVirtualObject(v: VirtualObject, deps: IntakeDeps): Promise<ObjectReport> {
  return processObject(v.ref, {
    source: new InlineSource(v.content),
    sink: deps.sink,
    options: deps.options,
    registry: deps.registry ?? DEFAULT_REGISTRY,
    rule: () => v.pin,
    hooks: [],
    ...(deps.now !== undefined ? { now: deps.now } : {}),
    ...(deps.createdBy !== undefined ? { createdBy: deps.createdBy } : {}),
  });
}

/** What became of one payload of the Lambda path. */
export interface PayloadOutcome {
  readonly payload: Payload;
  /** One report per virtual object written (none for a control message or a payload without events). */
  readonly reports: readonly ObjectReport[];
}

/**
 * One decoded subscription payload into the lake (the Lambda path): its events as one virtual
 * object, written and replaced like any object. A `CONTROL_MESSAGE` writes nothing. Transient
 * and unexpected errors are thrown (the invocation fails and is retried); a virtual object that
 * fails comes back as a `failed` report.
 */
export async function ingestSubscriptionPayload(payload: Payload, deps: IntakeDeps): Promise<PayloadOutcome> {
  if (payload.kind === 'control') return { payload, reports: [] };
  const objects = new VirtualObjects(deps.map, deps.site);
  objects.add(payload);
  const reports: ObjectReport[] = [];
  for (const v of objects.take()) reports.push(await processVirtualObject(v, deps));
  return { payload, reports };
}

// ---------------------------------------------------------------------------------------------
// The Firehose path

/**
 * Message text held before the virtual objects gathered so far are written (then later payloads
 * of the same streams start new virtual objects). Fixed, so the same object always splits the
 * same way and a re-run rewrites the same names.
 */
export const FLUSH_CHARS = 64 * 1024 * 1024;

/** Codes of a compressed stream that broke after it began to decode. */
const DAMAGE_CODES: ReadonlySet<string> = new Set(['truncated_gzip', 'corrupt_gzip', 'corrupt_archive']);
const isDamage = (e: unknown): e is ObjectError => e instanceof ObjectError && DAMAGE_CODES.has(e.code);

/** The decoded text of the first bytes of an opened object, for the payload check; the body is released. */
async function headOf(opened: OpenedObject, where: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  const raw = opened.body[Symbol.asyncIterator]();
  let first: Buffer = Buffer.alloc(0);
  while (first.byteLength < 4) {
    const next = await raw.next();
    if (next.done === true) break;
    first = Buffer.concat([first, next.value]);
  }
  // Payloads come as gzip members or plain JSON: a zip or Parquet object is never one (and a
  // Parquet object would be spooled whole to be peeked at).
  const kind = detectCompression(first);
  if (kind !== 'gzip' && kind !== 'none') {
    (opened.body as { destroy?: () => void }).destroy?.();
    return '';
  }
  const body = (async function* (): AsyncGenerator<Uint8Array> {
    yield first;
    for (;;) {
      const next = await raw.next();
      if (next.done === true) return;
      yield next.value;
    }
  })();
  const content = decompress(body, where, { bytes: 0 });
  try {
    for await (const chunk of content) {
      chunks.push(chunk.data);
      size += chunk.data.byteLength;
      if (size >= HEAD_BYTES) break;
    }
  } catch {
    // Damage in the first bytes: not this hook's to judge; the core run reports it.
  } finally {
    (opened.body as { destroy?: () => void }).destroy?.();
  }
  let head = Buffer.concat(chunks, size);
  // Firehose compressing payloads that are gzip members already: gzip inside gzip.
  if (head.byteLength >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    try {
      head = gunzipSync(head, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch {
      return '';
    }
  }
  return decodeVisible(head, 0, Math.min(head.byteLength, HEAD_BYTES)).text;
}

/** The pin that lets this hook look at an object: none, or one of the `cwlogs` source. */
function claimablePin(pin: Pin | null): boolean {
  return pin === null || (pin.kind === 'pin' && sourceOf(pin.format) === 'cwlogs');
}

/**
 * True when the object is a Firehose delivery of subscription payloads this hook must read:
 * no rule pins another format, no key pattern routes it, its decoded content starts with a
 * payload, and no parser recognizes that content itself (CloudTrail's parser has always read
 * CloudWatch Logs envelopes of CloudTrail events, and keeps doing so). Costs one extra read of
 * the first bytes, only for objects that neither a rule nor a key pattern routes.
 */
export async function isPayloadObject(ref: ObjectRef, deps: ProcessDeps): Promise<boolean> {
  if (deps.resume !== undefined) return false;
  const registry = deps.registry ?? DEFAULT_REGISTRY;
  const pin = deps.rule?.(ref) ?? null;
  if (!claimablePin(pin)) return false;
  if (routeByKey(ref.key, registry, pin) !== null) return false;
  let opened: OpenedObject;
  try {
    opened = await deps.source.open(ref);
  } catch (e) {
    // Throttling or a 5xx: the message is retried. Unreadable: the core run opens it again and records why.
    if (e instanceof TransientError) throw e;
    return false;
  }
  const head = await headOf(opened, objectUri(ref));
  if (!looksLikePayload(head)) return false;
  return pin !== null || routeByContent(head, registry).kind === 'unknown';
}

/** Rejections of the object itself (payloads that are not payloads), written to its own errors file. */
interface OwnReject {
  readonly ordinal: number;
  readonly reason: RejectReason;
  readonly detail: string;
  readonly raw: string;
}

const add = <K extends string>(into: Partial<Record<K, number>>, from: Partial<Record<K, number>>): void => {
  for (const [k, v] of Object.entries(from) as Array<[K, number]>) into[k] = (into[k] ?? 0) + v;
};

/** One run of the Firehose path over one object. */
class PayloadObjectRun implements FrameSink {
  private readonly uri: string;
  private readonly id: string;
  private readonly objects: VirtualObjects;
  private readonly intake: IntakeDeps;
  private readonly started: number;
  private readonly reports: ObjectReport[] = [];
  private readonly rejects: OwnReject[] = [];
  private frames = 0;
  private invalidUtf8 = 0;
  private skippedOwn: Partial<Record<SkipReason, number>> = {};
  private compression: Compression | null = null;
  private readonly counter: ByteCounter = { bytes: 0 };
  private decompressed = 0;
  private damage: Damage | null = null;
  private opened: OpenedObject | null = null;

  constructor(
    private readonly ref: ObjectRef,
    private readonly deps: ProcessDeps,
    map: LogGroupMap,
    site: IntakeSite,
    private readonly flushChars: number,
  ) {
    this.uri = objectUri(ref);
    this.id = objectId(ref);
    this.objects = new VirtualObjects(map, site);
    this.intake = {
      sink: deps.sink,
      options: deps.options,
      map,
      site,
      ...(deps.registry !== undefined ? { registry: deps.registry } : {}),
      ...(deps.now !== undefined ? { now: deps.now } : {}),
      ...(deps.createdBy !== undefined ? { createdBy: deps.createdBy } : {}),
    };
    this.started = (deps.now ?? Date.now)();
  }

  /** A top-level JSON value of the object: a payload, or a rejection of the object's own. */
  frame(text: string, invalidUtf8: boolean, _cells?: readonly string[], json?: ParsedJson): void {
    const ordinal = ++this.frames;
    if (invalidUtf8) this.invalidUtf8++;
    if (json === undefined || !json.ok) {
      this.own(ordinal, 'invalid_json', text, json?.ok === false ? json.error : 'not JSON');
      return;
    }
    const payload = readPayload(json.value);
    if (!('kind' in payload)) {
      this.own(ordinal, payload.reason, text, `not a CloudWatch Logs payload: ${payload.detail}`);
      return;
    }
    if (payload.kind === 'control') {
      this.skippedOwn.control = (this.skippedOwn.control ?? 0) + 1;
      return;
    }
    this.objects.add(payload);
  }

  /** A frame the framer could not cut as JSON (oversized, truncated, not JSON at all). */
  reject(reason: RejectReason, raw: string, detail: string): void {
    this.own(++this.frames, reason, raw, detail);
  }

  private own(ordinal: number, reason: RejectReason, raw: string, detail: string): void {
    const max = this.deps.options.maxRejectRawBytes;
    this.rejects.push({ ordinal, reason, detail, raw: raw.length > max ? raw.slice(0, max) : raw });
  }

  private async flush(): Promise<void> {
    for (const v of this.objects.take()) this.reports.push(await processVirtualObject(v, this.intake));
  }

  /** The decoded JSON text of the object, salvaging a damaged gzip like the core run does. */
  private async *content(opened: OpenedObject): AsyncGenerator<Buffer> {
    let delivered = 0;
    const outer = async function* (self: PayloadObjectRun, body: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
      for await (const chunk of decompress(body, self.uri, self.counter, (c) => (self.compression = c))) yield chunk.data;
    };
    try {
      for await (const data of outer(this, opened.body)) {
        delivered += data.byteLength;
        yield data;
      }
    } catch (e) {
      if (!isDamage(e) || this.compression !== 'gzip') throw e;
      let again: OpenedObject;
      try {
        again = await this.deps.source.open(opened.versionId !== undefined ? { ...this.ref, versionId: opened.versionId } : this.ref);
      } catch {
        throw e;
      }
      if (again.etag !== undefined && opened.etag !== undefined && again.etag !== opened.etag) throw e;
      for await (const data of salvageGzip(again.body, delivered, this.uri)) {
        delivered += data.byteLength;
        yield data;
      }
      throw e;
    }
  }

  /** Reads the object's payloads, writes their virtual objects, and settles the object's manifest. */
  async run(): Promise<ObjectReport> {
    const opened = await this.deps.source.open(this.ref);
    this.opened = opened;
    const framer = new JsonRecordFramer(this, this.deps.options, [], this.uri);
    let inner: AsyncGenerator<Buffer> | null = null;
    let first = true;
    const chunks = this.content(opened);
    try {
      for (;;) {
        const next = await chunks.next();
        if (next.done === true) break;
        let data = next.value;
        // Gzip inside gzip (Firehose compressing gzip members): decode the inner layer as it streams.
        if (first) {
          first = false;
          if (data.byteLength >= 2 && data[0] === 0x1f && data[1] === 0x8b) {
            inner = this.innerGunzip(data, chunks);
            break;
          }
        }
        this.push(framer, data);
        if (this.objects.held >= this.flushChars) await this.flush();
      }
      if (inner !== null) {
        for await (const data of inner) {
          this.push(framer, data);
          if (this.objects.held >= this.flushChars) await this.flush();
        }
      }
      framer.end();
    } catch (e) {
      if (!isDamage(e) || this.frames + this.objects.size === 0) throw e;
      this.damage = { reason: e.code, detail: e.message, compressed_bytes_unread: opened.size !== undefined ? Math.max(0, opened.size - this.counter.bytes) : null };
      if (afterCompleteMember(e)) framer.end();
      else {
        const cut = framer.abandon();
        if (cut !== null) this.reject('damaged_input', cut.text, `${cut.bytes} bytes cut off by the damage: ${e.message}`);
      }
    }
    await this.flush();
    return this.settle();
  }

  private push(framer: JsonRecordFramer, data: Buffer): void {
    this.decompressed += data.byteLength;
    framer.push(data);
  }

  private async *innerGunzip(first: Buffer, rest: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
    const body = (async function* (): AsyncGenerator<Uint8Array> {
      yield first;
      for (;;) {
        const next = await rest.next();
        if (next.done === true) return;
        yield next.value;
      }
    })();
    for await (const chunk of decompress(body, `${this.uri} (gzip inside gzip)`, { bytes: 0 })) yield chunk.data;
  }

  /** Day of the object's own rejects: its first output's, else the key's, else today's. */
  private rejectsDay(outputs: readonly PartitionOutput[]): string {
    return outputs[0]?.dt ?? dayFromKey(this.ref.key) ?? new Date(this.started).toISOString().slice(0, 10);
  }

  private async writeRejects(outputs: readonly PartitionOutput[]): Promise<string | null> {
    if (this.rejects.length === 0) return null;
    const key = errorsKey(GENERIC_FORMAT, this.rejectsDay(outputs), this.id);
    const writer = new ErrorsWriter(await this.deps.sink.create(key));
    try {
      for (const r of this.rejects) writer.add({ object: this.uri, ...r });
      await writer.close();
    } catch (e) {
      await writer.abort();
      throw e;
    }
    return key;
  }

  private async settle(): Promise<ObjectReport> {
    const failed = this.reports.find((r) => r.manifest.status === 'failed');
    const outputs = this.reports.flatMap((r) => r.manifest.outputs).sort((a, b) => a.key.localeCompare(b.key));
    const parts = this.reports.flatMap((r) => (r.manifest.errors_output !== null ? [r.manifest.errors_output] : []));
    const errorsOutput = failed === undefined ? await this.writeRejects(outputs) : null;
    const rejectedBy: Partial<Record<RejectReason, number>> = {};
    const skippedBy: Partial<Record<SkipReason, number>> = { ...this.skippedOwn };
    for (const r of this.rejects) rejectedBy[r.reason] = (rejectedBy[r.reason] ?? 0) + 1;
    let linesIn = 0;
    let records = 0;
    let rejected = this.rejects.length;
    let skipped = Object.values(this.skippedOwn).reduce((n, v) => n + (v ?? 0), 0);
    let drift = 0;
    let invalidUtf8 = this.invalidUtf8;
    const invalidValues: Record<string, number> = {};
    for (const { manifest: m } of this.reports) {
      linesIn += m.lines_in;
      records += m.records;
      rejected += m.rejected;
      skipped += m.skipped;
      drift += m.schema_drift ?? 0;
      invalidUtf8 += m.invalid_utf8_lines;
      add(rejectedBy, m.rejected_by_reason);
      add(skippedBy, m.skipped_by_reason);
      add(invalidValues, m.invalid_values ?? {});
    }
    linesIn += this.rejects.length + Object.values(this.skippedOwn).reduce((n, v) => n + (v ?? 0), 0);
    const opened = this.opened;
    const finished = (this.deps.now ?? Date.now)();
    const pin = this.deps.rule?.(this.ref) ?? null;
    const status = failed !== undefined ? 'failed' : this.damage !== null ? 'damaged' : 'ok';
    const built: Manifest = {
      manifest_version: 1,
      object: this.uri,
      object_id: this.id,
      bucket: this.ref.bucket,
      key: this.ref.key,
      version_id: opened?.versionId ?? this.ref.versionId ?? null,
      etag: opened?.etag ?? opened?.etagAfterRead?.() ?? null,
      source: GENERIC_FORMAT,
      parser_id: GENERIC_FORMAT,
      parser_version: `${GENERIC_FORMAT}@${VERSION}`,
      routed_by: pin !== null ? 'rule' : 'content',
      status,
      reason: failed !== undefined ? failed.manifest.reason : (this.damage?.reason ?? null),
      error: failed !== undefined ? `virtual object ${failed.manifest.object}: ${failed.manifest.error ?? ''}` : null,
      compression: this.compression,
      entries: this.compression === 'empty' ? 0 : 1,
      bytes_in: this.counter.bytes,
      bytes_decompressed: this.decompressed,
      lines_in: linesIn,
      records,
      rejected,
      skipped,
      rejected_by_reason: rejectedBy,
      skipped_by_reason: skippedBy,
      invalid_utf8_lines: invalidUtf8,
      outputs,
      errors_output: errorsOutput,
      earlier_errors_outputs: parts,
      started_at: new Date(this.started).toISOString(),
      finished_at: new Date(finished).toISOString(),
      duration_ms: finished - this.started,
      object_last_modified: opened?.lastModifiedMs !== undefined ? new Date(opened.lastModifiedMs).toISOString() : null,
      schema_drift: drift,
      invalid_values: invalidValues,
      damage: this.damage,
    };
    const mKey = manifestKey(GENERIC_FORMAT, this.id);
    const previous = parseManifest(await this.deps.sink.get(mKey));
    const { manifest, stale } = settleRun(built, previous, null, null);
    await this.deps.sink.put(mKey, serializeManifest(manifest));
    if (stale.length > 0) await this.deps.sink.delete(stale);
    const error = failed === undefined ? null : (failed.error ?? new LoglakeError(failed.manifest.reason ?? 'failed', manifest.error ?? ''));
    return { manifest, error };
  }
}

/** `parser_version` of the object manifests of this path: the generic parser's version. */
const VERSION = 1;

/** The settings of the Firehose path. */
export interface FirehoseSettings {
  /** @default the built-in entries only */
  readonly map?: LogGroupMap;
  /** Region of the log groups, for the names of the virtual objects. @default the map's `region`, else unknown ('') */
  readonly region?: string;
  /** Message text held before the virtual objects gathered so far are written. @default FLUSH_CHARS (tests set less) */
  readonly flushChars?: number;
}

/** The Firehose path as an `ObjectHook`: objects of subscription payloads are split into virtual objects; everything else goes on. */
export function cwlogsFirehose(settings: FirehoseSettings = {}): ObjectHook {
  const map = settings.map ?? DEFAULT_LOG_GROUP_MAP;
  const site: IntakeSite = { region: settings.region ?? map.region ?? '' };
  return {
    name: 'cwlogs-firehose',
    async around(ref: ObjectRef, deps: ProcessDeps, next: ProcessOne): Promise<ObjectReport> {
      if (!(await isPayloadObject(ref, deps))) return next(ref, deps);
      try {
        return await new PayloadObjectRun(ref, deps, map, site, settings.flushChars ?? FLUSH_CHARS).run();
      } catch (e) {
        if (!(e instanceof ObjectError)) throw e;
        // Unreadable or undecodable as a whole: the core run meets the same problem and records it.
        return next(ref, deps);
      }
    },
  };
}
