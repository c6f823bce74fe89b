/**
 * Room `pipeline/formats/`: format extensions, the behaviour particular formats need beyond
 * "parse each record" that the core run must not know by name. Each is handed to the core as a
 * hook, never imported by it: `billing-assemblies.ts` is an `ObjectHook` of `processObject`
 * (CUR report versions staged, then published whole); `config-items.ts` is the
 * `ConfigItemHandler` of `ingestMessage` (inline AWS Config item notifications). This room may
 * import the core rooms; no core room imports it. The front door (`pipeline/index.ts`) wires
 * `FORMAT_HOOKS` into every run it hands out.
 */
import type { ObjectHook } from '../run/process-object.js';
import { billingAssemblies } from './billing-assemblies.js';

/** The object hooks of every format extension, outermost first. */
export const FORMAT_HOOKS: readonly ObjectHook[] = [billingAssemblies];
