/**
 * The pipeline's second door: its S3 adapters and AWS client setup, for the Lambda worker and
 * the CLI verbs that talk to AWS. Kept apart from `pipeline/index.ts` so that a command that
 * never touches AWS (`loglake formats`, `ingest`, a local `query`) does not load the AWS SDK,
 * which alone takes ~200 ms to import.
 */
export { clientConfig, createS3Client, createSqsClient } from './storage/aws-clients.js';
export { queueRegion, SqsReplayQueue } from './replay/sqs-queue.js';
export { requireOutput, stackOutputs } from './storage/stack-outputs.js';
export { S3ListPages } from './replay/s3-pages.js';
export { RawArchiver } from './storage/raw-archive.js';
export { S3LakeSink } from './storage/s3-sink.js';
export { S3Source } from './storage/s3-source.js';
export { createSourceReaders, SourceReaders, type SourceReader } from './storage/source-readers.js';
export { assumedRoleCredentials, type AssumedRole, type RoleCredentials } from './storage/assume-role.js';
export { cloudTrailKeyLoader, createCloudTrailClient } from './storage/cloudtrail-public-keys.js';
export { createSnsClient, SnsAlarmTopic } from './storage/alarm-topic.js';
