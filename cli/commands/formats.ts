/** `loglake formats`: the supported formats and the object keys they are recognized by. */
import { DEFAULT_REGISTRY } from '../../pipeline/index.js';
import { parse } from '../args.js';
import type { Io } from '../io.js';
import { textTable } from '../format.js';

export const help = `usage: loglake formats [--json]

Lists the supported log formats: the parser id (what a routing rule or replay may pin, besides
a source), the source it writes (the "source" partition), the parser version, how objects are
framed, and the AWS key naming they are recognized by. Objects whose key matches
no pattern are recognized by their content. Ignored kinds (e.g. CloudTrail digests) are listed
too: they are recorded in manifests but produce no events.

options:
  --json        one JSON object per format
  -h, --help    this help
`;

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean' } });
  if (values.help) {
    io.stdout.write(help);
    return 0;
  }
  const rows = [
    ...DEFAULT_REGISTRY.parsers.map((p) => ({
      parser: p.id,
      source: p.source,
      version: p.version,
      framing: p.framing,
      description: p.description,
      key: p.keyExample,
      docs: p.docsUrl,
    })),
    ...DEFAULT_REGISTRY.ignorables.map((i) => ({ parser: i.name, source: i.source, version: null, framing: 'ignored', description: i.description, key: i.keyExample, docs: null })),
  ];
  if (values.json) {
    for (const r of rows) io.stdout.write(`${JSON.stringify(r)}\n`);
  } else {
    io.stdout.write(`${textTable(['parser', 'source', 'version', 'framing', 'description'], rows.map((r) => [r.parser, r.source, r.version, r.framing, r.description]))}\n\n`);
    for (const r of rows) io.stdout.write(`${r.parser}: ${r.key}\n`);
  }
  return 0;
}
