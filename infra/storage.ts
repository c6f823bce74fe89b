/**
 * The stateful storage of a deployment: the central bucket, its access-log bucket, the Athena
 * results bucket and the optional customer KMS key.
 *
 * Kept apart from everything that runs code, so replacing a function or a queue can never touch
 * the data, and everything here is retained when the stack is deleted.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { lakeAreas, type LakeArea } from '../schema/lake-layout.js';
import type { LakeConfig } from './config.js';

/** Properties of {@link LakeStorage}. */
export interface LakeStorageProps {
  /** Deployment name, used for the key alias. */
  readonly name: string;
  readonly lake: LakeConfig;
  /** Days Athena query results are kept. */
  readonly resultRetentionDays: number;
  /** True when the RDS log exporter is deployed: `raw/` and `rds-export/` get their lifecycle rules. @default false */
  readonly rdsExport?: boolean;
  /** The CloudWatch Logs Firehose stream is deployed: it writes `raw/cwlogs/`, which then needs its lifecycle rule. @default false */
  readonly cwlogsFirehose?: boolean;
}

/** Incomplete multipart uploads (a worker killed mid-upload) are cleaned up after this. */
const ABORT_MULTIPART_AFTER = Duration.days(7);

/** The central bucket with its retention rules, the access-log bucket and the query-results bucket. */
export class LakeStorage extends Construct {
  /** Customer key of the deployment, when `lake.kms` is on. */
  readonly key: kms.IKey | undefined;
  /** The central bucket, laid out as `schema/lake-layout.ts` says. */
  readonly bucket: s3.IBucket;
  /** Receives the server access logs of the other two buckets. */
  readonly accessLogs: s3.IBucket;
  /** Where Athena writes query results. */
  readonly queryResults: s3.IBucket;

  constructor(scope: Construct, id: string, props: LakeStorageProps) {
    super(scope, id);
    const { lake } = props;

    const key = lake.kms
      ? new kms.Key(this, 'Key', {
          alias: `alias/${props.name}`,
          description: `loglake ${props.name}: central bucket, queues, ops topic and query results`,
          enableKeyRotation: true,
          removalPolicy: RemovalPolicy.RETAIN,
        })
      : undefined;
    this.key = key;
    // Bucket keys cut KMS requests (and their cost) by orders of magnitude for many small objects.
    const encryption: Pick<s3.BucketProps, 'encryption' | 'encryptionKey' | 'bucketKeyEnabled'> = key
      ? { encryption: s3.BucketEncryption.KMS, encryptionKey: key, bucketKeyEnabled: true }
      : { encryption: s3.BucketEncryption.S3_MANAGED };

    // S3 server access logging can only deliver to SSE-S3 buckets, whatever `lake.kms` says.
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'expire-access-logs',
          expiration: Duration.days(lake.accessLogRetentionDays),
          abortIncompleteMultipartUploadAfter: ABORT_MULTIPART_AFTER,
        },
      ],
    });
    this.accessLogs = accessLogs;

    const bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: lake.bucketName ?? undefined,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      ...encryption,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'central/',
      removalPolicy: RemovalPolicy.RETAIN,
      ...(lake.objectLock
        ? {
            objectLockEnabled: true,
            objectLockDefaultRetention:
              lake.objectLock.mode === 'COMPLIANCE'
                ? s3.ObjectLockRetention.compliance(Duration.days(lake.objectLock.days))
                : s3.ObjectLockRetention.governance(Duration.days(lake.objectLock.days)),
          }
        : {}),
      lifecycleRules: lifecycleRules(lake, props.rdsExport ?? false, props.cwlogsFirehose ?? false),
    });
    this.bucket = bucket;

    this.queryResults = new s3.Bucket(this, 'QueryResults', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      ...encryption,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'query-results/',
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'expire-query-results',
          expiration: Duration.days(props.resultRetentionDays),
          abortIncompleteMultipartUploadAfter: ABORT_MULTIPART_AFTER,
        },
      ],
    });
  }
}

/**
 * Lifecycle rules by prefix, one per area of the lake layout, chosen by what the area holds:
 * queryable data gets cheaper with age but stays queryable (Glacier Instant Retrieval, never
 * Flexible, which Athena cannot read); bookkeeping is tiny (no transition pays off) but must not
 * outlive the data it describes; the raw archive goes to Glacier Flexible Retrieval because
 * nobody queries it. Replaced versions and stalled uploads are cleaned up everywhere.
 */
function lifecycleRules(lake: LakeConfig, rdsExport: boolean, cwlogsFirehose: boolean): s3.LifecycleRule[] {
  const expiration = lake.retentionDays !== null ? Duration.days(lake.retentionDays) : undefined;
  const ruleFor = (area: LakeArea & { readonly name: string }): s3.LifecycleRule | null => {
    switch (area.kind) {
      case 'queryable':
        return {
          id: `${area.name}-tiers`,
          prefix: area.prefix,
          transitions: [
            { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(lake.infrequentAccessAfterDays) },
            ...(lake.glacierInstantAfterDays !== null
              ? [{ storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(lake.glacierInstantAfterDays) }]
              : []),
          ],
          expiration,
        };
      case 'bookkeeping':
        return expiration ? { id: `${area.name}-expiry`, prefix: area.prefix, expiration } : null;
      case 'archive':
        return {
          id: `${area.name}-archive`,
          prefix: area.prefix,
          transitions: [{ storageClass: s3.StorageClass.GLACIER, transitionAfter: Duration.days(lake.rawGlacierAfterDays) }],
          expiration: lake.rawRetentionDays !== null ? Duration.days(lake.rawRetentionDays) : undefined,
        };
    }
  };
  const perArea = lakeAreas(lake.archiveRaw, rdsExport, cwlogsFirehose).flatMap((area) => ruleFor(area) ?? []);
  const housekeeping: s3.LifecycleRule = {
    id: 'housekeeping',
    abortIncompleteMultipartUploadAfter: ABORT_MULTIPART_AFTER,
    noncurrentVersionExpiration: Duration.days(lake.noncurrentVersionRetentionDays),
    expiredObjectDeleteMarker: true,
  };
  return [...perArea, housekeeping];
}
