/**
 * AWS Config item change notifications written to the lake without reading S3 (DESIGN:
 * notifications, 4). The notification is treated as a small object of its own: one line per
 * configuration item, each line the notification with that single item, normalized by the
 * Config parser's `configNotificationWork`. Going through `processObject` gives it everything an
 * object gets: partitions, identity columns, rejects, a manifest, and a deterministic name from
 * the SNS message id, so a redelivered notification rewrites instead of duplicating.
 */
import { configNotificationWork, configParser, type JsonParser, type ParseResult } from '../../parsers/index.js';
import type { ConfigItemHandler } from '../messages/ingest-message.js';
import { processObject } from '../run/process-object.js';
import type { Pin, Registry } from '../route/route.js';
import type { ObjectRef, ObjectSource, OpenedObject } from '../storage/storage.js';

/** Bytes already in memory (a notification is at most 256 KB), served as an object. */
class InlineSource implements ObjectSource {
  constructor(private readonly bytes: Uint8Array) {}

  async open(): Promise<OpenedObject> {
    const bytes = this.bytes;
    return {
      body: (async function* (): AsyncGenerator<Uint8Array> {
        yield bytes;
      })(),
      size: bytes.byteLength,
    };
  }
}

/** One change notification carrying one item per line; `config` source, the Config parser's id and version. */
export const configChangeParser: JsonParser = {
  id: configParser.id,
  source: configParser.source,
  version: configParser.version,
  framing: 'json-records',
  containerKeys: [],
  description: 'AWS Config configuration item change notifications (inline, from SNS)',
  docsUrl: 'https://docs.aws.amazon.com/config/latest/developerguide/notifications-for-AWS-Config.html',
  keyPatterns: [],
  keyExample: '(not an S3 object: delivered in the notification)',
  sniff: () => false,
  parse(message: unknown): ParseResult {
    const work = configNotificationWork(message);
    const first = work.kind === 'records' ? work.records[0] : undefined;
    if (first !== undefined) return { ok: true, record: first.record };
    return { ok: false, reason: 'unknown_format', detail: work.kind === 'unknown' ? work.reason : `a ${work.kind} notification carries no item` };
  },
};

const REGISTRY: Registry = { parsers: [configChangeParser], ignorables: [] };
const PIN: Pin = { kind: 'pin', format: configChangeParser.id, exact: true };

/** `object` of the rows of an inline notification: the notification's id, since there is no S3 object. */
export function configNotificationRef(notificationId: string): ObjectRef {
  return { bucket: '', key: `config-notification/${notificationId}` };
}

/** The default `ConfigItemHandler`: writes the items of a change notification to the lake. */
export const processConfigChange: ConfigItemHandler = async (notification, deps) => {
  const item = notification.message.configurationItem;
  const items = Array.isArray(item) ? item : [item];
  const lines = items.map((ci) => JSON.stringify({ ...notification.message, configurationItem: ci })).join('\n');
  return processObject(configNotificationRef(notification.notificationId), {
    source: new InlineSource(Buffer.from(lines, 'utf8')),
    sink: deps.sink,
    options: deps.options,
    registry: REGISTRY,
    rule: () => PIN,
    ...(deps.now !== undefined ? { now: deps.now } : {}),
    ...(deps.createdBy !== undefined ? { createdBy: deps.createdBy } : {}),
  });
};
