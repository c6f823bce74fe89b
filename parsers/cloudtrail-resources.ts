/**
 * Which resource a CloudTrail event acts on, read from its request (or, for calls that create
 * the resource, its response) when the event carries no `resources[]`.
 *
 * A table keyed by `eventSource`: per service an ordered list of request parameters (the first
 * present wins, so a more specific target is listed before its container: a volume before the
 * instance it attaches to, a snapshot before the DB instance it copies), and per event name the
 * few calls whose target a parameter name alone cannot tell (create calls, whose id only the
 * response knows; EC2's newer `<Action>Request` wrappers; parameters such as SSM's `name`
 * that mean a parameter in one call and a document in the next).
 *
 * Types are CloudFormation-style `AWS::<Service>::<Type>` names, spelled as CloudTrail writes
 * them in `resources[].type` and AWS Config in its configuration items where those exist
 * (`AWS::IAM::Policy` for managed policies), so one column joins across sources.
 *
 * Cost per event: one Map lookup by eventSource, one by eventName, then a handful of property
 * reads. No regular expression, no allocation besides the result.
 */
import { isObject } from './shared/json.js';

/** Where a rule reads: `requestParameters` or `responseElements`. */
export type RuleSource = 'request' | 'response';

/** One place a target may be named, and the type of what is named there. */
export interface ResourceRule {
  readonly from: RuleSource;
  /** Keys from the root of `from`; an array met on the way (or at the end) yields its first element. */
  readonly path: readonly string[];
  readonly type: string;
  /**
   * Appended as `<value>/<child>` when present, with the child's type (S3 `bucketName` + `key`).
   */
  readonly child?: { readonly path: readonly string[]; readonly type: string };
}

/** The rules of one event name; `only` stops the service's parameter list from being tried after them. */
export interface EventRules {
  readonly rules: readonly ResourceRule[];
  readonly only: boolean;
}

export interface ServiceRules {
  /** Tried first, for the events listed. */
  readonly events: ReadonlyMap<string, EventRules>;
  /** Tried for every event of the service, in order, after its event rules (unless `only`). */
  readonly params: readonly ResourceRule[];
}

export interface ResourceHit {
  readonly resource: string;
  readonly resourceType: string;
}

const req = (path: string, type: string): ResourceRule => ({ from: 'request', path: path.split('.'), type });
const res = (path: string, type: string): ResourceRule => ({ from: 'response', path: path.split('.'), type });

/** Placeholders CloudTrail writes instead of a redacted value: never a resource name. */
const REDACTED = new Set(['HIDDEN_DUE_TO_SECURITY_REASONS', '<sensitiveDataRemoved>']);

// Resource types.
const EC2 = {
  instance: 'AWS::EC2::Instance',
  volume: 'AWS::EC2::Volume',
  snapshot: 'AWS::EC2::Snapshot',
  image: 'AWS::EC2::Image',
  securityGroup: 'AWS::EC2::SecurityGroup',
  vpc: 'AWS::EC2::VPC',
  subnet: 'AWS::EC2::Subnet',
  networkInterface: 'AWS::EC2::NetworkInterface',
  keyPair: 'AWS::EC2::KeyPair',
  flowLog: 'AWS::EC2::FlowLog',
  launchTemplate: 'AWS::EC2::LaunchTemplate',
  eip: 'AWS::EC2::EIP',
  internetGateway: 'AWS::EC2::InternetGateway',
  natGateway: 'AWS::EC2::NatGateway',
  routeTable: 'AWS::EC2::RouteTable',
  networkAcl: 'AWS::EC2::NetworkAcl',
  mirrorTarget: 'AWS::EC2::TrafficMirrorTarget',
  mirrorFilter: 'AWS::EC2::TrafficMirrorFilter',
  mirrorFilterRule: 'AWS::EC2::TrafficMirrorFilterRule',
  mirrorSession: 'AWS::EC2::TrafficMirrorSession',
} as const;
const IAM = {
  user: 'AWS::IAM::User',
  role: 'AWS::IAM::Role',
  group: 'AWS::IAM::Group',
  policy: 'AWS::IAM::Policy',
  accessKey: 'AWS::IAM::AccessKey',
  instanceProfile: 'AWS::IAM::InstanceProfile',
  samlProvider: 'AWS::IAM::SAMLProvider',
  oidcProvider: 'AWS::IAM::OIDCProvider',
  mfaDevice: 'AWS::IAM::VirtualMFADevice',
  serverCertificate: 'AWS::IAM::ServerCertificate',
} as const;
const S3 = { bucket: 'AWS::S3::Bucket', object: 'AWS::S3::Object' } as const;
const KMS = { key: 'AWS::KMS::Key', alias: 'AWS::KMS::Alias', grant: 'AWS::KMS::Grant' } as const;
const RDS = {
  instance: 'AWS::RDS::DBInstance',
  cluster: 'AWS::RDS::DBCluster',
  snapshot: 'AWS::RDS::DBSnapshot',
  clusterSnapshot: 'AWS::RDS::DBClusterSnapshot',
  parameterGroup: 'AWS::RDS::DBParameterGroup',
  clusterParameterGroup: 'AWS::RDS::DBClusterParameterGroup',
  securityGroup: 'AWS::RDS::DBSecurityGroup',
  subnetGroup: 'AWS::RDS::DBSubnetGroup',
  optionGroup: 'AWS::RDS::OptionGroup',
  globalCluster: 'AWS::RDS::GlobalCluster',
} as const;
const LAMBDA = {
  function: 'AWS::Lambda::Function',
  layer: 'AWS::Lambda::LayerVersion',
  eventSourceMapping: 'AWS::Lambda::EventSourceMapping',
} as const;
const STS = { federatedUser: 'AWS::STS::FederatedUser' } as const;
const ORG = {
  account: 'AWS::Organizations::Account',
  ou: 'AWS::Organizations::OrganizationalUnit',
  policy: 'AWS::Organizations::Policy',
} as const;
const TRAIL = { trail: 'AWS::CloudTrail::Trail', eventDataStore: 'AWS::CloudTrail::EventDataStore' } as const;
const CONFIG = {
  rule: 'AWS::Config::ConfigRule',
  recorder: 'AWS::Config::ConfigurationRecorder',
  channel: 'AWS::Config::DeliveryChannel',
  conformancePack: 'AWS::Config::ConformancePack',
  aggregator: 'AWS::Config::ConfigurationAggregator',
} as const;
const SECRET = 'AWS::SecretsManager::Secret';
const SSM = { parameter: 'AWS::SSM::Parameter', document: 'AWS::SSM::Document', session: 'AWS::SSM::Session' } as const;

/** One service as written below: event rules by name (several names may share a list), then params. */
interface ServiceSpec {
  readonly eventSource: string;
  readonly events?: ReadonlyArray<readonly [names: readonly string[], rules: readonly ResourceRule[], only?: true]>;
  readonly params: readonly ResourceRule[];
}

/** EC2's newer APIs log `{"<Action>Request": {"<Param>": …}}`, one wrapper per action. */
const wrapped = (actions: readonly string[], param: string, type: string): Array<readonly [readonly string[], readonly ResourceRule[]]> =>
  actions.map((a) => [[a], [req(`${a}Request.${param}`, type)]] as const);

const SPEC: readonly ServiceSpec[] = [
  {
    eventSource: 'ec2.amazonaws.com',
    events: [
      // RunInstances names images, subnets and templates in its request; only the response knows the instance.
      [['RunInstances'], [res('instancesSet.items.instanceId', EC2.instance)], true],
      [['CreateVolume'], [res('volumeId', EC2.volume)]],
      [['CreateSnapshot', 'CopySnapshot'], [res('snapshotId', EC2.snapshot)]],
      [['CreateImage', 'CopyImage', 'RegisterImage'], [res('imageId', EC2.image)]],
      [['CreateSecurityGroup'], [res('groupId', EC2.securityGroup), req('groupName', EC2.securityGroup)]],
      [
        ['DeleteSecurityGroup', 'AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress', 'RevokeSecurityGroupIngress', 'RevokeSecurityGroupEgress'],
        [req('groupId', EC2.securityGroup), req('groupName', EC2.securityGroup)],
      ],
      [['CreateVpc'], [res('vpc.vpcId', EC2.vpc)]],
      [['CreateSubnet'], [res('subnet.subnetId', EC2.subnet)]],
      [['CreateNetworkInterface'], [res('networkInterface.networkInterfaceId', EC2.networkInterface)]],
      [['CreateInternetGateway'], [res('internetGateway.internetGatewayId', EC2.internetGateway)]],
      [['CreateRouteTable'], [res('routeTable.routeTableId', EC2.routeTable)]],
      [['CreateNetworkAcl'], [res('networkAcl.networkAclId', EC2.networkAcl)]],
      [['AllocateAddress'], [res('allocationId', EC2.eip)]],
      [['CreateFlowLogs'], [res('CreateFlowLogsResponse.flowLogIdSet.item', EC2.flowLog)]],
      ...wrapped(['DeleteFlowLogs'], 'FlowLogId', EC2.flowLog),
      [
        ['CreateLaunchTemplate'],
        [res('CreateLaunchTemplateResponse.launchTemplate.launchTemplateId', EC2.launchTemplate), req('CreateLaunchTemplateRequest.LaunchTemplateName', EC2.launchTemplate)],
      ],
      ...['ModifyLaunchTemplate', 'DeleteLaunchTemplate', 'CreateLaunchTemplateVersion', 'DeleteLaunchTemplateVersions'].map(
        (a) => [[a], [req(`${a}Request.LaunchTemplateId`, EC2.launchTemplate), req(`${a}Request.LaunchTemplateName`, EC2.launchTemplate)]] as const,
      ),
      [['CreateTrafficMirrorTarget'], [res('CreateTrafficMirrorTargetResponse.trafficMirrorTarget.trafficMirrorTargetId', EC2.mirrorTarget)]],
      [['CreateTrafficMirrorFilter'], [res('CreateTrafficMirrorFilterResponse.trafficMirrorFilter.trafficMirrorFilterId', EC2.mirrorFilter)]],
      [
        ['CreateTrafficMirrorFilterRule'],
        [res('CreateTrafficMirrorFilterRuleResponse.trafficMirrorFilterRule.trafficMirrorFilterRuleId', EC2.mirrorFilterRule), req('CreateTrafficMirrorFilterRuleRequest.TrafficMirrorFilterId', EC2.mirrorFilter)],
      ],
      [
        ['CreateTrafficMirrorSession'],
        [res('CreateTrafficMirrorSessionResponse.trafficMirrorSession.trafficMirrorSessionId', EC2.mirrorSession), req('CreateTrafficMirrorSessionRequest.NetworkInterfaceId', EC2.networkInterface)],
      ],
      ...wrapped(['ModifyTrafficMirrorSession', 'DeleteTrafficMirrorSession'], 'TrafficMirrorSessionId', EC2.mirrorSession),
      ...wrapped(['DeleteTrafficMirrorTarget'], 'TrafficMirrorTargetId', EC2.mirrorTarget),
      ...wrapped(['DeleteTrafficMirrorFilter'], 'TrafficMirrorFilterId', EC2.mirrorFilter),
      ...wrapped(['ModifyTrafficMirrorFilterRule', 'DeleteTrafficMirrorFilterRule'], 'TrafficMirrorFilterRuleId', EC2.mirrorFilterRule),
    ],
    params: [
      req('snapshotId', EC2.snapshot),
      req('imageId', EC2.image),
      req('volumeId', EC2.volume),
      req('networkInterfaceId', EC2.networkInterface),
      req('allocationId', EC2.eip),
      req('instanceId', EC2.instance),
      req('instancesSet.items.instanceId', EC2.instance),
      req('groupId', EC2.securityGroup),
      req('securityGroupIdSet.items.groupId', EC2.securityGroup),
      req('keyName', EC2.keyPair),
      req('keyPairId', EC2.keyPair),
      req('internetGatewayId', EC2.internetGateway),
      req('natGatewayId', EC2.natGateway),
      req('routeTableId', EC2.routeTable),
      req('networkAclId', EC2.networkAcl),
      req('subnetId', EC2.subnet),
      req('vpcId', EC2.vpc),
    ],
  },
  {
    // EC2 Instance Connect (SendSSHPublicKey, SendSerialConsoleSSHPublicKey).
    eventSource: 'ec2-instance-connect.amazonaws.com',
    params: [req('instanceId', EC2.instance)],
  },
  {
    eventSource: 'iam.amazonaws.com',
    events: [
      [['CreateAccessKey'], [res('accessKey.accessKeyId', IAM.accessKey)]],
      [['CreatePolicy'], [res('policy.arn', IAM.policy), req('policyName', IAM.policy)]],
      [['CreateServiceLinkedRole'], [res('role.arn', IAM.role)]],
      [['CreateSAMLProvider'], [res('sAMLProviderArn', IAM.samlProvider)]],
      [['CreateOpenIDConnectProvider'], [res('openIDConnectProviderArn', IAM.oidcProvider)]],
      [['CreateVirtualMFADevice'], [res('virtualMFADevice.serialNumber', IAM.mfaDevice), req('virtualMFADeviceName', IAM.mfaDevice)]],
      [['DeleteVirtualMFADevice'], [req('serialNumber', IAM.mfaDevice)]],
    ],
    params: [
      req('accessKeyId', IAM.accessKey),
      req('instanceProfileName', IAM.instanceProfile),
      req('userName', IAM.user),
      req('roleName', IAM.role),
      req('groupName', IAM.group),
      req('policyArn', IAM.policy),
      req('sAMLProviderArn', IAM.samlProvider),
      req('openIDConnectProviderArn', IAM.oidcProvider),
      req('serverCertificateName', IAM.serverCertificate),
    ],
  },
  {
    eventSource: 's3.amazonaws.com',
    params: [{ from: 'request', path: ['bucketName'], type: S3.bucket, child: { path: ['key'], type: S3.object } }],
  },
  {
    eventSource: 'kms.amazonaws.com',
    events: [
      [['CreateKey'], [res('keyMetadata.arn', KMS.key), res('keyMetadata.keyId', KMS.key)]],
      [['CreateGrant'], [res('grantId', KMS.grant)]],
    ],
    params: [req('grantId', KMS.grant), req('aliasName', KMS.alias), req('keyId', KMS.key)],
  },
  {
    eventSource: 'rds.amazonaws.com',
    events: [
      // These name the DB instance or cluster they copy; the snapshot is what they create.
      [['CreateDBSnapshot'], [req('dBSnapshotIdentifier', RDS.snapshot)]],
      [['CreateDBClusterSnapshot'], [req('dBClusterSnapshotIdentifier', RDS.clusterSnapshot)]],
      [['CopyDBSnapshot'], [req('targetDBSnapshotIdentifier', RDS.snapshot)]],
      [['CopyDBClusterSnapshot'], [req('targetDBClusterSnapshotIdentifier', RDS.clusterSnapshot)]],
    ],
    params: [
      req('dBInstanceIdentifier', RDS.instance),
      req('dBClusterIdentifier', RDS.cluster),
      req('dBSnapshotIdentifier', RDS.snapshot),
      req('dBClusterSnapshotIdentifier', RDS.clusterSnapshot),
      req('dBParameterGroupName', RDS.parameterGroup),
      req('dBClusterParameterGroupName', RDS.clusterParameterGroup),
      req('dBSecurityGroupName', RDS.securityGroup),
      req('dBSubnetGroupName', RDS.subnetGroup),
      req('optionGroupName', RDS.optionGroup),
      req('globalClusterIdentifier', RDS.globalCluster),
    ],
  },
  {
    // Lambda event names carry the API version: CreateFunction20150331, UpdateFunctionCode20150331v2, ….
    eventSource: 'lambda.amazonaws.com',
    events: [
      [['CreateEventSourceMapping20150331'], [res('uUID', LAMBDA.eventSourceMapping)]],
      [['PublishLayerVersion20181031'], [res('layerVersionArn', LAMBDA.layer)]],
    ],
    params: [req('uUID', LAMBDA.eventSourceMapping), req('layerName', LAMBDA.layer), req('functionName', LAMBDA.function)],
  },
  {
    eventSource: 'sts.amazonaws.com',
    events: [[['GetFederationToken'], [res('federatedUser.arn', STS.federatedUser), req('name', STS.federatedUser)]]],
    // AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity.
    params: [req('roleArn', IAM.role)],
  },
  {
    eventSource: 'organizations.amazonaws.com',
    events: [
      [['CreateOrganizationalUnit'], [res('organizationalUnit.id', ORG.ou)]],
      [['CreatePolicy'], [res('policy.policySummary.id', ORG.policy)]],
    ],
    params: [req('policyId', ORG.policy), req('organizationalUnitId', ORG.ou), req('accountId', ORG.account)],
  },
  {
    eventSource: 'cloudtrail.amazonaws.com',
    events: [
      // `name` is the trail only in the trail APIs: keyed by event name, not as a parameter.
      [['CreateTrail', 'UpdateTrail', 'DeleteTrail', 'StartLogging', 'StopLogging', 'GetTrailStatus', 'GetTrail'], [req('name', TRAIL.trail)]],
      [['DescribeTrails'], [req('trailNameList', TRAIL.trail)]],
      [['CreateEventDataStore'], [res('eventDataStoreArn', TRAIL.eventDataStore), req('name', TRAIL.eventDataStore)]],
    ],
    params: [req('trailName', TRAIL.trail), req('eventDataStore', TRAIL.eventDataStore)],
  },
  {
    eventSource: 'config.amazonaws.com',
    params: [
      req('configRuleName', CONFIG.rule),
      req('configRule.configRuleName', CONFIG.rule),
      req('configRuleNames', CONFIG.rule),
      req('configurationRecorderName', CONFIG.recorder),
      req('configurationRecorder.name', CONFIG.recorder),
      req('deliveryChannelName', CONFIG.channel),
      req('deliveryChannel.name', CONFIG.channel),
      req('conformancePackName', CONFIG.conformancePack),
      req('configurationAggregatorName', CONFIG.aggregator),
    ],
  },
  {
    eventSource: 'secretsmanager.amazonaws.com',
    events: [[['CreateSecret'], [res('arn', SECRET), req('name', SECRET)]]],
    params: [req('secretId', SECRET), req('secretIdList', SECRET)],
  },
  {
    eventSource: 'ssm.amazonaws.com',
    events: [
      // SSM's `name` is a parameter in the parameter APIs and a document in the document APIs.
      [['GetParameter', 'PutParameter', 'DeleteParameter', 'GetParameterHistory', 'LabelParameterVersion', 'UnlabelParameterVersion'], [req('name', SSM.parameter)]],
      [['GetParameters', 'DeleteParameters'], [req('names', SSM.parameter)]],
      [['GetParametersByPath'], [req('path', SSM.parameter)]],
      [
        ['CreateDocument', 'UpdateDocument', 'DeleteDocument', 'DescribeDocument', 'GetDocument', 'ModifyDocumentPermission', 'DescribeDocumentPermission', 'UpdateDocumentDefaultVersion'],
        [req('name', SSM.document)],
      ],
      // What a command or session runs on; the document stays in requestParameters.
      [['SendCommand'], [req('instanceIds', EC2.instance), req('documentName', SSM.document)]],
      [['StartSession'], [req('target', EC2.instance)]],
    ],
    params: [req('sessionId', SSM.session), req('instanceId', EC2.instance), req('documentName', SSM.document)],
  },
];

function build(spec: readonly ServiceSpec[]): ReadonlyMap<string, ServiceRules> {
  const table = new Map<string, ServiceRules>();
  for (const s of spec) {
    if (table.has(s.eventSource)) throw new Error(`cloudtrail resources: ${s.eventSource} listed twice`);
    const events = new Map<string, EventRules>();
    for (const [names, rules, only] of s.events ?? []) {
      for (const name of names) {
        if (events.has(name)) throw new Error(`cloudtrail resources: ${s.eventSource} ${name} listed twice`);
        events.set(name, { rules, only: only === true });
      }
    }
    table.set(s.eventSource, { events, params: s.params });
  }
  return table;
}

/** The table, by eventSource. Exported for tests and documentation checks. */
export const RESOURCE_TABLE: ReadonlyMap<string, ServiceRules> = build(SPEC);

type Obj = { readonly [key: string]: unknown };

/**
 * A name or id: a non-empty string, the `content` of EC2's `{"content": …, "tag": n}` list
 * items, or the first element of a list of either. Redaction placeholders are not names.
 */
export function nameOf(v: unknown): string | null {
  if (Array.isArray(v)) v = v[0];
  if (isObject(v)) v = v.content;
  return typeof v === 'string' && v !== '' && !REDACTED.has(v) ? v : null;
}

function valueAt(root: Obj, path: readonly string[]): string | null {
  let v: unknown = root;
  for (const key of path) {
    if (Array.isArray(v)) v = v[0];
    if (!isObject(v)) return null;
    v = v[key];
  }
  return nameOf(v);
}

function apply(rules: readonly ResourceRule[], request: Obj | null, response: Obj | null): ResourceHit | null {
  for (const rule of rules) {
    const root = rule.from === 'request' ? request : response;
    if (root === null) continue;
    const name = valueAt(root, rule.path);
    if (name === null) continue;
    if (rule.child) {
      const child = valueAt(root, rule.child.path);
      if (child !== null) return { resource: `${name}/${child}`, resourceType: rule.child.type };
    }
    return { resource: name, resourceType: rule.type };
  }
  return null;
}

/**
 * The resource the table finds for an event, or null when its service is not in the table or
 * none of the places it lists holds a name.
 */
export function tableResource(eventSource: string | null, eventName: string | null, request: Obj | null, response: Obj | null): ResourceHit | null {
  if (eventSource === null) return null;
  const service = RESOURCE_TABLE.get(eventSource);
  if (service === undefined) return null;
  const entry = eventName === null ? undefined : service.events.get(eventName);
  if (entry !== undefined) {
    const hit = apply(entry.rules, request, response);
    if (hit !== null || entry.only) return hit;
  }
  return apply(service.params, request, response);
}
