/**
 * What the database-log parsers read from SQL text: the statement's command, for `action`.
 */

/** Longest first keyword taken as the command: no SQL command name is longer. */
const MAX_VERB = 32;

function isBlank(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** End of the comment opening at `i` (`--`, MySQL's `#`, or a nested `/* … *\/`), or -1 when it never ends. */
function commentEnd(sql: string, i: number): number {
  if (sql.charCodeAt(i) === 47) {
    let depth = 1;
    let j = i + 2;
    const n = sql.length;
    while (depth > 0 && j < n) {
      if (sql.charCodeAt(j) === 47 && sql.charCodeAt(j + 1) === 42) {
        depth++;
        j += 2;
      } else if (sql.charCodeAt(j) === 42 && sql.charCodeAt(j + 1) === 47) {
        depth--;
        j += 2;
      } else {
        j++;
      }
    }
    return depth > 0 ? -1 : j;
  }
  const nl = sql.indexOf('\n', i);
  return nl < 0 ? -1 : nl + 1;
}

/**
 * The SQL command of a statement: its first keyword upper-cased (`select` → `SELECT`, a CTE's
 * `WITH`), after blanks, opening parentheses and comments (`-- …`, `# …` as MySQL reads it —
 * `hashComments: false` for dialects where `#` is no comment, such as Redshift — and nested
 * `/* … *\/`, MySQL's `/*! … *\/` included); null when the text starts with anything else or is
 * only comments.
 */
export function sqlVerb(sql: string, opts: { readonly hashComments?: boolean } = {}): string | null {
  const hash = opts.hashComments ?? true;
  const n = sql.length;
  let i = 0;
  for (;;) {
    while (i < n && (isBlank(sql.charCodeAt(i)) || sql.charCodeAt(i) === 40)) i++;
    const c = sql.charCodeAt(i);
    const comment = (c === 45 && sql.charCodeAt(i + 1) === 45) || (hash && c === 35) || (c === 47 && sql.charCodeAt(i + 1) === 42);
    if (!comment) break;
    i = commentEnd(sql, i);
    if (i < 0) return null;
  }
  let j = i;
  while (j < n && j - i <= MAX_VERB && isLetter(sql.charCodeAt(j))) j++;
  if (j === i || j - i > MAX_VERB) return null;
  return sql.slice(i, j).toUpperCase();
}
