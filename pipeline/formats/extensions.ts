/**
 * Room `pipeline/formats/`: format extensions, the behaviour particular formats need beyond
 * "parse each record" that the core run must not know by name. Each is handed to the core as a
 * hook, never imported by it: `billing-assemblies.ts` is an `ObjectHook` of `processObject`
 * (CUR report versions staged, then published whole); `config-items.ts` is the
 * `ConfigItemHandler` of `ingestMessage` (inline AWS Config item notifications); `cwlogs.ts` is
 * an `ObjectHook` too (Firehose deliveries of CloudWatch Logs subscription payloads, split into
 * virtual objects by log stream; `cwlogs-payload.ts` decodes payloads and holds the log-group
 * map); `cloudtrail-integrity.ts` is an `ObjectHook` checking CloudTrail digests and the log
 * files they list into the `integrity` table. This room may import the core rooms; no core room imports it. The front door
 * (`pipeline/index.ts`) wires `FORMAT_HOOKS` into every run it hands out.
 */
import type { ObjectHook } from '../run/process-object.js';
import { billingAssemblies } from './billing-assemblies.js';
import { cloudtrailIntegrity, type IntegritySettings } from './cloudtrail-integrity.js';
import { cwlogsFirehose, type FirehoseSettings } from './cwlogs.js';

/** What the format extensions are configured with; every field has a default. */
export interface FormatSettings {
  /** The CloudWatch Logs Firehose path: the log-group map and the region of the log groups. */
  readonly cwlogs?: FirehoseSettings;
  /**
   * CloudTrail log file integrity validation (`cloudtrail-integrity.ts`): digests checked as they
   * arrive, needing CloudTrail's public keys and the central bucket's listing. @default off
   */
  readonly integrity?: IntegritySettings;
}

/** The object hooks of every format extension, outermost first, with these settings. */
export function formatHooks(settings: FormatSettings = {}): readonly ObjectHook[] {
  return [billingAssemblies, cwlogsFirehose(settings.cwlogs), ...(settings.integrity !== undefined ? [cloudtrailIntegrity(settings.integrity)] : [])];
}

/** The object hooks of every format extension with their default settings, outermost first. */
export const FORMAT_HOOKS: readonly ObjectHook[] = formatHooks();
