/**
 * CloudTrail's digest-signing public keys through `ListPublicKeys` (every page), as the loader
 * of a `MemoryPublicKeyStore`. Keys are per region: the client's region must be the digests'.
 */
import { CloudTrailClient, ListPublicKeysCommand } from '@aws-sdk/client-cloudtrail';
import { publicKeyEntry, type PublicKeyEntry, type PublicKeyLoader } from '../integrity/public-keys.js';
import { clientConfig, type AwsClientOptions } from './aws-clients.js';
import { toPipelineError } from './aws-errors.js';

/** A CloudTrail client with the project's user agent and retries. */
export function createCloudTrailClient(opts: AwsClientOptions = {}): CloudTrailClient {
  return new CloudTrailClient(clientConfig(opts));
}

/** Loads every public key `ListPublicKeys` returns for the client's region (optionally a time range). */
export function cloudTrailKeyLoader(client: CloudTrailClient, range: { start?: Date; end?: Date } = {}): PublicKeyLoader {
  return async (): Promise<PublicKeyEntry[]> => {
    const entries: PublicKeyEntry[] = [];
    let token: string | undefined;
    do {
      let out;
      try {
        out = await client.send(new ListPublicKeysCommand({ ...(range.start ? { StartTime: range.start } : {}), ...(range.end ? { EndTime: range.end } : {}), ...(token !== undefined ? { NextToken: token } : {}) }));
      } catch (e) {
        throw toPipelineError(e, 'CloudTrail ListPublicKeys');
      }
      (out.PublicKeyList ?? []).forEach((k, i) => entries.push(publicKeyEntry(k, `ListPublicKeys: PublicKeyList[${i}]`)));
      token = out.NextToken;
    } while (token !== undefined);
    return entries;
  };
}
