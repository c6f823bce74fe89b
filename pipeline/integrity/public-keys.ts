/**
 * CloudTrail's public keys: the JSON `aws cloudtrail list-public-keys` prints (and the
 * `ListPublicKeys` API returns), and a store that finds the key of a digest's
 * `digestPublicKeyFingerprint`, asking its loader again when a fingerprint is new (keys rotate).
 * `Value` is the DER encoding of a PKCS #1 RSAPublicKey, base64 in the CLI's JSON.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';

export interface PublicKeyEntry {
  readonly fingerprint: string;
  readonly key: KeyObject;
  /** Validity window, epoch ms; null when the listing did not say. */
  readonly validFromMs: number | null;
  readonly validToMs: number | null;
}

/** A public key list that cannot be used: not the JSON of `list-public-keys`, a key that does not decode. */
export class PublicKeyError extends Error {
  override readonly name = 'PublicKeyError';
}

/** An RSA public key from the DER bytes of a PKCS #1 RSAPublicKey. */
export function rsaPublicKey(der: Uint8Array, where: string): KeyObject {
  try {
    return createPublicKey({ key: Buffer.from(der), format: 'der', type: 'pkcs1' });
  } catch (e) {
    throw new PublicKeyError(`${where}: not a DER PKCS #1 RSA public key (${(e as Error).message})`);
  }
}

/** A validity time as the CLI prints it (ISO 8601) or as epoch seconds (`--cli-binary-format`/v1 outputs). */
function when(v: unknown, name: string, where: string): number | null {
  if (v === undefined || v === null) return null;
  if (v instanceof Date) return v.getTime();
  const ms = typeof v === 'number' ? v * 1000 : typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) throw new PublicKeyError(`${where}: "${name}" is not a time: ${JSON.stringify(v)}`);
  return ms;
}

/** One `PublicKeyList` item, `Value` as base64 text (CLI JSON) or bytes (the SDK's answer). */
export function publicKeyEntry(item: unknown, where: string): PublicKeyEntry {
  if (typeof item !== 'object' || item === null) throw new PublicKeyError(`${where} must be an object`);
  const o = item as Record<string, unknown>;
  const fp = o.Fingerprint;
  if (typeof fp !== 'string' || fp === '') throw new PublicKeyError(`${where}: "Fingerprint" must be a non-empty string`);
  const value = o.Value;
  let der: Uint8Array;
  if (value instanceof Uint8Array) der = value;
  else if (typeof value === 'string' && /^[A-Za-z0-9+/=\s]+$/.test(value)) der = Buffer.from(value, 'base64');
  else throw new PublicKeyError(`${where}: "Value" must be the base64 DER of the key`);
  return { fingerprint: fp, key: rsaPublicKey(der, `${where} (${fp})`), validFromMs: when(o.ValidityStartTime, 'ValidityStartTime', where), validToMs: when(o.ValidityEndTime, 'ValidityEndTime', where) };
}

/** Parses exactly what `aws cloudtrail list-public-keys` prints: `{"PublicKeyList": [...]}`. */
export function parsePublicKeyList(text: string, where = 'public keys'): PublicKeyEntry[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new PublicKeyError(`${where}: not JSON (${(e as Error).message})`);
  }
  const list = typeof value === 'object' && value !== null ? (value as Record<string, unknown>).PublicKeyList : undefined;
  if (!Array.isArray(list)) throw new PublicKeyError(`${where}: expected the output of "aws cloudtrail list-public-keys", an object with a "PublicKeyList" array`);
  return list.map((item, i) => publicKeyEntry(item, `${where}: PublicKeyList[${i}]`));
}

/** Finds the public key of a fingerprint; null when none is known. */
export interface PublicKeyStore {
  keyFor(fingerprint: string): Promise<KeyObject | null>;
}

/** Loads every public key there is (ListPublicKeys, all pages). */
export type PublicKeyLoader = () => Promise<readonly PublicKeyEntry[]>;

/**
 * Keys held in memory. An unknown fingerprint triggers one load (concurrent lookups share it);
 * a fingerprint still unknown after a load is not loaded for again before `retryAfterMs`, so a
 * forged fingerprint cannot make every digest call ListPublicKeys.
 */
export class MemoryPublicKeyStore implements PublicKeyStore {
  private readonly keys = new Map<string, PublicKeyEntry>();
  private readonly missed = new Map<string, number>();
  private loading: Promise<void> | null = null;
  /** Loads done, for tests and the audit's summary. */
  loads = 0;

  constructor(
    entries: readonly PublicKeyEntry[] = [],
    private readonly loader: PublicKeyLoader | null = null,
    private readonly opts: { retryAfterMs?: number; now?: () => number } = {},
  ) {
    for (const e of entries) this.keys.set(e.fingerprint, e);
  }

  async keyFor(fingerprint: string): Promise<KeyObject | null> {
    const known = this.keys.get(fingerprint);
    if (known !== undefined) return known.key;
    if (this.loader === null) return null;
    const now = (this.opts.now ?? Date.now)();
    const missedAt = this.missed.get(fingerprint);
    if (missedAt !== undefined && now - missedAt < (this.opts.retryAfterMs ?? 300_000)) return null;
    await this.load();
    const found = this.keys.get(fingerprint);
    if (found === undefined) this.missed.set(fingerprint, now);
    return found?.key ?? null;
  }

  private load(): Promise<void> {
    if (this.loading !== null) return this.loading;
    const loader = this.loader as PublicKeyLoader;
    this.loading = (async () => {
      try {
        this.loads++;
        for (const e of await loader()) this.keys.set(e.fingerprint, e);
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }
}
