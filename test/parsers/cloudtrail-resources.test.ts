import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RESOURCE_TABLE, tableResource } from '../../parsers/cloudtrail-resources.js';
import { parser } from '../../parsers/cloudtrail.js';
import type { ParseContext } from '../../parsers/types.js';
import type { EventFields } from '../../schema/index.js';

const ctx: ParseContext = { object: 'test', ordinal: 1, state: undefined };
const ACCOUNT = '111122223333';

interface Call {
  eventSource: string;
  eventName: string;
  requestParameters?: unknown;
  responseElements?: unknown;
  resources?: unknown;
  errorCode?: string;
  errorMessage?: string;
}

/** A management event as CloudTrail writes it (event version 1.09, an assumed-role caller). */
function event(call: Call): Record<string, unknown> {
  const { requestParameters = null, responseElements = null, ...rest } = call;
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: 'AROAEXAMPLEID:alice',
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/alice`,
      accountId: ACCOUNT,
      accessKeyId: 'ASIAEXAMPLEKEYID',
      sessionContext: {
        sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLEID', arn: `arn:aws:iam::${ACCOUNT}:role/Admin`, accountId: ACCOUNT, userName: 'Admin' },
        attributes: { creationDate: '2024-05-01T09:58:11Z', mfaAuthenticated: 'true' },
      },
    },
    eventTime: '2024-05-01T10:00:00Z',
    awsRegion: 'eu-west-1',
    sourceIPAddress: '198.51.100.23',
    userAgent: 'aws-cli/2.15.40 Python/3.11.8 Linux/6.1 exe/x86_64',
    requestParameters,
    responseElements,
    requestID: '8d4f2c61-5f0e-4a52-9b6e-2f1f3c0d9a11',
    eventID: 'f1d6c3a0-7e2b-4b8e-9c44-0e5b8a7d2c19',
    readOnly: false,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    ...rest,
  };
}

function record(call: Call): EventFields {
  const r = parser.parse(JSON.parse(JSON.stringify(event(call))), ctx);
  if (r.ok !== true) throw new Error(`expected a record, got ${JSON.stringify(r)}`);
  return r.record;
}

const target = (call: Call): { resource: string | null; resource_type: string | null } => {
  const r = record(call);
  return { resource: r.resource ?? null, resource_type: r.resource_type ?? null };
};

describe('cloudtrail resources: EC2', () => {
  it('shares a snapshot: ModifySnapshotAttribute names snapshotId', () => {
    expect(
      target({
        eventSource: 'ec2.amazonaws.com',
        eventName: 'ModifySnapshotAttribute',
        requestParameters: { snapshotId: 'snap-0b5e1f3a9c7d2e4f6', createVolumePermission: { add: { items: [{ userId: '444455556666' }] } }, attributeType: 'CREATE_VOLUME_PERMISSION' },
        responseElements: { requestId: '0f6c1a2b-3c4d-5e6f-7a8b-9c0d1e2f3a4b', _return: true },
      }),
    ).toEqual({ resource: 'snap-0b5e1f3a9c7d2e4f6', resource_type: 'AWS::EC2::Snapshot' });
  });

  it('makes an image public: ModifyImageAttribute names imageId', () => {
    expect(
      target({
        eventSource: 'ec2.amazonaws.com',
        eventName: 'ModifyImageAttribute',
        requestParameters: { imageId: 'ami-0a1b2c3d4e5f60718', launchPermission: { add: { items: [{ group: 'all' }] } }, attributeType: 'launchPermission' },
        responseElements: { requestId: '5e2a7c1d-8b3f-4e6a-9d0c-1b2a3c4d5e6f', _return: true },
      }),
    ).toEqual({ resource: 'ami-0a1b2c3d4e5f60718', resource_type: 'AWS::EC2::Image' });
  });

  it('types the instance of ModifyInstanceAttribute', () => {
    expect(
      target({
        eventSource: 'ec2.amazonaws.com',
        eventName: 'ModifyInstanceAttribute',
        requestParameters: { instanceId: 'i-0f1e2d3c4b5a69788', userData: '<sensitiveDataRemoved>' },
        responseElements: { requestId: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d', _return: true },
      }),
    ).toEqual({ resource: 'i-0f1e2d3c4b5a69788', resource_type: 'AWS::EC2::Instance' });
  });

  it('takes the first flow log of DeleteFlowLogs, one or a list of {content, tag} items', () => {
    const one = { DeleteFlowLogsRequest: { FlowLogId: { content: 'fl-0e17aa62a21d4bbfe', tag: 1 } } };
    const many = { DeleteFlowLogsRequest: { FlowLogId: [{ content: 'fl-01', tag: 1 }, { content: 'fl-02', tag: 2 }] } };
    const response = { DeleteFlowLogsResponse: { xmlns: 'http://ec2.amazonaws.com/doc/2016-11-15/', requestId: 'r-1', unsuccessful: '' } };
    expect(target({ eventSource: 'ec2.amazonaws.com', eventName: 'DeleteFlowLogs', requestParameters: one, responseElements: response })).toEqual({
      resource: 'fl-0e17aa62a21d4bbfe',
      resource_type: 'AWS::EC2::FlowLog',
    });
    const r = record({ eventSource: 'ec2.amazonaws.com', eventName: 'DeleteFlowLogs', requestParameters: many, responseElements: response });
    expect(r).toMatchObject({ resource: 'fl-01', resource_type: 'AWS::EC2::FlowLog' });
    // The rest of the list stays visible in the request.
    expect(JSON.parse(r.fields?.requestParameters as string).DeleteFlowLogsRequest.FlowLogId[1].content).toBe('fl-02');
  });

  it('reads the flow log that CreateFlowLogs created from its response', () => {
    expect(
      target({
        eventSource: 'ec2.amazonaws.com',
        eventName: 'CreateFlowLogs',
        requestParameters: {
          CreateFlowLogsRequest: { ResourceId: { content: 'vpc-0a1b2c3d4e5f67890', tag: 1 }, ResourceType: 'VPC', TrafficType: 'ALL', LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::flow-logs-bucket' },
        },
        responseElements: { CreateFlowLogsResponse: { xmlns: 'http://ec2.amazonaws.com/doc/2016-11-15/', requestId: 'r-2', clientToken: 'ct', unsuccessful: '', flowLogIdSet: { item: 'fl-01c931a7296ed28c9' } } },
      }),
    ).toEqual({ resource: 'fl-01c931a7296ed28c9', resource_type: 'AWS::EC2::FlowLog' });
  });

  it('reads the instance of RunInstances from the response, and nothing else when the call failed', () => {
    const request = {
      instancesSet: { items: [{ imageId: 'ami-026b57f3c383c2eec', minCount: 1, maxCount: 1, keyName: 'ops' }] },
      instanceType: 't3.micro',
      subnetId: 'subnet-0e3a508e43776c435',
    };
    expect(
      target({
        eventSource: 'ec2.amazonaws.com',
        eventName: 'RunInstances',
        requestParameters: request,
        responseElements: { requestId: 'r-3', reservationId: 'r-0a1b2c3d4e5f67890', ownerId: ACCOUNT, instancesSet: { items: [{ instanceId: 'i-0d7e4b9be8a0de6ea', imageId: 'ami-026b57f3c383c2eec' }] } },
      }),
    ).toEqual({ resource: 'i-0d7e4b9be8a0de6ea', resource_type: 'AWS::EC2::Instance' });
    // A denied call names a subnet and an image, neither of which is what it tried to create.
    expect(
      target({ eventSource: 'ec2.amazonaws.com', eventName: 'RunInstances', requestParameters: request, errorCode: 'Client.UnauthorizedOperation', errorMessage: 'You are not authorized to perform this operation.' }),
    ).toEqual({ resource: null, resource_type: null });
  });

  it('reads created ids from responses: volume, snapshot, security group, launch template', () => {
    expect(
      target({ eventSource: 'ec2.amazonaws.com', eventName: 'CreateVolume', requestParameters: { size: 8, zone: 'eu-west-1a', volumeType: 'gp3', encrypted: true }, responseElements: { requestId: 'r', volumeId: 'vol-0b1c2d3e4f5a6b7c8', size: '8', status: 'creating' } }),
    ).toEqual({ resource: 'vol-0b1c2d3e4f5a6b7c8', resource_type: 'AWS::EC2::Volume' });
    expect(
      target({ eventSource: 'ec2.amazonaws.com', eventName: 'CreateSnapshot', requestParameters: { volumeId: 'vol-0b1c2d3e4f5a6b7c8' }, responseElements: { requestId: 'r', snapshotId: 'snap-0123456789abcdef0', volumeId: 'vol-0b1c2d3e4f5a6b7c8', status: 'pending' } }),
    ).toEqual({ resource: 'snap-0123456789abcdef0', resource_type: 'AWS::EC2::Snapshot' });
    // Failed: the volume it would have snapshotted is still a typed target.
    expect(target({ eventSource: 'ec2.amazonaws.com', eventName: 'CreateSnapshot', requestParameters: { volumeId: 'vol-0b1c2d3e4f5a6b7c8' }, errorCode: 'Client.IncorrectState' })).toEqual({
      resource: 'vol-0b1c2d3e4f5a6b7c8',
      resource_type: 'AWS::EC2::Volume',
    });
    expect(
      target({ eventSource: 'ec2.amazonaws.com', eventName: 'CreateSecurityGroup', requestParameters: { groupName: 'web', groupDescription: 'web tier', vpcId: 'vpc-a1a044c7' }, responseElements: { requestId: 'r', _return: true, groupId: 'sg-04d018d184a18f647' } }),
    ).toEqual({ resource: 'sg-04d018d184a18f647', resource_type: 'AWS::EC2::SecurityGroup' });
    expect(
      target({
        eventSource: 'ec2.amazonaws.com',
        eventName: 'CreateLaunchTemplate',
        requestParameters: { CreateLaunchTemplateRequest: { LaunchTemplateName: 'workers', LaunchTemplateData: { InstanceType: 't3.micro', ImageId: 'ami-01234567890abcdef' } } },
        responseElements: { CreateLaunchTemplateResponse: { xmlns: 'http://ec2.amazonaws.com/doc/2016-11-15/', requestId: 'r', launchTemplate: { launchTemplateId: 'lt-0a20c965061f64abc', launchTemplateName: 'workers', defaultVersionNumber: 1, latestVersionNumber: 1 } } },
      }),
    ).toEqual({ resource: 'lt-0a20c965061f64abc', resource_type: 'AWS::EC2::LaunchTemplate' });
  });

  it('prefers the more specific of several ids: the volume of AttachVolume, the gateway of AttachInternetGateway', () => {
    expect(target({ eventSource: 'ec2.amazonaws.com', eventName: 'AttachVolume', requestParameters: { volumeId: 'vol-0b1c2d3e4f5a6b7c8', instanceId: 'i-0f1e2d3c4b5a69788', device: '/dev/sdf' } })).toEqual({
      resource: 'vol-0b1c2d3e4f5a6b7c8',
      resource_type: 'AWS::EC2::Volume',
    });
    expect(target({ eventSource: 'ec2.amazonaws.com', eventName: 'AttachInternetGateway', requestParameters: { internetGatewayId: 'igw-0c1d2e3f4a5b6c7d8', vpcId: 'vpc-a1a044c7' } })).toEqual({
      resource: 'igw-0c1d2e3f4a5b6c7d8',
      resource_type: 'AWS::EC2::InternetGateway',
    });
    expect(
      target({ eventSource: 'ec2.amazonaws.com', eventName: 'AuthorizeSecurityGroupIngress', requestParameters: { groupId: 'sg-04f0b44316f7d2471', ipPermissions: { items: [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, ipRanges: { items: [{ cidrIp: '0.0.0.0/0' }] } }] } } }),
    ).toEqual({ resource: 'sg-04f0b44316f7d2471', resource_type: 'AWS::EC2::SecurityGroup' });
    expect(target({ eventSource: 'ec2.amazonaws.com', eventName: 'StopInstances', requestParameters: { instancesSet: { items: [{ instanceId: 'i-1' }, { instanceId: 'i-2' }] }, force: false } })).toEqual({
      resource: 'i-1',
      resource_type: 'AWS::EC2::Instance',
    });
    expect(target({ eventSource: 'ec2.amazonaws.com', eventName: 'CreateKeyPair', requestParameters: { keyName: 'backdoor', keyType: 'rsa', keyFormat: 'pem' }, responseElements: { keyName: 'backdoor', keyPairId: 'key-0e1d2c3b4a5f6e7d8', keyMaterial: '<sensitiveDataRemoved>' } })).toEqual({
      resource: 'backdoor',
      resource_type: 'AWS::EC2::KeyPair',
    });
  });

  it('types the instance of EC2 Instance Connect', () => {
    expect(
      target({ eventSource: 'ec2-instance-connect.amazonaws.com', eventName: 'SendSSHPublicKey', requestParameters: { instanceId: 'i-0abcdef1234567890', instanceOSUser: 'ec2-user', sSHPublicKey: 'ssh-ed25519 AAAA' }, responseElements: { requestId: 'r', success: true } }),
    ).toEqual({ resource: 'i-0abcdef1234567890', resource_type: 'AWS::EC2::Instance' });
  });
});

describe('cloudtrail resources: IAM', () => {
  it('names the user, role and group an IAM call changes, before the policy it attaches', () => {
    expect(target({ eventSource: 'iam.amazonaws.com', eventName: 'CreateUser', requestParameters: { userName: 'svc-backup' }, responseElements: { user: { path: '/', userName: 'svc-backup', userId: 'AIDAEXAMPLE', arn: `arn:aws:iam::${ACCOUNT}:user/svc-backup`, createDate: 'May 1, 2024, 10:00:00 AM' } } })).toEqual({
      resource: 'svc-backup',
      resource_type: 'AWS::IAM::User',
    });
    expect(target({ eventSource: 'iam.amazonaws.com', eventName: 'AttachRolePolicy', requestParameters: { roleName: 'deploy', policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } })).toEqual({
      resource: 'deploy',
      resource_type: 'AWS::IAM::Role',
    });
    expect(target({ eventSource: 'iam.amazonaws.com', eventName: 'PutGroupPolicy', requestParameters: { groupName: 'ops', policyName: 'inline', policyDocument: '{}' } })).toEqual({
      resource: 'ops',
      resource_type: 'AWS::IAM::Group',
    });
    expect(target({ eventSource: 'iam.amazonaws.com', eventName: 'CreatePolicyVersion', requestParameters: { policyArn: `arn:aws:iam::${ACCOUNT}:policy/ci`, policyDocument: '{}', setAsDefault: true } })).toEqual({
      resource: `arn:aws:iam::${ACCOUNT}:policy/ci`,
      resource_type: 'AWS::IAM::Policy',
    });
    expect(target({ eventSource: 'iam.amazonaws.com', eventName: 'AddRoleToInstanceProfile', requestParameters: { instanceProfileName: 'web', roleName: 'web-role' } })).toEqual({
      resource: 'web',
      resource_type: 'AWS::IAM::InstanceProfile',
    });
  });

  it('names the access key CreateAccessKey created, and the key other access-key calls name', () => {
    expect(
      target({
        eventSource: 'iam.amazonaws.com',
        eventName: 'CreateAccessKey',
        requestParameters: { userName: 'svc-backup' },
        responseElements: { accessKey: { userName: 'svc-backup', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', status: 'Active', createDate: 'May 1, 2024, 10:00:00 AM' } },
      }),
    ).toEqual({ resource: 'AKIAIOSFODNN7EXAMPLE', resource_type: 'AWS::IAM::AccessKey' });
    expect(target({ eventSource: 'iam.amazonaws.com', eventName: 'UpdateAccessKey', requestParameters: { userName: 'svc-backup', accessKeyId: 'AKIAIOSFODNN7EXAMPLE', status: 'Inactive' } })).toEqual({
      resource: 'AKIAIOSFODNN7EXAMPLE',
      resource_type: 'AWS::IAM::AccessKey',
    });
    // Denied, no response: the user it was for.
    expect(target({ eventSource: 'iam.amazonaws.com', eventName: 'CreateAccessKey', requestParameters: { userName: 'svc-backup' }, errorCode: 'AccessDenied' })).toEqual({
      resource: 'svc-backup',
      resource_type: 'AWS::IAM::User',
    });
  });

  it('reads the ARN of a managed policy from the CreatePolicy response', () => {
    expect(
      target({
        eventSource: 'iam.amazonaws.com',
        eventName: 'CreatePolicy',
        requestParameters: { policyName: 'ci', policyDocument: '{}' },
        responseElements: { policy: { policyName: 'ci', policyId: 'ANPAEXAMPLE', arn: `arn:aws:iam::${ACCOUNT}:policy/ci`, path: '/', defaultVersionId: 'v1' } },
      }),
    ).toEqual({ resource: `arn:aws:iam::${ACCOUNT}:policy/ci`, resource_type: 'AWS::IAM::Policy' });
  });
});

describe('cloudtrail resources: S3', () => {
  it('names bucket or bucket/key, and keeps resources[] first when CloudTrail gives it', () => {
    expect(target({ eventSource: 's3.amazonaws.com', eventName: 'PutBucketPolicy', requestParameters: { bucketName: 'shop-assets', Host: 'shop-assets.s3.eu-west-1.amazonaws.com', policy: '', bucketPolicy: { Version: '2012-10-17', Statement: [] } } })).toEqual({
      resource: 'shop-assets',
      resource_type: 'AWS::S3::Bucket',
    });
    expect(target({ eventSource: 's3.amazonaws.com', eventName: 'GetObject', requestParameters: { bucketName: 'shop-assets', key: 'exports/2024/05/orders.csv', Host: 'shop-assets.s3.eu-west-1.amazonaws.com' } })).toEqual({
      resource: 'shop-assets/exports/2024/05/orders.csv',
      resource_type: 'AWS::S3::Object',
    });
    expect(
      target({
        eventSource: 's3.amazonaws.com',
        eventName: 'GetObject',
        requestParameters: { bucketName: 'shop-assets', key: 'a.csv' },
        resources: [{ type: 'AWS::S3::Object', ARN: 'arn:aws:s3:::shop-assets/a.csv' }, { accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: 'arn:aws:s3:::shop-assets' }],
      }),
    ).toEqual({ resource: 'arn:aws:s3:::shop-assets/a.csv', resource_type: 'AWS::S3::Object' });
  });
});

describe('cloudtrail resources: KMS', () => {
  it('names keys, aliases and grants, and the key CreateKey created', () => {
    expect(
      target({
        eventSource: 'kms.amazonaws.com',
        eventName: 'CreateKey',
        requestParameters: { keyUsage: 'ENCRYPT_DECRYPT', keySpec: 'SYMMETRIC_DEFAULT', description: 'backups' },
        responseElements: { keyMetadata: { AWSAccountId: ACCOUNT, keyId: '1234abcd-12ab-34cd-56ef-1234567890ab', arn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`, keyState: 'Enabled' } },
      }),
    ).toEqual({ resource: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`, resource_type: 'AWS::KMS::Key' });
    expect(target({ eventSource: 'kms.amazonaws.com', eventName: 'ScheduleKeyDeletion', requestParameters: { keyId: '1234abcd-12ab-34cd-56ef-1234567890ab', pendingWindowInDays: 7 } })).toEqual({
      resource: '1234abcd-12ab-34cd-56ef-1234567890ab',
      resource_type: 'AWS::KMS::Key',
    });
    expect(target({ eventSource: 'kms.amazonaws.com', eventName: 'CreateAlias', requestParameters: { aliasName: 'alias/backups', targetKeyId: '1234abcd-12ab-34cd-56ef-1234567890ab' } })).toEqual({
      resource: 'alias/backups',
      resource_type: 'AWS::KMS::Alias',
    });
    expect(target({ eventSource: 'kms.amazonaws.com', eventName: 'RevokeGrant', requestParameters: { keyId: '1234abcd-12ab-34cd-56ef-1234567890ab', grantId: '0c237476b39f8bc44e45212e08498fbe3151305030726c0590dd8d3e9f3d6a60' } })).toEqual({
      resource: '0c237476b39f8bc44e45212e08498fbe3151305030726c0590dd8d3e9f3d6a60',
      resource_type: 'AWS::KMS::Grant',
    });
  });

  it('keeps the key of resources[] first, as CloudTrail gives it for most KMS calls', () => {
    expect(
      target({
        eventSource: 'kms.amazonaws.com',
        eventName: 'Decrypt',
        requestParameters: { encryptionAlgorithm: 'SYMMETRIC_DEFAULT', encryptionContext: { 'aws:s3:arn': 'arn:aws:s3:::shop-assets/a.csv' } },
        resources: [{ accountId: ACCOUNT, type: 'AWS::KMS::Key', ARN: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab` }],
      }),
    ).toEqual({ resource: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`, resource_type: 'AWS::KMS::Key' });
  });
});

describe('cloudtrail resources: RDS', () => {
  it('shares a DB snapshot: ModifyDBSnapshotAttribute names dBSnapshotIdentifier', () => {
    expect(
      target({
        eventSource: 'rds.amazonaws.com',
        eventName: 'ModifyDBSnapshotAttribute',
        requestParameters: { dBSnapshotIdentifier: 'orders-2024-05-01', attributeName: 'restore', valuesToAdd: ['444455556666'] },
        responseElements: { dBSnapshotIdentifier: 'orders-2024-05-01', dBSnapshotAttributes: [{ attributeName: 'restore', attributeValues: ['444455556666'] }] },
      }),
    ).toEqual({ resource: 'orders-2024-05-01', resource_type: 'AWS::RDS::DBSnapshot' });
  });

  it('names the snapshot a snapshot call creates, and the instance or cluster the others act on', () => {
    expect(target({ eventSource: 'rds.amazonaws.com', eventName: 'CreateDBSnapshot', requestParameters: { dBInstanceIdentifier: 'orders', dBSnapshotIdentifier: 'orders-manual' } })).toEqual({
      resource: 'orders-manual',
      resource_type: 'AWS::RDS::DBSnapshot',
    });
    expect(target({ eventSource: 'rds.amazonaws.com', eventName: 'RestoreDBInstanceFromDBSnapshot', requestParameters: { dBInstanceIdentifier: 'orders-restored', dBSnapshotIdentifier: 'orders-manual' } })).toEqual({
      resource: 'orders-restored',
      resource_type: 'AWS::RDS::DBInstance',
    });
    expect(target({ eventSource: 'rds.amazonaws.com', eventName: 'ModifyDBCluster', requestParameters: { dBClusterIdentifier: 'aurora-prod', deletionProtection: false, applyImmediately: true } })).toEqual({
      resource: 'aurora-prod',
      resource_type: 'AWS::RDS::DBCluster',
    });
    expect(
      target({
        eventSource: 'rds.amazonaws.com',
        eventName: 'CopyDBClusterSnapshot',
        requestParameters: { sourceDBClusterSnapshotIdentifier: `arn:aws:rds:us-east-1:${ACCOUNT}:cluster-snapshot:aurora-prod-backup`, targetDBClusterSnapshotIdentifier: 'aurora-prod-backup-eu' },
      }),
    ).toEqual({ resource: 'aurora-prod-backup-eu', resource_type: 'AWS::RDS::DBClusterSnapshot' });
    expect(target({ eventSource: 'rds.amazonaws.com', eventName: 'ModifyDBParameterGroup', requestParameters: { dBParameterGroupName: 'mysql8-audit', parameters: [{ parameterName: 'general_log', parameterValue: '0' }] } })).toEqual({
      resource: 'mysql8-audit',
      resource_type: 'AWS::RDS::DBParameterGroup',
    });
  });
});

describe('cloudtrail resources: Lambda', () => {
  it('names functions, layers and event source mappings', () => {
    expect(
      target({
        eventSource: 'lambda.amazonaws.com',
        eventName: 'UpdateFunctionConfiguration20150331v2',
        requestParameters: { functionName: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:api`, layers: [`arn:aws:lambda:eu-west-1:444455556666:layer:ext:1`] },
        responseElements: { functionName: 'api', functionArn: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:api`, layers: [{ arn: 'arn:aws:lambda:eu-west-1:444455556666:layer:ext:1', codeSize: 2120 }] },
      }),
    ).toEqual({ resource: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:api`, resource_type: 'AWS::Lambda::Function' });
    expect(
      target({
        eventSource: 'lambda.amazonaws.com',
        eventName: 'PublishLayerVersion20181031',
        requestParameters: { layerName: 'ext', compatibleRuntimes: ['python3.12'] },
        responseElements: { layerArn: `arn:aws:lambda:eu-west-1:${ACCOUNT}:layer:ext`, layerVersionArn: `arn:aws:lambda:eu-west-1:${ACCOUNT}:layer:ext:3`, version: 3 },
      }),
    ).toEqual({ resource: `arn:aws:lambda:eu-west-1:${ACCOUNT}:layer:ext:3`, resource_type: 'AWS::Lambda::LayerVersion' });
    expect(
      target({
        eventSource: 'lambda.amazonaws.com',
        eventName: 'CreateEventSourceMapping20150331',
        requestParameters: { functionName: 'api', eventSourceArn: `arn:aws:sqs:eu-west-1:${ACCOUNT}:orders`, batchSize: 10 },
        responseElements: { uUID: 'a1b2c3d4-5678-90ab-cdef-11111EXAMPLE', functionArn: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:api`, state: 'Creating' },
      }),
    ).toEqual({ resource: 'a1b2c3d4-5678-90ab-cdef-11111EXAMPLE', resource_type: 'AWS::Lambda::EventSourceMapping' });
    expect(target({ eventSource: 'lambda.amazonaws.com', eventName: 'DeleteEventSourceMapping20150331', requestParameters: { uUID: 'a1b2c3d4-5678-90ab-cdef-11111EXAMPLE' } })).toEqual({
      resource: 'a1b2c3d4-5678-90ab-cdef-11111EXAMPLE',
      resource_type: 'AWS::Lambda::EventSourceMapping',
    });
  });
});

describe('cloudtrail resources: STS', () => {
  it('names the role AssumeRole assumes, the federated user of GetFederationToken, nothing for GetSessionToken', () => {
    expect(
      target({
        eventSource: 'sts.amazonaws.com',
        eventName: 'AssumeRole',
        requestParameters: { roleArn: `arn:aws:iam::${ACCOUNT}:role/deploy`, roleSessionName: 'ci-run-812', durationSeconds: 900 },
        responseElements: { credentials: { accessKeyId: 'ASIAEXAMPLE', sessionToken: 'token', expiration: 'May 1, 2024, 10:15:00 AM' }, assumedRoleUser: { assumedRoleId: 'AROAEXAMPLE:ci-run-812', arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/ci-run-812` } },
      }),
    ).toEqual({ resource: `arn:aws:iam::${ACCOUNT}:role/deploy`, resource_type: 'AWS::IAM::Role' });
    expect(
      target({
        eventSource: 'sts.amazonaws.com',
        eventName: 'GetFederationToken',
        requestParameters: { name: 'console', policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}' },
        responseElements: { credentials: { accessKeyId: 'ASIAEXAMPLE' }, federatedUser: { federatedUserId: `${ACCOUNT}:console`, arn: `arn:aws:sts::${ACCOUNT}:federated-user/console` }, packedPolicySize: 4 },
      }),
    ).toEqual({ resource: `arn:aws:sts::${ACCOUNT}:federated-user/console`, resource_type: 'AWS::STS::FederatedUser' });
    expect(target({ eventSource: 'sts.amazonaws.com', eventName: 'GetSessionToken', requestParameters: { durationSeconds: 3600 } })).toEqual({ resource: null, resource_type: null });
  });
});

describe('cloudtrail resources: Organizations', () => {
  it('names accounts, organizational units and policies', () => {
    expect(target({ eventSource: 'organizations.amazonaws.com', eventName: 'MoveAccount', requestParameters: { accountId: '444455556666', sourceParentId: 'r-ab12', destinationParentId: 'ou-ab12-cdef3456' } })).toEqual({
      resource: '444455556666',
      resource_type: 'AWS::Organizations::Account',
    });
    expect(target({ eventSource: 'organizations.amazonaws.com', eventName: 'DetachPolicy', requestParameters: { policyId: 'p-FullAWSAccess', targetId: 'ou-ab12-cdef3456' } })).toEqual({
      resource: 'p-FullAWSAccess',
      resource_type: 'AWS::Organizations::Policy',
    });
    expect(
      target({
        eventSource: 'organizations.amazonaws.com',
        eventName: 'CreateOrganizationalUnit',
        requestParameters: { parentId: 'r-ab12', name: 'sandbox' },
        responseElements: { organizationalUnit: { id: 'ou-ab12-9zyx8wvu', arn: `arn:aws:organizations::${ACCOUNT}:ou/o-exampleorgid/ou-ab12-9zyx8wvu`, name: 'sandbox' } },
      }),
    ).toEqual({ resource: 'ou-ab12-9zyx8wvu', resource_type: 'AWS::Organizations::OrganizationalUnit' });
    expect(target({ eventSource: 'organizations.amazonaws.com', eventName: 'LeaveOrganization' })).toEqual({ resource: null, resource_type: null });
  });
});

describe('cloudtrail resources: CloudTrail', () => {
  it('names the trail of the trail APIs, and leaves `name` of other CloudTrail calls untyped', () => {
    expect(target({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'StopLogging', requestParameters: { name: `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/org-trail` } })).toEqual({
      resource: `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/org-trail`,
      resource_type: 'AWS::CloudTrail::Trail',
    });
    expect(
      target({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'PutEventSelectors', requestParameters: { trailName: 'org-trail', eventSelectors: [{ readWriteType: 'ReadOnly', includeManagementEvents: false, dataResources: [] }] } }),
    ).toEqual({ resource: 'org-trail', resource_type: 'AWS::CloudTrail::Trail' });
    expect(
      target({
        eventSource: 'cloudtrail.amazonaws.com',
        eventName: 'CreateEventDataStore',
        requestParameters: { name: 'audit-lake', retentionPeriod: 2557 },
        responseElements: { eventDataStoreArn: `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE`, name: 'audit-lake', status: 'CREATED' },
      }),
    ).toEqual({ resource: `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE`, resource_type: 'AWS::CloudTrail::EventDataStore' });
    expect(target({ eventSource: 'cloudtrail.amazonaws.com', eventName: 'CreateChannel', requestParameters: { name: 'partner-feed', source: 'Custom' } })).toEqual({
      resource: 'partner-feed',
      resource_type: null,
    });
  });
});

describe('cloudtrail resources: Config', () => {
  it('names rules, recorders and delivery channels, flat or nested in the request', () => {
    expect(target({ eventSource: 'config.amazonaws.com', eventName: 'StopConfigurationRecorder', requestParameters: { configurationRecorderName: 'default' } })).toEqual({
      resource: 'default',
      resource_type: 'AWS::Config::ConfigurationRecorder',
    });
    expect(target({ eventSource: 'config.amazonaws.com', eventName: 'DeleteConfigRule', requestParameters: { configRuleName: 's3-bucket-public-read-prohibited' } })).toEqual({
      resource: 's3-bucket-public-read-prohibited',
      resource_type: 'AWS::Config::ConfigRule',
    });
    expect(
      target({ eventSource: 'config.amazonaws.com', eventName: 'PutConfigRule', requestParameters: { configRule: { configRuleName: 'root-mfa', source: { owner: 'AWS', sourceIdentifier: 'ROOT_ACCOUNT_MFA_ENABLED' } } } }),
    ).toEqual({ resource: 'root-mfa', resource_type: 'AWS::Config::ConfigRule' });
    expect(target({ eventSource: 'config.amazonaws.com', eventName: 'PutDeliveryChannel', requestParameters: { deliveryChannel: { name: 'default', s3BucketName: 'config-bucket-111122223333' } } })).toEqual({
      resource: 'default',
      resource_type: 'AWS::Config::DeliveryChannel',
    });
    expect(target({ eventSource: 'config.amazonaws.com', eventName: 'DeleteDeliveryChannel', requestParameters: { deliveryChannelName: 'default' } })).toEqual({
      resource: 'default',
      resource_type: 'AWS::Config::DeliveryChannel',
    });
  });
});

describe('cloudtrail resources: Secrets Manager', () => {
  it('names the secret, the one CreateSecret created, and the first of a batch', () => {
    expect(target({ eventSource: 'secretsmanager.amazonaws.com', eventName: 'GetSecretValue', requestParameters: { secretId: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:db/orders-AbCdEf` } })).toEqual({
      resource: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:db/orders-AbCdEf`,
      resource_type: 'AWS::SecretsManager::Secret',
    });
    expect(
      target({
        eventSource: 'secretsmanager.amazonaws.com',
        eventName: 'CreateSecret',
        requestParameters: { name: 'db/orders', clientRequestToken: 'EXAMPLE1-90ab-cdef-fedc-ba987SECRET1' },
        responseElements: { arn: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:db/orders-AbCdEf`, name: 'db/orders', versionId: 'EXAMPLE1-90ab-cdef-fedc-ba987SECRET1' },
      }),
    ).toEqual({ resource: `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:db/orders-AbCdEf`, resource_type: 'AWS::SecretsManager::Secret' });
    expect(target({ eventSource: 'secretsmanager.amazonaws.com', eventName: 'BatchGetSecretValue', requestParameters: { secretIdList: ['db/orders', 'db/billing'] } })).toEqual({
      resource: 'db/orders',
      resource_type: 'AWS::SecretsManager::Secret',
    });
  });
});

describe('cloudtrail resources: SSM', () => {
  it('tells parameters from documents by event name, and names what commands and sessions run on', () => {
    expect(target({ eventSource: 'ssm.amazonaws.com', eventName: 'GetParameter', requestParameters: { name: '/prod/db/password', withDecryption: true } })).toEqual({
      resource: '/prod/db/password',
      resource_type: 'AWS::SSM::Parameter',
    });
    expect(target({ eventSource: 'ssm.amazonaws.com', eventName: 'GetParameters', requestParameters: { names: ['/prod/db/user', '/prod/db/password'], withDecryption: true } })).toEqual({
      resource: '/prod/db/user',
      resource_type: 'AWS::SSM::Parameter',
    });
    expect(target({ eventSource: 'ssm.amazonaws.com', eventName: 'CreateDocument', requestParameters: { name: 'Ops-Restart', documentType: 'Command', content: '{}' } })).toEqual({
      resource: 'Ops-Restart',
      resource_type: 'AWS::SSM::Document',
    });
    expect(
      target({ eventSource: 'ssm.amazonaws.com', eventName: 'SendCommand', requestParameters: { documentName: 'AWS-RunShellScript', instanceIds: ['i-006e4c07b5fba8ad2', 'i-01bf673280e708b0d'], parameters: 'HIDDEN_DUE_TO_SECURITY_REASONS' } }),
    ).toEqual({ resource: 'i-006e4c07b5fba8ad2', resource_type: 'AWS::EC2::Instance' });
    expect(
      target({
        eventSource: 'ssm.amazonaws.com',
        eventName: 'StartSession',
        requestParameters: { target: 'i-02311671588e96626', documentName: 'AWS-StartPortForwardingSession' },
        responseElements: { sessionId: 'alice-0e34861185201706f', tokenValue: 'Value hidden due to security reasons.', streamUrl: 'wss://ssmmessages.eu-west-1.amazonaws.com/v1/data-channel/alice-0e34861185201706f' },
      }),
    ).toEqual({ resource: 'i-02311671588e96626', resource_type: 'AWS::EC2::Instance' });
    expect(target({ eventSource: 'ssm.amazonaws.com', eventName: 'TerminateSession', requestParameters: { sessionId: 'alice-0e34861185201706f' } })).toEqual({
      resource: 'alice-0e34861185201706f',
      resource_type: 'AWS::SSM::Session',
    });
  });
});

describe('cloudtrail resources: fallback and edge cases', () => {
  it('keeps the untyped generic list for services outside the table', () => {
    expect(target({ eventSource: 'sns.amazonaws.com', eventName: 'SetTopicAttributes', requestParameters: { topicArn: `arn:aws:sns:eu-west-1:${ACCOUNT}:alerts`, attributeName: 'Policy' } })).toEqual({
      resource: `arn:aws:sns:eu-west-1:${ACCOUNT}:alerts`,
      resource_type: null,
    });
  });

  it('never takes a redaction placeholder for a name', () => {
    expect(target({ eventSource: 'bedrock.amazonaws.com', eventName: 'UpdateGuardrail', requestParameters: { guardrailIdentifier: 'cmy5azq5koeo', name: 'HIDDEN_DUE_TO_SECURITY_REASONS' } })).toEqual({
      resource: null,
      resource_type: null,
    });
    expect(tableResource('iam.amazonaws.com', 'CreateUser', { userName: '<sensitiveDataRemoved>' }, null)).toBeNull();
  });

  it('tolerates missing and odd shapes without throwing', () => {
    expect(tableResource(null, 'X', null, null)).toBeNull();
    expect(tableResource('ec2.amazonaws.com', null, { instanceId: 42 }, null)).toBeNull();
    expect(tableResource('ec2.amazonaws.com', 'StartInstances', { instancesSet: { items: [] } }, null)).toBeNull();
    expect(tableResource('ec2.amazonaws.com', 'DeleteFlowLogs', { DeleteFlowLogsRequest: 'fl-x' }, null)).toBeNull();
    expect(tableResource('s3.amazonaws.com', 'GetObject', { bucketName: 'b', key: '' }, null)).toEqual({ resource: 'b', resourceType: 'AWS::S3::Bucket' });
  });
});

describe('cloudtrail resources: the table', () => {
  it('uses AWS::<Service>::<Type> names and non-empty paths throughout', () => {
    for (const [source, service] of RESOURCE_TABLE) {
      expect(source).toMatch(/^[a-z0-9-]+\.amazonaws\.com$/);
      const rules = [...service.params, ...[...service.events.values()].flatMap((e) => e.rules)];
      for (const rule of rules) {
        expect(rule.type).toMatch(/^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$/);
        expect(rule.path.length).toBeGreaterThan(0);
        expect(rule.path.every((k) => k !== '')).toBe(true);
      }
    }
  });

  it('is documented: every service, path and type appears in docs/formats/cloudtrail.md', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../docs/formats/cloudtrail.md', import.meta.url)), 'utf8');
    const missing: string[] = [];
    for (const [source, service] of RESOURCE_TABLE) {
      if (!doc.includes(`\`${source}\``)) missing.push(source);
      for (const [name, entry] of service.events) {
        if (!doc.includes(name)) missing.push(`${source} ${name}`);
        for (const r of entry.rules) if (!doc.includes(r.path.join('.'))) missing.push(`${source} ${name} ${r.path.join('.')}`);
      }
      for (const r of service.params) if (!doc.includes(`\`${r.path.join('.')}\``)) missing.push(`${source} ${r.path.join('.')}`);
      for (const r of [...service.params, ...[...service.events.values()].flatMap((e) => e.rules)]) {
        if (!doc.includes(r.type)) missing.push(r.type);
        if (r.child && !doc.includes(r.child.type)) missing.push(r.child.type);
      }
    }
    expect(missing).toEqual([]);
  });
});
