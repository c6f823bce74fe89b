/**
 * Acknowledging cdk-nag `AwsSolutions` findings, always with the reason they do not apply.
 *
 * cdk-nag 3 runs as a CDK policy-validation plugin and matches acknowledgements by exact finding
 * id; wildcard findings are named after the flattened CloudFormation value of the resource
 * (`Resource::<LogicalId.Arn>/lake/*`). These helpers compute those ids from the ARNs we grant,
 * so a suppression names precisely the grant it excuses and nothing broader.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Records why a rule does not apply to `scope` and everything below it. */
export function acknowledge(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: rule, reason });
}

/**
 * Flattens a resolved CloudFormation value the way cdk-nag names its findings:
 * `{"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/lake/*"]]}` becomes `<Bucket.Arn>/lake/*`.
 */
export function flattenCfn(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof value === 'object' && value !== null) {
    const v = value as Record<string, unknown>;
    if (Array.isArray(v['Fn::Join'])) {
      const [delimiter, items] = v['Fn::Join'] as [string, unknown[]];
      return items.map(flattenCfn).join(delimiter);
    }
    if (v['Fn::Sub'] !== undefined) return flattenCfn(v['Fn::Sub']);
    if (Array.isArray(v['Fn::GetAtt'])) {
      const [resource, attribute] = v['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenCfn(resource)}.${flattenCfn(attribute)}>`;
    }
    if (v['Fn::ImportValue'] !== undefined) return flattenCfn(v['Fn::ImportValue']);
    if (v.Ref !== undefined) return `<${flattenCfn(v.Ref)}>`;
  }
  return JSON.stringify(value);
}

/** Acknowledges the IAM5 wildcard findings of exactly these resource ARNs. */
export function acknowledgeWildcardResources(scope: IConstruct, arns: readonly string[], reason: string): void {
  const stack = Stack.of(scope);
  for (const arn of new Set(arns)) acknowledge(scope, `AwsSolutions-IAM5[Resource::${flattenCfn(stack.resolve(arn))}]`, reason);
}
