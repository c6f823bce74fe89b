/**
 * A digest's signature, as AWS documents it ("Custom implementations of CloudTrail log file
 * integrity validation"): CloudTrail signs, with SHA256withRSA (PKCS #1 v1.5), the UTF-8 string
 *
 *   <digestEndTime>\n<digestS3Bucket>/<digestS3Object>\n<hex SHA-256 of the uncompressed digest>\n<previousDigestSignature>
 *
 * and stores the signature, hex encoded, in the digest object's user metadata `signature`
 * (`x-amz-meta-signature`), the algorithm in `signing-algorithm`. On the first digest of a chain
 * `previousDigestSignature` is null and the string holds the four letters `null` (what AWS's own
 * validator writes, matching CloudTrail's Java implementation).
 */
import { createHash, verify, type KeyObject } from 'node:crypto';
import type { Digest } from './digest.js';

/** Hex SHA-256 of bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The string CloudTrail signs for `digest`, whose uncompressed bytes hash to `digestHash`. */
export function signingString(digest: Pick<Digest, 'digestEndTime' | 'digestS3Bucket' | 'digestS3Object' | 'previousDigestSignature'>, digestHash: string): string {
  return `${digest.digestEndTime}\n${digest.digestS3Bucket}/${digest.digestS3Object}\n${digestHash}\n${digest.previousDigestSignature ?? 'null'}`;
}

/** The only algorithm CloudTrail signs digests with. */
export const SIGNING_ALGORITHM = 'SHA256withRSA';

export type SignatureCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Verifies `signatureHex` over the signing string of `digest` with `key`. A wrong algorithm, a
 * signature that is not hex or does not verify is `ok: false` with the reason.
 */
export function verifyDigestSignature(digest: Digest, digestHash: string, signatureHex: string, algorithm: string, key: KeyObject): SignatureCheck {
  if (algorithm !== SIGNING_ALGORITHM) return { ok: false, reason: `signing algorithm ${JSON.stringify(algorithm)}, expected ${SIGNING_ALGORITHM}` };
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(signatureHex)) return { ok: false, reason: 'the signature is not hex' };
  let ok: boolean;
  try {
    ok = verify('sha256', Buffer.from(signingString(digest, digestHash), 'utf8'), key, Buffer.from(signatureHex, 'hex'));
  } catch (e) {
    return { ok: false, reason: `the signature cannot be checked with this key: ${(e as Error).message}` };
  }
  return ok ? { ok: true } : { ok: false, reason: `the signature does not verify with key ${digest.digestPublicKeyFingerprint}` };
}
