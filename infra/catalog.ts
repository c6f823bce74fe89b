/**
 * The query side: Glue database, the `events`, `errors`, `replays`, `objects` and `integrity` tables, the Athena workgroup and
 * its saved queries.
 *
 * Columns come from `schema/` and nowhere else, so the table cannot drift from what the worker
 * writes. Partition projection replaces crawlers and `MSCK REPAIR`: a partition is queryable the
 * moment its first file lands.
 */
import { Annotations, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EVENT_TIME_RANGE, INTEGRITY_ROWS_PREFIX, INTEGRITY_TABLE_COLUMNS, MANIFEST_COLUMNS, REPLAY_COLUMNS, SOURCES, glueColumns, glueErrorColumns, gluePartitionKeys, projectionDayRange } from '../schema/index.js';
import { LAKE_PREFIXES } from '../schema/lake-layout.js';
import { NAMED_QUERIES } from './queries.js';

/** Properties of {@link LakeCatalog}. */
export interface LakeCatalogProps {
  readonly databaseName: string;
  readonly workgroupName: string;
  /** The central bucket holding `lake/` and `errors/`. */
  readonly lakeBucket: s3.IBucket;
  readonly resultsBucket: s3.IBucket;
  /** Customer key for query results; SSE-S3 when absent. */
  readonly encryptionKey?: kms.IKey;
  /** Per-query scan limit. */
  readonly maxScannedMiBPerQuery: number;
  /**
   * First day partition projection enumerates, `YYYY-MM-DD`. @default EVENT_TIME_RANGE.firstDay,
   * the first day the worker accepts, so every row it writes is a row Athena can see.
   */
  readonly partitionsFrom?: string;
}

/**
 * Table parameters for partition projection over `source=<enum>/dt=<day>` under `location`.
 *
 * The date range is the one the worker enforces on event times (`schema/limits.ts`): it ends
 * after now because a record's `dt` is its event time, which can be slightly ahead of the clock
 * evaluating the query in another time zone.
 */
function projection(location: string, partitionsFrom: string): Record<string, string> {
  return {
    'projection.enabled': 'true',
    'projection.source.type': 'enum',
    'projection.source.values': SOURCES.join(','),
    'projection.dt.type': 'date',
    'projection.dt.format': 'yyyy-MM-dd',
    'projection.dt.range': projectionDayRange(partitionsFrom),
    'projection.dt.interval': '1',
    'projection.dt.interval.unit': 'DAYS',
    'storage.location.template': `${location}source=\${source}/dt=\${dt}/`,
  };
}

/** Glue database and tables, Athena workgroup and named queries. */
export class LakeCatalog extends Construct {
  readonly databaseName: string;
  readonly workgroupName: string;

  constructor(scope: Construct, id: string, props: LakeCatalogProps) {
    super(scope, id);
    const catalogId = Stack.of(this).account;
    this.databaseName = props.databaseName;
    this.workgroupName = props.workgroupName;
    const partitionsFrom = props.partitionsFrom ?? EVENT_TIME_RANGE.firstDay;
    if (partitionsFrom > EVENT_TIME_RANGE.firstDay) {
      // Kept as configured (a later start prunes projection), but the user must know the cost.
      Annotations.of(this).addWarningV2(
        'loglake:partitionsFrom',
        `lake.partitionsFrom is ${partitionsFrom}, later than ${EVENT_TIME_RANGE.firstDay}, the first day the worker accepts: rows dated before ${partitionsFrom} are written to the lake but Athena never sees them (docs/deploy.md)`,
      );
    }

    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId,
      databaseInput: { name: props.databaseName, description: 'loglake: AWS logs normalized into one schema' },
    });

    const eventsLocation = `s3://${props.lakeBucket.bucketName}/${LAKE_PREFIXES.lake}`;
    const events = new glue.CfnTable(this, 'EventsTable', {
      catalogId,
      databaseName: props.databaseName,
      tableInput: {
        name: 'events',
        description: 'every normalized log record, one row per event (docs/schema.md)',
        tableType: 'EXTERNAL_TABLE',
        parameters: { classification: 'parquet', EXTERNAL: 'TRUE', ...projection(eventsLocation, partitionsFrom) },
        partitionKeys: gluePartitionKeys(),
        storageDescriptor: {
          columns: glueColumns(),
          location: eventsLocation,
          inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
        },
      },
    });
    events.node.addDependency(database);

    const errorsLocation = `s3://${props.lakeBucket.bucketName}/${LAKE_PREFIXES.errors}`;
    const errors = new glue.CfnTable(this, 'ErrorsTable', {
      catalogId,
      databaseName: props.databaseName,
      tableInput: {
        name: 'errors',
        description: 'rejected lines with their object, position, reason and raw text',
        tableType: 'EXTERNAL_TABLE',
        parameters: { classification: 'json', compressionType: 'gzip', EXTERNAL: 'TRUE', ...projection(errorsLocation, partitionsFrom) },
        partitionKeys: gluePartitionKeys(),
        storageDescriptor: {
          columns: glueErrorColumns(),
          location: errorsLocation,
          // Text input reads `.gz` files transparently, by extension.
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
        },
      },
    });
    errors.node.addDependency(database);

    /** A table over JSON lines: replay run records, manifests, integrity rows. */
    const jsonTable = (
      id: string,
      spec: { name: string; description: string; columns: ReadonlyArray<{ name: string; athena: string; comment: string }>; prefix: string; serdeParameters?: Record<string, string> },
    ): glue.CfnTable => {
      const table = new glue.CfnTable(this, id, {
        catalogId,
        databaseName: props.databaseName,
        tableInput: {
          name: spec.name,
          description: spec.description,
          tableType: 'EXTERNAL_TABLE',
          parameters: { classification: 'json', EXTERNAL: 'TRUE' },
          storageDescriptor: {
            columns: spec.columns.map((c) => ({ name: c.name, type: c.athena, comment: c.comment })),
            location: `s3://${props.lakeBucket.bucketName}/${spec.prefix}`,
            inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
            outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
            serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe', ...(spec.serdeParameters ? { parameters: spec.serdeParameters } : {}) },
          },
        },
      });
      table.node.addDependency(database);
      return table;
    };
    const replays = jsonTable('ReplaysTable', {
      name: 'replays',
      description: 'one row per replay run record: parameters, status, counts, errors (docs/replay.md)',
      columns: REPLAY_COLUMNS,
      prefix: LAKE_PREFIXES.replays,
    });
    const objects = jsonTable('ObjectsTable', {
      name: 'objects',
      description: 'one row per source object, its last run as its manifest records it: status, reason, counts, outputs, times (docs/objects.md)',
      columns: MANIFEST_COLUMNS,
      prefix: LAKE_PREFIXES.manifests,
      // Manifests written before they were one line each read as rows of nulls instead of
      // failing every query; they become rows again when their object is next ingested.
      serdeParameters: { 'ignore.malformed.json': 'TRUE' },
    });
    const integrity = jsonTable('IntegrityTable', {
      name: 'integrity',
      description: 'CloudTrail log file integrity validation by the worker: one row per digest and per log file it lists, with its status (docs/integrity.md)',
      columns: INTEGRITY_TABLE_COLUMNS,
      prefix: INTEGRITY_ROWS_PREFIX,
    });

    const workgroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: props.workgroupName,
      description: 'loglake queries: encrypted results, bounded scans',
      state: 'ENABLED',
      // Lets the stack delete the workgroup together with its saved queries.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.maxScannedMiBPerQuery * 1024 * 1024,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${props.resultsBucket.bucketName}/`,
          encryptionConfiguration: props.encryptionKey
            ? { encryptionOption: 'SSE_KMS', kmsKey: props.encryptionKey.keyArn }
            : { encryptionOption: 'SSE_S3' },
        },
      },
    });

    for (const q of NAMED_QUERIES) {
      const query = new athena.CfnNamedQuery(this, q.id, {
        name: q.name,
        description: q.description,
        database: props.databaseName,
        workGroup: workgroup.name,
        queryString: q.sql,
      });
      query.node.addDependency(workgroup, database);
    }
  }
}
