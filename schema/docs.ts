/**
 * Renders `docs/schema.md` from the schema table; a test fails when the committed file is stale.
 */
import { COLUMNS, COLUMN_TYPES, ERROR_COLUMNS, PARTITION_KEYS } from './columns.js';
import { CATEGORIES, OUTCOMES, REJECT_REASONS, SKIP_REASONS, SOURCES } from './vocabulary.js';

function table(rows: ReadonlyArray<{ name: string; type: keyof typeof COLUMN_TYPES; doc: string }>): string[] {
  return [
    '| column | type | meaning |',
    '|---|---|---|',
    ...rows.map((r) => `| \`${r.name}\` | ${COLUMN_TYPES[r.type].doc} | ${r.doc} |`),
  ];
}

/** The Markdown text of `docs/schema.md`. */
export function renderSchemaDoc(): string {
  const lines = [
    '# The common schema',
    '',
    '<!-- Generated from schema/ by `npm run docs:schema`; do not edit by hand. -->',
    '',
    'Table `events`: one row per event of any source, stored as Parquet under',
    '`lake/source=<source>/dt=<YYYY-MM-DD>/`.',
    '',
    '## Partition keys',
    '',
    ...table(PARTITION_KEYS),
    '',
    `Sources: ${SOURCES.map((s) => `\`${s}\``).join(', ')}.`,
    '',
    '## Data columns',
    '',
    ...table(COLUMNS),
    '',
    `Categories: ${CATEGORIES.map((s) => `\`${s}\``).join(', ')}. Outcomes: ${OUTCOMES.map((s) => `\`${s}\``).join(', ')}.`,
    '',
    '## Table `errors`',
    '',
    'Rejected lines, as gzipped JSON lines under `errors/source=<source>/dt=<YYYY-MM-DD>/`, partitioned like `events`.',
    '',
    ...table(ERROR_COLUMNS),
    '',
    '### Reject reasons',
    '',
    '| reason | meaning |',
    '|---|---|',
    ...Object.entries(REJECT_REASONS).map(([k, v]) => `| \`${k}\` | ${v} |`),
    '',
    '### Skip reasons',
    '',
    'Skipped lines are counted in the manifest, not stored: `lines_in = records + rejected + skipped`.',
    '',
    '| reason | meaning |',
    '|---|---|',
    ...Object.entries(SKIP_REASONS).map(([k, v]) => `| \`${k}\` | ${v} |`),
    '',
  ];
  return lines.join('\n');
}
