/**
 * Renders `docs/schema.md` from the schema table; a test fails when the committed file is stale.
 */
import { COLUMNS, COLUMN_TYPES, ERROR_COLUMNS, PARTITION_KEYS } from './columns.js';
import { EVENT_TIME_RANGE } from './limits.js';
import { INVALID_FIELD_PREFIX, MAX_TYPED_STRING_CHARS } from './validate.js';
import { CATEGORIES, OUTCOMES, PARSER_SOURCES, REJECT_REASONS, SKIP_REASONS, SOURCES } from './vocabulary.js';

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
    `Parsers (\`parser_version\` is \`<parser>@<version>\`): ${Object.entries(PARSER_SOURCES)
      .map(([id, source]) => (id === source ? `\`${id}\`` : `\`${id}\` (source \`${source}\`)`))
      .join(', ')}.`,
    '',
    '## Validation',
    '',
    'Every record passes one check between its parser and the writer, so a single value never costs',
    'the object and the writer never fails on data:',
    '',
    `- \`time\` must be a valid time from ${EVENT_TIME_RANGE.firstDay} up to ${EVENT_TIME_RANGE.daysAhead} day(s) after the day it is written; the`,
    `  Athena table projects exactly these days (\`${EVENT_TIME_RANGE.firstDay},NOW+${EVENT_TIME_RANGE.daysAhead}DAYS\`), so a row DuckDB`,
    '  sees is a row Athena sees. Other times are rejected as `bad_timestamp` or `time_out_of_range`, the',
    '  line kept in `errors`. Fractions of a millisecond are cut (the column holds milliseconds).',
    '- `category` and `outcome` must be values of their vocabularies; otherwise the record is rejected as',
    '  `parser_error` (a parser bug, never a property of the input).',
    '- Any other typed column whose value does not fit — an `int` outside 32 bits, a `bigint` that is not',
    `  an integer below 2^53 (\`1.5\`, \`1e30\`), a \`double\` that is not finite, a string over ${MAX_TYPED_STRING_CHARS.toLocaleString("en-US")} characters —`,
    `  is set to null and its text kept in \`fields\` under \`${INVALID_FIELD_PREFIX}<column>\`; the manifest counts them by`,
    '  column (`invalid_values`). The event is real; only that value is unusable.',
    '- A JSON record nested deeper than `maxJsonDepth` (512) is rejected as `too_deep`; an exception',
    '  inside a parser costs its record (`parser_error`), never the object.',
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
