/**
 * The S3 client and expected bucket owner for each read of a source: the function's own client,
 * or one client per role for sources read by role (its credentials cached by
 * `assume-role.ts`), and the owner from `LOGLAKE_SOURCE_ACCESS`, sent as `ExpectedBucketOwner`
 * so a bucket deleted and re-created under the same name by another account is never read.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { assumedRoleCredentials } from './assume-role.js';
import { clientConfig, createS3Client, type AwsClientOptions } from './aws-clients.js';
import { bucketOwner, roleFor, type SourceAccess, type SourceRole } from './source-access.js';

/** How to read one object or listing. */
export interface SourceReader {
  readonly client: S3Client;
  /** `ExpectedBucketOwner`; null sends none. */
  readonly expectedOwner: string | null;
  /** The role whose credentials `client` signs with; null for the function's own. */
  readonly roleArn: string | null;
}

/** Picks the reader of a bucket and key; role clients are made once per role and kept. */
export class SourceReaders {
  private readonly roleClients = new Map<string, S3Client>();

  constructor(
    private readonly base: S3Client,
    private readonly access: SourceAccess,
    private readonly clientForRole: (role: SourceRole) => S3Client,
  ) {}

  /** The reader of `key` (an object key, or the prefix a listing starts from) in `bucket`. */
  for(bucket: string, key: string): SourceReader {
    const role = roleFor(this.access, bucket, key);
    return { client: role === null ? this.base : this.roleClient(role), expectedOwner: bucketOwner(this.access, bucket), roleArn: role?.roleArn ?? null };
  }

  private roleClient(role: SourceRole): S3Client {
    let client = this.roleClients.get(role.roleArn);
    if (client === undefined) {
      client = this.clientForRole(role);
      this.roleClients.set(role.roleArn, client);
    }
    return client;
  }
}

/**
 * Readers for a deployed function: role clients with the project's S3 settings (`opts`) and
 * credentials from one STS client, each session named `sessionName`.
 */
export function createSourceReaders(base: S3Client, access: SourceAccess, sessionName: string, opts: AwsClientOptions = {}): SourceReaders {
  const { endpoint: _s3Only, ...stsOpts } = opts;
  const sts = new STSClient(clientConfig(stsOpts));
  return new SourceReaders(base, access, (role) => createS3Client({ ...opts, credentials: assumedRoleCredentials(sts, role, { sessionName }) }));
}
