/**
 * The top-level prefixes of the central bucket and what the worker does under each.
 *
 * One list, because three readers must agree on it and used to keep their own copies: the
 * pipeline builds its keys from these prefixes (`pipeline/run/identity.ts`), the stack derives every
 * S3 grant of the worker role and every per-prefix lifecycle rule from it (`infra/`), and the
 * infra tests check both against what the real worker does on a local S3. A prefix the worker
 * touches but this list omits is a prefix the deployed role refuses with AccessDenied.
 */

/**
 * What the worker does to objects under a prefix, as S3 authorizes it:
 * - `put`: writes objects (single PUT or multipart upload, aborted when a write fails);
 * - `copy`: writes objects by server-side copy of a source object, its tags included;
 * - `get`: reads objects back;
 * - `delete`: deletes objects (outputs a re-run or a newer report version replaces);
 * - `list`: reads keys that may not exist yet, so a missing one must answer 404, not 403; S3
 *   grants that through bucket listing, which IAM cannot narrow to a prefix for this purpose.
 */
export type LakeAccess = 'put' | 'copy' | 'get' | 'delete' | 'list';

/**
 * What the objects under a prefix are, which decides how long and where they are kept:
 * - `queryable`: read by Athena through a Glue table; tiered to cheaper classes Athena still
 *   reads, expired with the lake's retention;
 * - `bookkeeping`: small state the worker reads back; never tiered (no transition pays off for
 *   tiny objects), expired with the lake's retention so it never outlives the data it describes;
 * - `archive`: original source objects, never queried; moved to Glacier Flexible Retrieval.
 */
export type LakeAreaKind = 'queryable' | 'bookkeeping' | 'archive';

/** One top-level prefix of the central bucket. */
export interface LakeArea {
  /** The prefix, one key segment ending in `/`. */
  readonly prefix: string;
  /** Everything the worker does there; its role is granted exactly this. */
  readonly worker: readonly LakeAccess[];
  /** Everything the replay function does there (reads manifests, writes its run records); its role is granted exactly this. */
  readonly replay: readonly LakeAccess[];
  /**
   * Everything the RDS log exporter does there (writes the log portions it downloads, keeps its
   * state); its role is granted exactly this. Under `raw/` it writes only below {@link RDS_RAW_PREFIX},
   * and its grant there is narrowed to that.
   */
  readonly rdsExport: readonly LakeAccess[];
  /**
   * Everything the CloudWatch Logs intake function does there (the virtual objects of subscription
   * payloads: their Parquet, rejects and manifests, replaced like the worker's); its role is
   * granted exactly this.
   */
  readonly cwlogs: readonly LakeAccess[];
  /**
   * True when the prefix is used only with the raw archive on (`lake.archiveRaw`), or by a
   * function deployed with its own feature that has accesses there (the RDS log exporter writes
   * `raw/rds/`).
   */
  readonly rawArchiveOnly: boolean;
  /** True when the prefix is used only when the RDS log exporter is deployed (`rdsExport`). */
  readonly rdsExportOnly: boolean;
  readonly kind: LakeAreaKind;
  /** What lives there, for documentation and messages. */
  readonly doc: string;
}

/** Every top-level prefix of the central bucket, by name. Nothing else is written there. */
export const LAKE_LAYOUT = {
  lake: {
    prefix: 'lake/',
    worker: ['put', 'delete'],
    replay: [],
    rdsExport: [],
    cwlogs: ['put', 'delete'],
    rawArchiveOnly: false,
    rdsExportOnly: false,
    kind: 'queryable',
    doc: 'Parquet files of the `events` table, `source=<source>/dt=<day>/`; a re-run or a newer report version deletes the files it replaces',
  },
  errors: {
    prefix: 'errors/',
    worker: ['put', 'delete'],
    replay: [],
    rdsExport: [],
    cwlogs: ['put', 'delete'],
    rawArchiveOnly: false,
    rdsExportOnly: false,
    kind: 'queryable',
    doc: 'rejected lines of the `errors` table as gzipped JSON lines, `source=<source>/dt=<day>/`; replaced like `lake/`',
  },
  manifests: {
    prefix: 'manifests/',
    worker: ['put', 'get', 'list'],
    replay: ['get', 'list'],
    rdsExport: [],
    cwlogs: ['put', 'get', 'list'],
    rawArchiveOnly: false,
    rdsExportOnly: false,
    kind: 'bookkeeping',
    doc: 'one manifest per source object: what its last run wrote, read back so a re-run replaces exactly those outputs',
  },
  assemblies: {
    prefix: 'assemblies/',
    worker: ['put', 'get', 'delete', 'list'],
    replay: [],
    rdsExport: [],
    cwlogs: [],
    rawArchiveOnly: false,
    rdsExportOnly: false,
    kind: 'bookkeeping',
    doc: 'Cost and Usage Report versions being assembled: outputs staged until the version is complete, member marks, the version manifest and the pointer to the published version; staged copies are deleted once published',
  },
  raw: {
    prefix: 'raw/',
    worker: ['copy'],
    replay: [],
    rdsExport: ['put'],
    cwlogs: [],
    rawArchiveOnly: true,
    rdsExportOnly: false,
    kind: 'archive',
    doc: 'server-side copies of the source objects, `<source>/<account>/<region>/YYYY/MM/DD/<file>`; with the RDS log exporter, the log portions it downloads, `rds/<account>/<region>/<instance>/<log file name>/<generation>/<sequence>.log.gz`; with the CloudWatch Logs Firehose stream, its objects of subscription payloads, `cwlogs/YYYY/MM/DD/HH/<stream>-…`',
  },
  replays: {
    prefix: 'replays/',
    worker: [],
    replay: ['put', 'get', 'list'],
    rdsExport: [],
    cwlogs: [],
    rawArchiveOnly: false,
    rdsExportOnly: false,
    kind: 'bookkeeping',
    doc: 'one JSON record per replay run, `<run-id>.json`: parameters, status, cursor, counts and errors; the `replays` table',
  },
  replayControl: {
    prefix: 'replay-control/',
    worker: [],
    replay: ['put', 'get', 'list'],
    rdsExport: [],
    cwlogs: [],
    rawArchiveOnly: false,
    rdsExportOnly: false,
    kind: 'bookkeeping',
    doc: 'requests to running replays (`<run-id>/cancel`, written by `loglake replay cancel`) and where each polled source stopped (`poll/…`)',
  },
  rdsExport: {
    prefix: 'rds-export/',
    worker: [],
    replay: [],
    rdsExport: ['put', 'get', 'list'],
    cwlogs: [],
    rawArchiveOnly: false,
    rdsExportOnly: true,
    kind: 'bookkeeping',
    doc: 'the RDS log exporter\'s state, one JSON object per DB instance, `<account>/<region>/<instance>.json`: per log file the marker, bytes exported, generation and sequence, and the messages not yet sent',
  },
  integrity: {
    prefix: 'integrity/',
    worker: ['put', 'get', 'delete', 'list'],
    replay: [],
    rdsExport: [],
    cwlogs: [],
    rawArchiveOnly: false,
    rdsExportOnly: false,
    kind: 'bookkeeping',
    doc: 'CloudTrail log file integrity validation by the worker: `rows/<digest-object-id>.json`, the `integrity` table (one JSON line per digest and per log file it lists, replaced when the digest is checked again); `pending/<log-object-id>.json`, log files a digest listed before they were ingested; `alarms/<finding-id>.json`, findings already published to the alarm topic',
  },
} as const satisfies Readonly<Record<string, LakeArea>>;

/** Name of one area of {@link LAKE_LAYOUT}. */
export type LakeAreaName = keyof typeof LAKE_LAYOUT;

/** The prefix of every area, for building keys: `LAKE_PREFIXES.lake` is `'lake/'`. */
export const LAKE_PREFIXES: { readonly [K in LakeAreaName]: (typeof LAKE_LAYOUT)[K]['prefix'] } = {
  lake: LAKE_LAYOUT.lake.prefix,
  errors: LAKE_LAYOUT.errors.prefix,
  manifests: LAKE_LAYOUT.manifests.prefix,
  assemblies: LAKE_LAYOUT.assemblies.prefix,
  raw: LAKE_LAYOUT.raw.prefix,
  replays: LAKE_LAYOUT.replays.prefix,
  replayControl: LAKE_LAYOUT.replayControl.prefix,
  rdsExport: LAKE_LAYOUT.rdsExport.prefix,
  integrity: LAKE_LAYOUT.integrity.prefix,
};

/** Where the RDS log exporter writes the log portions it downloads: a folder of the raw archive, the only part of `raw/` it may write. */
export const RDS_RAW_PREFIX = `${LAKE_LAYOUT.raw.prefix}rds/`;

/**
 * Where the Firehose stream of the CloudWatch Logs intake writes subscription payloads: a folder
 * of the raw archive (they are source objects the worker reads, as it reads the RDS exporter's).
 */
export const CWLOGS_FIREHOSE_PREFIX = `${LAKE_LAYOUT.raw.prefix}cwlogs/`;

/**
 * The areas a deployment uses: those for the raw archive only with it on (or with the RDS log
 * exporter or the CloudWatch Logs Firehose stream deployed, when they write there), those for the
 * RDS log exporter only with it deployed.
 */
export function lakeAreas(archiveRaw: boolean, rdsExport = false, cwlogsFirehose = false): Array<LakeArea & { readonly name: LakeAreaName }> {
  return (Object.keys(LAKE_LAYOUT) as LakeAreaName[])
    .map((name): LakeArea & { readonly name: LakeAreaName } => ({ name, ...LAKE_LAYOUT[name] }))
    .filter((area) => archiveRaw || !area.rawArchiveOnly || (rdsExport && area.rdsExport.length > 0) || (cwlogsFirehose && area.prefix === LAKE_LAYOUT.raw.prefix))
    .filter((area) => rdsExport || !area.rdsExportOnly);
}
