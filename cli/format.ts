/** Plain-text tables and number formatting for CLI output. */

/** Default longest cell of a table (and a Markdown table) before it is cut with `…`. */
export const DEFAULT_MAX_WIDTH = 60;

/** Rows taken to size a streamed table's columns; later rows are cut to those widths. */
export const TABLE_SAMPLE_ROWS = 1000;

/** A cell as text: nothing for null, JSON for lists and objects. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Table cells stay on one line. */
const oneLine = (s: string): string => s.replace(/\r\n|[\r\n\t]/g, ' ');

const isNumeric = (v: unknown): boolean => typeof v === 'number' || typeof v === 'bigint' || (typeof v === 'string' && /^-?[\d,.]+$/.test(v));

/**
 * An aligned text table written as rows arrive: column widths (at most `maxWidth`, longer cells
 * cut with `…`) and right-alignment of numeric columns are decided from the first
 * `TABLE_SAMPLE_ROWS` rows, then every later row is written with the same widths, so a result of
 * any size is printed in bounded memory. A later number wider than its column is not cut: it
 * pushes the rest of its line right.
 */
export class TableStream {
  private sample: unknown[][] | null = [];
  private widths: number[] = [];
  private numeric: boolean[] = [];

  constructor(
    private readonly columns: readonly string[],
    private readonly maxWidth = DEFAULT_MAX_WIDTH,
  ) {}

  /** Text to write for these rows: nothing while the sample fills, then header and rows. */
  push(rows: ReadonlyArray<ReadonlyArray<unknown>>): string {
    if (this.sample === null) return this.lines(rows);
    const room = TABLE_SAMPLE_ROWS - this.sample.length;
    for (const r of rows.slice(0, room)) this.sample.push([...r]);
    if (this.sample.length < TABLE_SAMPLE_ROWS) return '';
    return this.flushSample() + this.lines(rows.slice(room));
  }

  /** Text left to write once every row was pushed. */
  end(): string {
    return this.sample === null ? '' : this.flushSample();
  }

  private flushSample(): string {
    const sample = this.sample ?? [];
    this.sample = null;
    this.widths = this.columns.map((c, i) => {
      let w = c.length;
      for (const r of sample) w = Math.max(w, oneLine(cellText(r[i])).length);
      return Math.max(1, Math.min(this.maxWidth, w));
    });
    this.numeric = this.columns.map((_, i) => {
      const present = sample.map((r) => r[i]).filter((v) => v !== null && v !== undefined);
      return present.length > 0 && present.every(isNumeric);
    });
    const head = `${this.line(this.columns)}\n${this.widths.map((w) => '-'.repeat(w)).join('  ')}\n`;
    return head + this.lines(sample);
  }

  private lines(rows: ReadonlyArray<ReadonlyArray<unknown>>): string {
    let out = '';
    for (const r of rows) out += `${this.line(this.columns.map((_, i) => oneLine(cellText(r[i]))))}\n`;
    return out;
  }

  private line(cells: readonly string[]): string {
    return cells
      .map((s, i) => {
        const w = this.widths[i] as number;
        // A number wider than the sampled ones overflows its column rather than being cut.
        if (this.numeric[i] && isNumeric(s)) return s.padStart(w);
        const t = s.length > w ? `${s.slice(0, w - 1)}…` : s;
        return this.numeric[i] ? t.padStart(w) : t.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  }
}

/** Renders rows as an aligned text table; numbers are right-aligned. */
export function textTable(columns: readonly string[], rows: ReadonlyArray<ReadonlyArray<unknown>>, maxWidth = DEFAULT_MAX_WIDTH): string {
  const t = new TableStream(columns, maxWidth);
  return (t.push(rows) + t.end()).replace(/\n$/, '');
}

/** A CSV field (RFC 4180): quoted when it holds a comma, quote, line break or edge space. */
export function csvField(v: unknown): string {
  const s = cellText(v);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export const csvLine = (cells: ReadonlyArray<unknown>): string => `${cells.map(csvField).join(',')}\r\n`;

/** A Markdown table cell: pipes escaped, line breaks as <br>, cut at `maxWidth`. */
export function markdownCell(v: unknown, maxWidth = DEFAULT_MAX_WIDTH): string {
  const s = cellText(v);
  const t = s.length > maxWidth ? `${s.slice(0, maxWidth - 1)}…` : s;
  return t.replaceAll('\\', '\\\\').replaceAll('|', '\\|').replace(/\r\n|[\r\n]/g, '<br>');
}

export const markdownLine = (cells: ReadonlyArray<unknown>, maxWidth = DEFAULT_MAX_WIDTH): string => `| ${cells.map((c) => markdownCell(c, maxWidth)).join(' | ')} |\n`;

export const mb = (bytes: number): string => (bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 1);
export const count = (n: number): string => n.toLocaleString('en-US');
