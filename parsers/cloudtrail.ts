/**
 * AWS CloudTrail log files: `{"Records":[…]}` JSON (management, data, Insights events).
 *
 * Format: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
 * Supports event versions 1.0–1.11 (unknown keys land in `fields`), the CloudWatch Logs
 * subscription envelope (`logEvents[].message`) and `lookup-events` output
 * (`Events[].CloudTrailEvent`), since users export both to S3 as well.
 */
import type { EventFields, Outcome } from '../schema/index.js';
import { nameOf, tableResource } from './cloudtrail-resources.js';
import { type Json, type JsonObject, isObject, str, toFieldText } from './shared/json.js';
import { isIP } from './shared/ip.js';
import { parseIsoUtc } from './shared/time.js';
import type { Ignorable, JsonParser, ParseContext, ParseResult } from './types.js';


/** Top-level keys that feed typed columns; every other key goes to `fields`. */
const MAPPED = new Set([
  'eventTime',
  'eventName',
  'awsRegion',
  'userAgent',
  'errorCode',
  'errorMessage',
  'eventID',
  'recipientAccountId',
]);

/**
 * Every top-level key CloudTrail documents (record contents, event version 1.11, plus Insights
 * and enriched events); any other key is schema drift, counted per object.
 */
const KNOWN = new Set([
  'eventTime', 'eventVersion', 'userIdentity', 'eventSource', 'eventName', 'awsRegion', 'sourceIPAddress', 'userAgent',
  'errorCode', 'errorMessage', 'requestParameters', 'responseElements', 'additionalEventData', 'requestID', 'eventID',
  'eventType', 'apiVersion', 'managementEvent', 'readOnly', 'resources', 'recipientAccountId', 'serviceEventDetails',
  'sharedEventID', 'vpcEndpointId', 'vpcEndpointAccountId', 'eventCategory', 'addendum', 'sessionCredentialFromConsole',
  'edgeDeviceDetails', 'tlsDetails', 'insightDetails', 'eventContext',
]);

/**
 * Request parameters that name the resource an API call acts on, in order of preference: the
 * last resort, for events that have no `resources[]` and that the table of
 * `cloudtrail-resources.ts` does not resolve (its services, or any other). Untyped, since the
 * same name means different things in different services.
 */
const RESOURCE_PARAMS = [
  'instanceId',
  'userName',
  'roleName',
  'groupName',
  'policyArn',
  'functionName',
  'keyId',
  'topicArn',
  'queueUrl',
  'trailName',
  'name',
  'dBInstanceIdentifier',
  'clusterName',
  'tableName',
  'secretId',
  'stackName',
  'repositoryName',
  'groupId',
  'volumeId',
  'keyName',
  'resourceArn',
] as const;

function actorOf(identity: Json | undefined, event: JsonObject): { actor: string | null; actorType: string | null } {
  if (!isObject(identity)) return { actor: null, actorType: null };
  const type = str(identity.type);
  switch (type) {
    case 'AWSService':
      return { actor: str(identity.invokedBy) ?? str(event.sourceIPAddress), actorType: type };
    case 'AWSAccount':
      return { actor: str(identity.accountId) ?? str(identity.principalId), actorType: type };
    default: {
      const onBehalfOf = isObject(identity.onBehalfOf) ? str(identity.onBehalfOf.userId) : null;
      const actor =
        str(identity.arn) ?? str(identity.userName) ?? onBehalfOf ?? str(identity.principalId) ?? str(identity.accountId);
      return { actor, actorType: type };
    }
  }
}

const NO_RESOURCE = { resource: null, resourceType: null } as const;

/**
 * The resource an event acts on: CloudTrail's own `resources[]` first (its first entry with an
 * ARN), then the per-service table of `cloudtrail-resources.ts`, then the generic fallback:
 * `bucketName[/key]`, the EC2 `instancesSet` of request or response, the first of
 * RESOURCE_PARAMS. List-valued targets give their first element; the rest stay in
 * `fields.requestParameters` / `fields.responseElements`.
 */
function resourceOf(event: JsonObject): { resource: string | null; resourceType: string | null } {
  const resources = event.resources;
  if (Array.isArray(resources)) {
    for (const r of resources) {
      if (isObject(r) && str(r.ARN)) return { resource: str(r.ARN), resourceType: str(r.type) };
    }
  }
  const params = isObject(event.requestParameters) ? event.requestParameters : null;
  const response = isObject(event.responseElements) ? event.responseElements : null;
  const hit = tableResource(str(event.eventSource), str(event.eventName), params, response);
  if (hit !== null) return hit;
  if (params === null) return NO_RESOURCE;
  const bucket = nameOf(params.bucketName);
  if (bucket) {
    const key = nameOf(params.key);
    return key ? { resource: `${bucket}/${key}`, resourceType: 'AWS::S3::Object' } : { resource: bucket, resourceType: 'AWS::S3::Bucket' };
  }
  // EC2 instance calls name instances in instancesSet: the request for Start/Stop/Terminate, the
  // response for RunInstances, which only learns the id once the instance exists.
  const instance = firstInstanceId(params) ?? (response ? firstInstanceId(response) : null);
  if (instance) return { resource: instance, resourceType: 'AWS::EC2::Instance' };
  for (const name of RESOURCE_PARAMS) {
    const v = nameOf(params[name]);
    if (v) return { resource: v, resourceType: null };
  }
  return NO_RESOURCE;
}

function firstInstanceId(container: JsonObject): string | null {
  const items = isObject(container.instancesSet) ? container.instancesSet.items : undefined;
  return Array.isArray(items) && isObject(items[0]) ? str(items[0].instanceId) : null;
}

function numberOf(v: Json | undefined): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

/** Unwraps the envelopes users also land in S3: CloudWatch Logs subscription and lookup-events. */
function unwrap(value: JsonObject): JsonObject | string {
  if (value.eventTime !== undefined) return value;
  const inner = typeof value.message === 'string' ? value.message : typeof value.CloudTrailEvent === 'string' ? value.CloudTrailEvent : null;
  if (inner === null) return value;
  try {
    const parsed: unknown = JSON.parse(inner);
    return isObject(parsed) ? parsed : 'the embedded event is not a JSON object';
  } catch {
    return 'the embedded event is not valid JSON';
  }
}

/**
 * Maps one parsed CloudTrail event object to the common schema. With `ctx`, an event carrying a
 * top-level key CloudTrail does not document (yet) counts once as schema drift.
 */
export function normalizeCloudTrailEvent(event: JsonObject, ctx?: ParseContext): ParseResult {
  const eventTime = str(event.eventTime);
  if (eventTime === null) return { ok: false, reason: 'bad_timestamp', detail: 'eventTime is missing' };
  const time = parseIsoUtc(eventTime);
  if (Number.isNaN(time)) return { ok: false, reason: 'bad_timestamp', detail: `eventTime ${JSON.stringify(eventTime.slice(0, 40))} is not ISO-8601 UTC` };

  const insight = event.eventCategory === 'Insight' || event.eventType === 'AwsCloudTrailInsight';
  const insightDetails = isObject(event.insightDetails) ? event.insightDetails : null;
  const { actor, actorType } = actorOf(event.userIdentity, event);
  const { resource, resourceType } = resourceOf(event);
  const sourceIp = str(event.sourceIPAddress);
  const srcIsIp = sourceIp !== null && isIP(sourceIp);
  const errorCode = str(event.errorCode);
  const errorMessage = str(event.errorMessage);
  const consoleLogin = isObject(event.responseElements) ? str(event.responseElements.ConsoleLogin) : null;

  let outcome: Outcome = 'success';
  if (insight) outcome = 'unknown';
  else if (errorCode !== null || consoleLogin === 'Failure') outcome = 'failure';

  const fields: Record<string, string> = {};
  let unknownKey = false;
  for (const key in event) {
    if (!KNOWN.has(key)) unknownKey = true;
    const v = event[key];
    if (v === undefined || v === null || MAPPED.has(key)) continue;
    if (key === 'sourceIPAddress' && srcIsIp) continue;
    fields[key] = toFieldText(v);
  }

  const extra = isObject(event.additionalEventData) ? event.additionalEventData : null;
  const record: EventFields = {
    time,
    category: 'api_activity',
    account_id: str(event.recipientAccountId) ?? (isObject(event.userIdentity) ? str(event.userIdentity.accountId) : null),
    region: str(event.awsRegion),
    actor,
    actor_type: actorType,
    action: str(event.eventName) ?? (insightDetails ? str(insightDetails.eventName) : null),
    resource,
    resource_type: resourceType,
    src_ip: srcIsIp ? sourceIp : null,
    user_agent: str(event.userAgent),
    status: errorCode ?? consoleLogin ?? (insightDetails ? str(insightDetails.state) : null),
    outcome,
    error: errorCode !== null ? (errorMessage !== null ? `${errorCode}: ${errorMessage}` : errorCode) : errorMessage,
    bytes_in: extra ? numberOf(extra.bytesTransferredIn) : null,
    bytes_out: extra ? numberOf(extra.bytesTransferredOut) : null,
    request_id: str(event.eventID),
    fields,
  };
  if (unknownKey && ctx) ctx.drift = (ctx.drift ?? 0) + 1;
  return { ok: true, record };
}

/** CloudTrail log files, including Insights files and CloudWatch Logs / lookup-events exports. */
export const parser: JsonParser = {
  id: 'cloudtrail',
  source: 'cloudtrail',
  version: 2,
  framing: 'json-records',
  description: 'AWS CloudTrail log files (management, data and Insights events)',
  docsUrl: 'https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html',
  keyPatterns: [/(^|\/)AWSLogs\/(o-[a-z0-9]+\/)?\d{12}\/CloudTrail(-Insight)?\/[a-z0-9-]+\/\d{4}\/\d{2}\/\d{2}\/[^/]+\.json(\.gz)?$/],
  keyExample: 'AWSLogs/[o-org/]<account>/CloudTrail[-Insight]/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<time>_<id>.json.gz',
  containerKeys: ['Records', 'logEvents', 'Events'],
  sniff(head: string): boolean {
    if (!/^\s*[{[]/.test(head)) return false;
    // A CloudWatch Logs export carries the event JSON-escaped inside `message`.
    return (head.includes('"eventVersion"') || head.includes('\\"eventVersion\\"')) && /eventTime|eventSource/.test(head);
  },
  parse(value: unknown, ctx: ParseContext): ParseResult {
    if (!isObject(value)) return { ok: false, reason: 'not_an_object', detail: `expected a CloudTrail event object, got ${Array.isArray(value) ? 'an array' : typeof value}` };
    const event = unwrap(value);
    if (typeof event === 'string') return { ok: false, reason: 'invalid_json', detail: event };
    return normalizeCloudTrailEvent(event, ctx);
  },
};

/** CloudTrail digest files: integrity proofs, recognized and recorded, never turned into events. */
export const digest: Ignorable = {
  name: 'cloudtrail-digest',
  source: 'cloudtrail',
  description: 'CloudTrail digest files (log file integrity validation); recorded in the manifest, no events',
  keyPatterns: [/(^|\/)AWSLogs\/(o-[a-z0-9]+\/)?\d{12}\/CloudTrail-Digest\/[a-z0-9-]+\/\d{4}\/\d{2}\/\d{2}\/[^/]+\.json(\.gz)?$/],
  keyExample: 'AWSLogs/<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/<account>_CloudTrail-Digest_<region>_<trail>_<region>_<time>.json.gz',
  sniff(head: string): boolean {
    return head.includes('"digestPublicKeyFingerprint"') || (head.includes('"digestStartTime"') && head.includes('"digestEndTime"'));
  },
};
