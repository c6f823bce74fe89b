/**
 * Athena named queries shipped with every deployment: the questions people ask a log lake
 * first, written against the common schema so they work whatever account or region logged.
 *
 * Each query bounds `dt` so partition projection prunes to a few days and the workgroup's
 * bytes-scanned limit is never the thing that stops it. Map lookups use `element_at`, which
 * yields null for a missing key where `map[key]` would fail the query.
 */

/** One saved query of the workgroup. */
export interface NamedQuery {
  /** Stable construct id: renaming it replaces the saved query. */
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly sql: string;
}

/** `dt` is a `YYYY-MM-DD` string, which is exactly how Athena casts a date to varchar. */
const lastDays = (days: number): string => `dt >= CAST(current_date - interval '${days}' day AS varchar)`;

/** The saved queries, in the order the Athena console lists them. */
export const NAMED_QUERIES: readonly NamedQuery[] = [
  {
    id: 'ConsoleLoginsWithoutMfa',
    name: 'Console logins without MFA (7 days)',
    description: 'CloudTrail ConsoleLogin events whose additionalEventData.MFAUsed is not Yes',
    sql: `SELECT time, account_id, actor, actor_type, src_ip, user_agent, status,
       json_extract_scalar(element_at(fields, 'additionalEventData'), '$.MFAUsed') AS mfa_used
FROM events
WHERE source = 'cloudtrail'
  AND ${lastDays(7)}
  AND action = 'ConsoleLogin'
  AND coalesce(json_extract_scalar(element_at(fields, 'additionalEventData'), '$.MFAUsed'), 'No') <> 'Yes'
ORDER BY time DESC
LIMIT 1000`,
  },
  {
    id: 'DeniedApiCallsByPrincipal',
    name: 'Denied API calls by principal (7 days)',
    description: 'CloudTrail calls refused with AccessDenied or UnauthorizedOperation, grouped by who made them',
    sql: `SELECT actor, actor_type, count(*) AS denied_calls,
       array_join(slice(array_sort(array_agg(DISTINCT action)), 1, 10), ', ') AS sample_actions,
       max(time) AS last_seen
FROM events
WHERE source = 'cloudtrail'
  AND ${lastDays(7)}
  AND (status LIKE '%AccessDenied%' OR status LIKE '%UnauthorizedOperation%' OR status LIKE '%Forbidden%')
GROUP BY actor, actor_type
ORDER BY denied_calls DESC
LIMIT 100`,
  },
  {
    id: 'TopAlb5xxUrls',
    name: 'Top ALB 5xx URLs (24 hours)',
    description: 'Application Load Balancer requests answered 5xx, by host and path',
    sql: `SELECT coalesce(url_extract_host(resource), '-') AS host,
       coalesce(url_extract_path(resource), resource) AS path,
       status, count(*) AS requests
FROM events
WHERE source = 'alb'
  AND ${lastDays(1)}
  AND time >= current_timestamp - interval '24' hour
  AND status LIKE '5%'
GROUP BY 1, 2, 3
ORDER BY requests DESC
LIMIT 50`,
  },
  {
    id: 'S3Deletes',
    name: 'S3 deletes (7 days)',
    description: 'Object and bucket deletions seen in CloudTrail data events and S3 server access logs',
    sql: `SELECT time, source, account_id, actor, src_ip, action, resource, status, outcome
FROM events
WHERE source IN ('cloudtrail', 's3access')
  AND ${lastDays(7)}
  AND (action IN ('DeleteObject', 'DeleteObjects', 'DeleteObjectVersion', 'DeleteBucket')
       OR action LIKE 'REST.DELETE.%'
       OR action LIKE 'BATCH.DELETE.%')
ORDER BY time DESC
LIMIT 1000`,
  },
  {
    id: 'SecurityGroupChanges',
    name: 'Security group changes (7 days)',
    description: 'Security group API calls from CloudTrail and security group configuration items from AWS Config',
    sql: `SELECT time, source, account_id, region, actor, action, resource, status, outcome
FROM events
WHERE ${lastDays(7)}
  AND ((source = 'cloudtrail' AND action IN (
          'AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress',
          'RevokeSecurityGroupIngress', 'RevokeSecurityGroupEgress',
          'CreateSecurityGroup', 'DeleteSecurityGroup', 'ModifySecurityGroupRules',
          'UpdateSecurityGroupRuleDescriptionsIngress', 'UpdateSecurityGroupRuleDescriptionsEgress'))
    OR (source = 'config' AND resource_type = 'AWS::EC2::SecurityGroup'))
ORDER BY time DESC
LIMIT 1000`,
  },
  {
    id: 'CostByTagLastMonth',
    name: 'Cost by tag, last month',
    description: "Billing cost of the previous calendar month by a cost allocation tag; replace 'user:team' with your tag key",
    sql: `SELECT coalesce(element_at(tags, 'user:team'), '(untagged)') AS tag_value,
       currency, round(sum(amount), 2) AS cost
FROM events
WHERE source = 'billing'
  AND dt >= CAST(date_trunc('month', current_date) - interval '1' month AS varchar)
  AND dt < CAST(date_trunc('month', current_date) AS varchar)
GROUP BY 1, 2
ORDER BY cost DESC`,
  },
  {
    id: 'VpcFlowTopTalkers',
    name: 'VPC flow log top talkers (24 hours)',
    description: 'Bytes and flows between each source and destination address in VPC and Transit Gateway flow logs, largest first',
    sql: `SELECT src_ip, dst_ip, sum(bytes_in) AS bytes, count(*) AS flows,
       count_if(status = 'REJECT') AS rejected_flows,
       array_join(slice(array_sort(array_agg(DISTINCT resource)), 1, 5), ', ') AS sample_interfaces
FROM events
WHERE source = 'vpcflow'
  AND ${lastDays(1)}
  AND time >= current_timestamp - interval '24' hour
  AND src_ip IS NOT NULL
GROUP BY src_ip, dst_ip
ORDER BY bytes DESC
LIMIT 50`,
  },
  {
    id: 'VpcFlowRejectedToPort',
    name: 'VPC flow log rejected traffic to a port (24 hours)',
    description: 'Flows refused by security groups or network ACLs (REJECT) to given destination ports, by port and source; edit the port list',
    sql: `SELECT dst_port, src_ip, count(*) AS rejected_flows, sum(bytes_in) AS bytes,
       array_join(slice(array_sort(array_agg(DISTINCT dst_ip)), 1, 10), ', ') AS sample_destinations,
       min(time) AS first_seen, max(time) AS last_seen
FROM events
WHERE source = 'vpcflow'
  AND ${lastDays(1)}
  AND time >= current_timestamp - interval '24' hour
  AND status = 'REJECT'
  AND dst_port IN (22, 3389)
GROUP BY dst_port, src_ip
ORDER BY rejected_flows DESC
LIMIT 100`,
  },
  {
    id: 'ObjectsFailedToday',
    name: 'Objects that failed today',
    description: 'Source objects whose last run today failed (nothing written; the message went to the dead-letter queue after its retries) or was damaged (what decoded before the damage was kept), from the objects table',
    sql: `SELECT finished_at, status, reason, error, object, source, parser_id, bytes_in, records, rejected,
       json_extract_scalar(damage, '$.detail') AS damage
FROM objects
WHERE status IN ('failed', 'damaged')
  AND finished_at >= CAST(current_date AS varchar)
ORDER BY finished_at DESC
LIMIT 1000`,
  },
  {
    id: 'IngestLagBySource',
    name: 'Ingest lag by source (24 hours)',
    description: 'Seconds from a source object being written (its LastModified) to its manifest being written, by source, for objects ingested in the last 24 hours; a replayed object counts its age at the replay',
    sql: `SELECT coalesce(source, reason, 'unknown') AS source, count(*) AS objects,
       round(avg(lag_seconds), 1) AS avg_lag_seconds,
       approx_percentile(lag_seconds, 0.5) AS p50_lag_seconds,
       approx_percentile(lag_seconds, 0.95) AS p95_lag_seconds,
       max(lag_seconds) AS max_lag_seconds
FROM (
  SELECT source, reason,
         date_diff('second', from_iso8601_timestamp(object_last_modified), from_iso8601_timestamp(finished_at)) AS lag_seconds
  FROM objects
  WHERE object_last_modified IS NOT NULL
    AND status <> 'failed'
    AND from_iso8601_timestamp(finished_at) >= current_timestamp - interval '1' day
)
GROUP BY 1
ORDER BY p95_lag_seconds DESC`,
  },
];
