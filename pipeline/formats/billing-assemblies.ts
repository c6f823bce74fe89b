/**
 * Cost and Usage Report versions ("assemblies") replace each other whole. AWS restates a billing
 * period several times a day, each time into a new `<assemblyId>/` folder with new keys, and
 * lists the files of that version in its `<report>-Manifest.json`. The lake must show exactly one
 * version per report and period, complete: the previous one until the new one has fully landed,
 * then the new one alone.
 *
 * How (all state lives in the lake sink, under `assemblies/billing/<group>/`, outside `lake/` and
 * `errors/`, so Athena and DuckDB never see it):
 * 1. A data file inside an assembly folder is processed as usual, but its outputs are written to
 *    `…/<assembly>/staged/<final key>` instead of the final key (a sink wrapper), so queries do
 *    not see it yet. Its object manifest lists the final keys it will have. When it is done, a
 *    member mark `…/<assembly>/members/<object-id>.json` records its outputs.
 * 2. A CUR manifest (an `Ignorable`, never parsed into rows) is read once more here: its
 *    `reportKeys` name the members of its assembly; they are recorded in `…/manifest.json`.
 * 3. After either step, if the assembly has a manifest and every member has its mark, it is
 *    published: each staged output is copied to its final key, the pointer `current.json` is
 *    moved to the assembly, the outputs of the previously published assembly that the new one
 *    did not rewrite are deleted, and the staged copies are removed.
 * Arrival order does not matter, and racing workers are safe: marks and the manifest are written
 * before the completeness check, so the last writer always sees a complete assembly, and
 * publishing is idempotent. An assembly older than the published one (by the manifest object's
 * last-modified time: a replay of old deliveries) is never published; its staged files are dropped.
 * Like any replace, new outputs are written before old ones are deleted, so the switch-over
 * window shows both versions for the seconds publishing takes, never neither.
 *
 * Reports with "overwrite" versioning (no assembly folder) need none of this: their files keep
 * their keys, and the per-object replace of `processObject` already keeps only the newest rows.
 */
import { createHash } from 'node:crypto';
import { LAKE_PREFIXES } from '../../schema/index.js';
import { curManifest } from '../../parsers/index.js';
import { decompress } from '../decode/decompress.js';
import { ObjectError } from '../run/errors.js';
import { keySegment, manifestKey, objectId } from '../run/identity.js';
import { outputKeys, serializeManifest, type Manifest, type Publication } from '../run/manifest.js';
import type { ObjectHook, ObjectReport, ProcessDeps, ProcessOne } from '../run/process-object.js';
import { objectUri, type LakeSink, type ObjectRef, type OutputFile } from '../storage/storage.js';

/** Where every piece of assembly state lives in the sink. */
export const ASSEMBLIES_PREFIX = `${LAKE_PREFIXES.assemblies}billing/`;

/** Largest CUR manifest read (they list every column; real ones stay well under 1 MiB). */
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

const PERIOD = /^\d{8}-\d{8}$/;

/** What a CUR key says: `<base>/<period>/[<assembly>/]<file>`, where `base` ends with the report name. */
export interface CurKey {
  /** Key up to and including the report-name folder. */
  readonly base: string;
  readonly report: string;
  /** `YYYYMMDD-YYYYMMDD`. */
  readonly period: string;
  /** The assembly folder, or null for an "overwrite" report delivered straight into the period folder. */
  readonly assembly: string | null;
  readonly file: string;
}

/** Parses a CUR data file or manifest key; null for anything else. */
export function curKeyOf(key: string): CurKey | null {
  const parts = key.split('/');
  const n = parts.length;
  let p = -1;
  if (n >= 3 && PERIOD.test(parts[n - 2] as string)) p = n - 2;
  else if (n >= 4 && PERIOD.test(parts[n - 3] as string)) p = n - 3;
  if (p < 1) return null;
  const report = parts[p - 1] as string;
  const file = parts[n - 1] as string;
  if (report === '' || !file.startsWith(`${report}-`)) return null;
  return { base: parts.slice(0, p).join('/'), report, period: parts[p] as string, assembly: p === n - 3 ? (parts[n - 2] as string) : null, file };
}

const isDataFile = (k: CurKey): boolean => new RegExp(`^${k.report.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d+\\.csv(?:\\.gz|\\.zip)?$`).test(k.file);

/** One report and billing period of one bucket: the unit whose versions replace each other. */
function groupOf(bucket: string, k: CurKey): string {
  return createHash('sha256').update(bucket).update('\n').update(k.base).update('\n').update(k.period).digest('hex').slice(0, 20);
}

const groupPrefix = (group: string): string => `${ASSEMBLIES_PREFIX}${group}/`;
const assemblyPrefix = (group: string, assembly: string): string => `${groupPrefix(group)}${keySegment(assembly, 'assembly')}/`;
const registrationKey = (group: string, assembly: string): string => `${assemblyPrefix(group, assembly)}manifest.json`;
const markKey = (group: string, assembly: string, id: string): string => `${assemblyPrefix(group, assembly)}members/${id}.json`;
const currentKey = (group: string): string => `${groupPrefix(group)}current.json`;
const stagedKey = (group: string, assembly: string, key: string): string => `${assemblyPrefix(group, assembly)}staged/${key}`;

/** An assembly as its CUR manifest describes it. */
interface Registration {
  readonly version: 1;
  readonly bucket: string;
  readonly report: string;
  readonly period: string;
  readonly assembly: string;
  /** When AWS delivered it (the manifest object's last-modified time): orders assemblies. */
  readonly delivered_at_ms: number;
  /** Keys of the data files, re-rooted on the manifest's own location. */
  readonly members: readonly string[];
  readonly manifest_object: string;
}

/** A member data file that has been processed, with the final keys of its outputs. */
interface MemberMark {
  readonly version: 1;
  readonly key: string;
  readonly outputs: readonly string[];
  readonly ingested_at: string;
}

/** The assembly whose rows the lake shows for a report and period. */
interface Current {
  readonly version: 1;
  readonly assembly: string;
  readonly delivered_at_ms: number;
  readonly published: readonly string[];
  readonly published_at: string;
}

const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

function readJson(bytes: Uint8Array | null): Record<string, unknown> | null {
  if (bytes === null) return null;
  try {
    const v: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function asRegistration(v: Record<string, unknown> | null): Registration | null {
  if (v === null || v.version !== 1 || typeof v.assembly !== 'string' || typeof v.bucket !== 'string' || typeof v.delivered_at_ms !== 'number' || !strings(v.members)) return null;
  return v as unknown as Registration;
}

function asMark(v: Record<string, unknown> | null): MemberMark | null {
  return v !== null && v.version === 1 && strings(v.outputs) ? (v as unknown as MemberMark) : null;
}

function asCurrent(v: Record<string, unknown> | null): Current | null {
  return v !== null && v.version === 1 && typeof v.assembly === 'string' && typeof v.delivered_at_ms === 'number' && strings(v.published) ? (v as unknown as Current) : null;
}

const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

/**
 * The sink of a data file that belongs to an assembly: what would go live under `lake/` or
 * `errors/` goes to the assembly's staging folder instead; manifests pass through. Deleting a
 * stale output of an earlier run deletes its staged copy only: the live lake changes at publish.
 */
class StagingSink implements LakeSink {
  constructor(
    private readonly inner: LakeSink,
    private readonly group: string,
    private readonly assembly: string,
  ) {}

  private staged(key: string): string {
    return key.startsWith(LAKE_PREFIXES.lake) || key.startsWith(LAKE_PREFIXES.errors) ? stagedKey(this.group, this.assembly, key) : key;
  }

  describe(key: string): string {
    return this.inner.describe(this.staged(key));
  }

  create(key: string): Promise<OutputFile> {
    return this.inner.create(this.staged(key));
  }

  put(key: string, bytes: Uint8Array | string): Promise<void> {
    return this.inner.put(this.staged(key), bytes);
  }

  get(key: string): Promise<Uint8Array | null> {
    return this.inner.get(key);
  }

  /** Reads like `get` and writes like `put`: a copy into the live lake lands in staging too. */
  copy(fromKey: string, toKey: string): Promise<boolean> {
    return this.inner.copy(fromKey, this.staged(toKey));
  }

  delete(keys: readonly string[]): Promise<void> {
    return this.inner.delete(keys.map((k) => this.staged(k)));
  }
}

/**
 * Runs `processOne` with CUR assembly semantics: data files of an assembly are staged and
 * published when their assembly is complete; CUR manifests register their assembly. Every other
 * object goes straight through.
 */
export async function withBillingAssemblies(ref: ObjectRef, deps: ProcessDeps, processOne: ProcessOne): Promise<ObjectReport> {
  const cur = curKeyOf(ref.key);
  if (cur === null) return processOne(ref, deps);
  if (cur.assembly !== null && isDataFile(cur)) {
    const group = groupOf(ref.bucket, cur);
    const report = await processOne(ref, { ...deps, sink: new StagingSink(deps.sink, group, cur.assembly) });
    if (report.manifest.status !== 'ok' || report.manifest.source !== 'billing') return report;
    const mark: MemberMark = { version: 1, key: ref.key, outputs: outputKeys(report.manifest), ingested_at: report.manifest.finished_at };
    await deps.sink.put(markKey(group, cur.assembly, objectId(ref)), json(mark));
    const publication = await settle(deps.sink, group, cur.assembly, deps.now ?? Date.now);
    // The object's records are queryable only once its assembly is live: say so where they are counted.
    const manifest: Manifest = { ...report.manifest, publication };
    await deps.sink.put(manifestKey(report.manifest.source ?? 'billing', objectId(ref)), serializeManifest(manifest));
    return { ...report, manifest };
  }
  const report = await processOne(ref, deps);
  if (report.manifest.status !== 'ignored' || report.manifest.reason !== curManifest.name) return report;
  try {
    const publication = await register(ref, cur, deps);
    if (publication === null) return report;
    const manifest: Manifest = { ...report.manifest, publication };
    await deps.sink.put(manifestKey(curManifest.name, objectId(ref)), serializeManifest(manifest));
    return { ...report, manifest };
  } catch (e) {
    if (!(e instanceof ObjectError)) throw e;
    // The manifest was recorded as ignored; say instead why its assembly cannot complete.
    const failed = { ...report.manifest, status: 'failed' as const, reason: e.code, error: e.message };
    await deps.sink.put(manifestKey(curManifest.name, objectId(ref)), serializeManifest(failed));
    return { manifest: failed, error: e };
  }
}

/** CUR report versions as an `ObjectHook` of `processObject`: registered by the pipeline's front door. */
export const billingAssemblies: ObjectHook = { name: 'billing-assemblies', around: withBillingAssemblies };

async function readAll(body: AsyncIterable<Uint8Array>, where: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of decompress(body, where, { bytes: 0 })) {
    size += chunk.data.byteLength;
    if (size > MAX_MANIFEST_BYTES) throw new ObjectError('unknown_format', `${where}: a CUR manifest larger than ${MAX_MANIFEST_BYTES} bytes is not a manifest`);
    chunks.push(chunk.data);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Reads a CUR manifest and records the assembly it describes, then publishes it if complete.
 * Returns where the assembly stands, or null for a report whose files are replaced key by key.
 */
async function register(ref: ObjectRef, cur: CurKey, deps: ProcessDeps): Promise<Publication | null> {
  const where = objectUri(ref);
  const opened = await deps.source.open(ref);
  const text = await readAll(opened.body, where);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ObjectError('unknown_format', `${where}: the CUR manifest is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const reportKeys = typeof doc === 'object' && doc !== null ? (doc as { reportKeys?: unknown }).reportKeys : undefined;
  const assemblyId = typeof doc === 'object' && doc !== null ? (doc as { assemblyId?: unknown }).assemblyId : undefined;
  if (!strings(reportKeys) || typeof assemblyId !== 'string') {
    throw new ObjectError('unknown_format', `${where}: a CUR manifest needs "assemblyId" (string) and "reportKeys" (array of keys)`);
  }
  const members: string[] = [];
  let assembly: string | null = cur.assembly;
  for (const rk of reportKeys) {
    const k = curKeyOf(rk);
    // Files straight in the period folder: an "overwrite" report, replaced key by key.
    if (k === null || k.assembly === null) return null;
    if (assembly !== null && k.assembly !== assembly) {
      throw new ObjectError('unknown_format', `${where}: reportKeys name assembly folders ${JSON.stringify(assembly)} and ${JSON.stringify(k.assembly)}; one manifest lists one assembly`);
    }
    assembly = k.assembly;
    // Re-rooted on the manifest's location, so a report copied to another prefix (or a local folder) still matches.
    members.push(`${cur.base}/${cur.period}/${k.assembly}/${k.file}`);
  }
  assembly ??= assemblyId;
  const group = groupOf(ref.bucket, cur);
  const registration: Registration = {
    version: 1,
    bucket: ref.bucket,
    report: cur.report,
    period: cur.period,
    assembly,
    delivered_at_ms: opened.lastModifiedMs ?? (deps.now ?? Date.now)(),
    members,
    manifest_object: where,
  };
  const existing = asRegistration(readJson(await deps.sink.get(registrationKey(group, assembly))));
  // The period-folder manifest and the assembly-folder one describe the same delivery: keep the first time seen.
  const delivered = existing !== null ? Math.min(existing.delivered_at_ms, registration.delivered_at_ms) : registration.delivered_at_ms;
  await deps.sink.put(registrationKey(group, assembly), json({ ...registration, delivered_at_ms: delivered }));
  return settle(deps.sink, group, assembly, deps.now ?? Date.now);
}

/** Publishes the assembly when its manifest and every member mark are present; says where it stands. */
async function settle(sink: LakeSink, group: string, assembly: string, now: () => number): Promise<Publication> {
  const registration = asRegistration(readJson(await sink.get(registrationKey(group, assembly))));
  if (registration === null) {
    return { state: 'staged', why: `waiting for the report manifest of assembly ${assembly}, which lists the files of this report version` };
  }
  const marks: MemberMark[] = [];
  const missing: string[] = [];
  for (const key of registration.members) {
    const mark = asMark(readJson(await sink.get(markKey(group, assembly, objectId({ bucket: registration.bucket, key })))));
    if (mark === null) missing.push(key);
    else marks.push(mark);
  }
  if (missing.length > 0) {
    return { state: 'staged', why: `waiting for ${missing.length} of ${registration.members.length} files of assembly ${assembly}, e.g. ${missing[0] as string}` };
  }
  return publish(sink, group, registration, marks, now());
}

async function publish(sink: LakeSink, group: string, registration: Registration, marks: readonly MemberMark[], now: number): Promise<Publication> {
  const assembly = registration.assembly;
  const staged = marks.flatMap((m) => m.outputs.map((k) => stagedKey(group, assembly, k)));
  const current = asCurrent(readJson(await sink.get(currentKey(group))));
  if (current !== null && current.assembly !== assembly && current.delivered_at_ms > registration.delivered_at_ms) {
    // An older version completing after a newer one went live (a replay): it never goes live.
    await sink.delete(staged);
    return { state: 'discarded', why: `assembly ${assembly} is older than the live assembly ${current.assembly}; its rows were dropped` };
  }
  const published: string[] = [];
  for (const mark of marks) {
    for (const key of mark.outputs) {
      // Not copied when absent: a concurrent publisher of this assembly has already moved it into place.
      await sink.copy(stagedKey(group, assembly, key), key);
      published.push(key);
    }
  }
  const next: Current = { version: 1, assembly, delivered_at_ms: registration.delivered_at_ms, published, published_at: new Date(now).toISOString() };
  await sink.put(currentKey(group), json(next));
  const live = new Set(published);
  const stale = (current?.published ?? []).filter((k) => !live.has(k));
  if (stale.length > 0) await sink.delete(stale);
  await sink.delete(staged);
  return { state: 'live', why: `assembly ${assembly} published: ${marks.length} files` };
}
