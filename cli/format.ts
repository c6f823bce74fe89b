/** Plain-text tables and number formatting for CLI output. */

/** Renders rows as an aligned text table; numbers are right-aligned. */
export function textTable(columns: readonly string[], rows: ReadonlyArray<ReadonlyArray<unknown>>): string {
  const cells = rows.map((r) => r.map((v) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v))));
  const numeric = columns.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || (typeof r[i] === 'string' && /^-?[\d,.]+$/.test(r[i] as string))));
  const widths = columns.map((c, i) => Math.min(60, Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length))));
  const fit = (s: string, i: number): string => {
    const w = widths[i] as number;
    const t = s.length > w ? `${s.slice(0, w - 1)}…` : s;
    return numeric[i] ? t.padStart(w) : t.padEnd(w);
  };
  const line = (r: readonly string[]): string => r.map(fit).join('  ').trimEnd();
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

export const mb = (bytes: number): string => (bytes / 1e6).toFixed(bytes < 1e7 ? 2 : 1);
export const count = (n: number): string => n.toLocaleString('en-US');
