/**
 * The worker's part in CloudTrail log file integrity validation (docs/integrity.md): the
 * variables that turn it on, CloudTrail's public keys, and findings published to the ops topic.
 * Its accesses under `integrity/` of the central bucket come from the lake layout with the rest.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { INGEST_ENV } from '../functions/ingest/env-names.js';
import type { IntegrityConfig } from './config.js';
import { acknowledge } from './nag.js';
import type { IngestWorker } from './worker.js';

export function workerIntegrity(worker: IngestWorker, topic: sns.ITopic, config: IntegrityConfig): void {
  if (!config.enabled) return;
  const fn = worker.function;
  fn.addEnvironment(INGEST_ENV.integrity, 'true');
  fn.addEnvironment(INGEST_ENV.missingLogAfterHours, String(config.missingLogAfterHours));
  fn.addEnvironment(INGEST_ENV.alarmTopicArn, topic.topicArn);
  worker.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ListCloudTrailPublicKeys', actions: ['cloudtrail:ListPublicKeys'], resources: ['*'] }));
  // Not grantPublish: with a customer key it adds kms:GenerateDataKey*; the topic is under the lake
  // key, whose grant to the worker (kms:GenerateDataKey, kms:Decrypt) already covers publishing.
  worker.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'PublishIntegrityFindings', actions: ['sns:Publish'], resources: [topic.topicArn] }));
  acknowledge(
    worker.role,
    'AwsSolutions-IAM5[Resource::*]',
    'cloudtrail:ListPublicKeys has no resource type in the service authorization reference, so * is the only resource it takes; it returns CloudTrail\'s digest-signing public keys, nothing of the account',
  );
}
