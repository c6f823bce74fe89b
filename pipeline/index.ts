/**
 * The front door of `pipeline/`: everything `cli/`, `functions/` and `query/` use of the pipeline,
 * and the one place that assembles it. The rooms behind it, in data-path order:
 *   decode/    magic bytes, gzip/zip, UTF-8: bytes of an object → decoded content chunks
 *   route/     key patterns, content sniffing, ignorables first, user rules → a parser (or none)
 *   framing/   content → frames (lines, JSON records, CSV rows) → `Parser` results
 *   run/       one object end to end (`processObject`): memory budget, continuation, manifest,
 *              errors output; plus the shared vocabulary (errors, identity, options, version)
 *   parquet/   rows → Parquet files (the only user of `hyparquet-writer` internals)
 *   storage/   the source/sink ports and their local and S3 adapters, AWS clients and errors
 *   messages/  queue messages (S3/SNS/EventBridge/Config notifications, replays, continuations)
 *              → objects to run (`ingestMessage`)
 *   formats/   format extensions the core runs as hooks without importing them (CUR assemblies,
 *              inline Config items)
 *   replay/    the producer side of replays: list a date range of a bucket prefix by its day
 *              folders and dated names, and select what needs replaying from the manifests
 * The S3 adapters and AWS clients go out through `pipeline/aws.ts` instead, so that what runs
 * without AWS never loads the AWS SDK. The run entry points exported here (`processObject`, `ingestLocalFiles`, `ingestMessage`) are
 * the core ones with the format hooks of `formats/` wired in, unless the caller passes its own
 * `hooks`. Tests and benches may import the rooms directly; the core entry points there run no
 * format hook unless given one.
 */
import { FORMAT_HOOKS } from './formats/extensions.js';
import { ingestMessage as ingestMessageCore, type IngestMessageDeps, type MessageOutcome } from './messages/ingest-message.js';
import { ingestLocalFiles as ingestLocalFilesCore, type IngestLocalOptions, type IngestSummary } from './run/ingest-files.js';
import { processObject as processObjectCore, type ObjectHook, type ObjectReport, type ProcessDeps } from './run/process-object.js';
import type { ObjectRef } from './storage/storage.js';

/** `deps` with the format hooks when the caller chose none. */
function withFormatHooks<T extends { readonly hooks?: readonly ObjectHook[] }>(deps: T): T {
  return deps.hooks !== undefined ? deps : { ...deps, hooks: FORMAT_HOOKS };
}

/** One object end to end, format extensions included (see `run/process-object.ts`). */
export function processObject(ref: ObjectRef, deps: ProcessDeps): Promise<ObjectReport> {
  return processObjectCore(ref, withFormatHooks(deps));
}

/** Local files into a local lake, format extensions included (see `run/ingest-files.ts`). */
export function ingestLocalFiles(files: readonly string[], opts: IngestLocalOptions): Promise<IngestSummary> {
  return ingestLocalFilesCore(files, withFormatHooks(opts));
}

/** One queue message end to end, format extensions included (see `messages/ingest-message.ts`). */
export function ingestMessage(body: string, messageId: string, deps: IngestMessageDeps): Promise<MessageOutcome> {
  return ingestMessageCore(body, messageId, withFormatHooks(deps));
}

export { FORMAT_HOOKS, formatHooks, type FormatSettings } from './formats/extensions.js';
export { ingestSubscriptionPayload, isPayloadObject, processVirtualObject, type IntakeDeps, type PayloadOutcome } from './formats/cwlogs.js';
export {
  DEFAULT_LOG_GROUP_MAP,
  decodeSubscriptionEvent,
  looksLikePayload,
  parseLogGroupMap,
  readPayload,
  routeLogGroup,
  validateLogGroupMap,
  type IntakeSite,
  type LogGroupMap,
  type Payload,
} from './formats/cwlogs-payload.js';
export { processConfigChange } from './formats/config-items.js';
export { DEFAULT_MISSING_LOG_AFTER_MS, type IntegritySettings } from './formats/cloudtrail-integrity.js';
export type { AlarmTopic } from './storage/alarm-topic.js';
export { failedObjects, type ConfigItemHandler, type IngestMessageDeps, type MessageOutcome, type ObjectOutcome } from './messages/ingest-message.js';
export { decodeNotification, encodeWorkerMessage, type Notification, type ReplayMessage, type WorkerMessage } from './messages/notifications.js';
export { DEFAULT_REGISTRY } from './route/route.js';
export { daysOf, isDay, listRange, LIST_CONCURRENCY, type Candidate, type DayRange, type ListFilter, type Listing, type ListPage, type ListPages, type ListRequest } from './replay/list.js';
export { FolderListPages } from './replay/folder-pages.js';
export { auditDigests, summarize as summarizeAudit, type AuditProgress, type AuditResult, type AuditSource, type AuditSummary, type DigestRef } from './integrity/audit.js';
export { authenticate, checkDigest, UNREADABLE_CONTENT, type CheckInput, type DigestCheck, type DigestUnderCheck, type PreviousDigest } from './integrity/check.js';
export { DigestError, digestKeyFacts, parseDigest, type Digest, type DigestKeyFacts, type DigestLogFile } from './integrity/digest.js';
export { hashUncompressed, uncompressed } from './integrity/hash.js';
export { isNotFound, objectAuditSource } from './integrity/object-source.js';
export { MemoryPublicKeyStore, parsePublicKeyList, PublicKeyError, publicKeyEntry, type PublicKeyEntry, type PublicKeyLoader, type PublicKeyStore } from './integrity/public-keys.js';
export { sha256Hex, signingString, SIGNING_ALGORITHM, verifyDigestSignature } from './integrity/signature.js';
export { findManifest, finishedSince, parseParserVersion, selectForReplay, type Selection, type SkipRule } from './replay/skip.js';
export { estimateReplay, PRICES, type Estimate } from './replay/estimate.js';
export { decodeReplayRequest, encodeReplayRequest, readParams, type ReplayRequest } from './replay/control.js';
export { CHUNK_OBJECTS, produce, readRecord, ReplayRunError, requestCancel, resumeReplay, startReplay, windowsOf, type ProducerDeps } from './replay/producer.js';
export {
  isRunId,
  newRunId,
  parseRecord,
  replayCancelKey,
  replayRecordKey,
  REPLAY_CONTROL_PREFIX,
  REPLAYS_PREFIX,
  type ReplayMode,
  type ReplayParams,
  type ReplayRecord,
  type ReplayStatus,
} from './replay/record.js';
export { MAX_BATCH_BYTES, MAX_BATCH_ENTRIES, packBatches, replayBody, sendBatch, type FailedEntry, type QueueEntry, type ReplayQueue } from './replay/send.js';
export { parseRules, readRulesFile, ruleRouter, type RoutingRules } from './route/rules.js';
export { ConfigError, LoglakeError, MessageError, ObjectError, TransientError } from './run/errors.js';
export { listLocalFiles, type IngestLocalOptions, type IngestSummary, type ObjectOfRun, type S3Names } from './run/ingest-files.js';
export { recordObjectFailure } from './run/failed-manifest.js';
export { defaultThreads, MAX_THREADS, resolveOptions, type ParquetCodec, type PipelineOptions } from './run/options.js';
export type { ObjectHook, ObjectReport, ProcessDeps } from './run/process-object.js';
export { LOGLAKE_USER_AGENT } from './run/version.js';
export { toPipelineError } from './storage/aws-errors.js';
export { LocalLakeSink, LocalSource, TEMP_NAME } from './storage/local-storage.js';
export { bucketOwner, parseSourceAccess, roleFor, type SourceAccess, type SourceRole } from './storage/source-access.js';
export type { LakeSink, ObjectRef, ObjectSource } from './storage/storage.js';
