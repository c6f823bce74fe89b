/**
 * Who may read the lake: a managed policy for analysts — queries in the stack's Athena
 * workgroup over its Glue tables, reading exactly the prefixes those tables sit on, results in
 * the results bucket — to attach to their roles, groups or permission sets; and, for accounts
 * whose Glue catalog is governed by Lake Formation, grants of the tables to named principals.
 *
 * Without Lake Formation the policy alone is enough. With it, Lake Formation decides table
 * access (`SELECT`, `DESCRIBE` granted here) and vends the S3 credentials itself
 * (`lakeformation:GetDataAccess`); the policy still gives the Athena and Glue calls.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lakeformation from 'aws-cdk-lib/aws-lakeformation';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, type IDependable } from 'constructs';
import { LAKE_PREFIXES } from '../schema/lake-layout.js';
import { acknowledge, acknowledgeWildcardResources } from './nag.js';

/** The prefixes of the central bucket the Glue tables read: `events`, `errors`, `objects`, `replays`. */
export const READER_PREFIXES: readonly string[] = [LAKE_PREFIXES.lake, LAKE_PREFIXES.errors, LAKE_PREFIXES.manifests, LAKE_PREFIXES.replays];

/** Athena calls an analyst makes in the workgroup: run, watch and read queries, use the saved ones. */
export const ANALYST_ATHENA_ACTIONS: readonly string[] = [
  'athena:BatchGetNamedQuery',
  'athena:BatchGetQueryExecution',
  'athena:GetNamedQuery',
  'athena:GetQueryExecution',
  'athena:GetQueryResults',
  'athena:GetQueryResultsStream',
  'athena:GetQueryRuntimeStatistics',
  'athena:GetWorkGroup',
  'athena:ListNamedQueries',
  'athena:ListQueryExecutions',
  'athena:StartQueryExecution',
  'athena:StopQueryExecution',
];

/** Glue catalog reads Athena makes on the caller's behalf. */
export const ANALYST_GLUE_ACTIONS: readonly string[] = ['glue:BatchGetPartition', 'glue:GetDatabase', 'glue:GetDatabases', 'glue:GetPartition', 'glue:GetPartitions', 'glue:GetTable', 'glue:GetTables'];

/** Properties of {@link LakeReaders}. */
export interface LakeReadersProps {
  readonly name: string;
  readonly databaseName: string;
  readonly workgroupName: string;
  readonly lakeBucket: s3.IBucket;
  readonly resultsBucket: s3.IBucket;
  /** The stack's key (lake objects and query results), when it has one. */
  readonly key?: kms.IKey;
  /** Lake Formation principals (IAM role or user ARNs) granted the tables; null: Lake Formation not used. */
  readonly lakeFormationPrincipals: readonly string[] | null;
  /** The Glue database and tables, created before the grants. */
  readonly catalog: IDependable;
}

/** The analysts' managed policy and, with Lake Formation, the table grants. */
export class LakeReaders extends Construct {
  readonly policy: iam.ManagedPolicy;
  readonly grants: lakeformation.CfnPrincipalPermissions[];

  constructor(scope: Construct, id: string, props: LakeReadersProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const glueArn = (resource: string): string => stack.formatArn({ service: 'glue', resource });
    const workgroupArn = stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: props.workgroupName });
    const tablesArn = glueArn(`table/${props.databaseName}/*`);
    const lakeObjects = READER_PREFIXES.map((p) => props.lakeBucket.arnForObjects(`${p}*`));
    const results = props.resultsBucket.arnForObjects('*');

    const statements = [
      new iam.PolicyStatement({ sid: 'AthenaWorkgroup', actions: [...ANALYST_ATHENA_ACTIONS], resources: [workgroupArn] }),
      new iam.PolicyStatement({ sid: 'GlueTables', actions: [...ANALYST_GLUE_ACTIONS], resources: [glueArn('catalog'), glueArn(`database/${props.databaseName}`), tablesArn] }),
      new iam.PolicyStatement({ sid: 'ReadLake', actions: ['s3:GetObject'], resources: lakeObjects }),
      new iam.PolicyStatement({
        sid: 'ListLake',
        actions: ['s3:ListBucket'],
        resources: [props.lakeBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': READER_PREFIXES.flatMap((p) => [p, `${p}*`]) } },
      }),
      new iam.PolicyStatement({ sid: 'LocateBuckets', actions: ['s3:GetBucketLocation'], resources: [props.lakeBucket.bucketArn, props.resultsBucket.bucketArn] }),
      // Athena writes and reads results as the caller, in the workgroup's enforced output location.
      new iam.PolicyStatement({ sid: 'QueryResults', actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], resources: [results] }),
      new iam.PolicyStatement({ sid: 'ListQueryResults', actions: ['s3:ListBucket', 's3:ListBucketMultipartUploads'], resources: [props.resultsBucket.bucketArn] }),
    ];
    if (props.key !== undefined) {
      // Decrypt reads lake objects and results; GenerateDataKey encrypts the results Athena writes.
      statements.push(new iam.PolicyStatement({ sid: 'LakeKey', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [props.key.keyArn] }));
    }
    if (props.lakeFormationPrincipals !== null) {
      statements.push(new iam.PolicyStatement({ sid: 'LakeFormationData', actions: ['lakeformation:GetDataAccess'], resources: ['*'] }));
    }
    this.policy = new iam.ManagedPolicy(this, 'AnalystPolicy', {
      managedPolicyName: `${props.name}-analyst`,
      description: `loglake ${props.name}: query the lake in Athena workgroup ${props.workgroupName} (read-only)`,
      statements,
    });
    acknowledgeWildcardResources(this.policy, [...lakeObjects, results, tablesArn], "object reads are scoped to the prefixes of the lake's Glue tables and the query results bucket, table reads to the lake's database; the * is the object keys and table names under them");
    if (props.lakeFormationPrincipals !== null) {
      acknowledge(this.policy, 'AwsSolutions-IAM5[Resource::*]', 'lakeformation:GetDataAccess supports no resource-level permissions; Lake Formation grants decide which tables the credentials it vends can read');
    }

    this.grants = (props.lakeFormationPrincipals ?? []).flatMap((principal, i) => {
      const database = new lakeformation.CfnPrincipalPermissions(this, `Database${i}`, {
        catalog: stack.account,
        principal: { dataLakePrincipalIdentifier: principal },
        resource: { database: { catalogId: stack.account, name: props.databaseName } },
        permissions: ['DESCRIBE'],
        permissionsWithGrantOption: [],
      });
      const tables = new lakeformation.CfnPrincipalPermissions(this, `Tables${i}`, {
        catalog: stack.account,
        principal: { dataLakePrincipalIdentifier: principal },
        resource: { table: { catalogId: stack.account, databaseName: props.databaseName, tableWildcard: {} } },
        permissions: ['SELECT', 'DESCRIBE'],
        permissionsWithGrantOption: [],
      });
      database.node.addDependency(props.catalog);
      tables.node.addDependency(props.catalog);
      return [database, tables];
    });
  }
}
