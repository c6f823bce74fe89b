/**
 * The worker's CloudTrail integrity settings from its configuration: public keys from
 * CloudTrail's `ListPublicKeys` in each digest's region (keys are per region), cached for the
 * container's life and asked again on an unknown fingerprint; findings to the SNS alarm topic;
 * the central bucket listed for the sweep of pending log files.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { MemoryPublicKeyStore, type IntegritySettings, type PublicKeyStore } from '../../pipeline/index.js';
import { cloudTrailKeyLoader, createCloudTrailClient, createSnsClient, S3ListPages, SnsAlarmTopic } from '../../pipeline/aws.js';
import type { IntegrityConfig } from './config.js';

/**
 * How far back key lookups reach: `ListPublicKeys` without a range returns only the current key,
 * and a digest replayed or redelivered after a rotation needs the one before.
 */
const KEY_HISTORY_MS = 400 * 86_400_000;

/** The region of an ARN (`arn:aws:sns:<region>:…`). */
const arnRegion = (arn: string): string | undefined => arn.split(':')[3] || undefined;

export function integritySettings(config: IntegrityConfig, s3: S3Client, lakeBucket: string, now: () => number = Date.now): IntegritySettings {
  const stores = new Map<string, PublicKeyStore>();
  const since = new Date(now() - KEY_HISTORY_MS);
  return {
    keys(region) {
      // A digest whose name says no region is checked with the keys of the function's own region.
      const r = region ?? process.env.AWS_REGION ?? 'us-east-1';
      let store = stores.get(r);
      if (store === undefined) {
        store = new MemoryPublicKeyStore([], cloudTrailKeyLoader(createCloudTrailClient({ region: r }), { start: since }));
        stores.set(r, store);
      }
      return store;
    },
    alarms: config.alarmTopicArn !== null ? new SnsAlarmTopic(createSnsClient({ region: arnRegion(config.alarmTopicArn) }), config.alarmTopicArn) : null,
    missingLogAfterMs: config.missingLogAfterMs,
    lake: new S3ListPages(s3, lakeBucket),
  };
}
