/**
 * Rows of the `integrity` table as the worker stores them: one JSON line each, fields in
 * `INTEGRITY_COLUMNS` order, times in the text form Athena's JSON SerDe reads as a timestamp.
 */
import { INTEGRITY_COLUMNS, integrityTime, type IntegrityRow } from '../../schema/index.js';

/** The JSON lines of `rows`. */
export function serializeIntegrityRows(rows: readonly IntegrityRow[]): string {
  return rows
    .map((r) => {
      const out: Record<string, string | null> = {};
      for (const c of INTEGRITY_COLUMNS) {
        const v = r[c.name];
        out[c.name] = c.type === 'timestamp' ? integrityTime(v as number) : (v as string | null);
      }
      return `${JSON.stringify(out)}\n`;
    })
    .join('');
}
