/**
 * The arrows of DESIGN.md, enforced: functions/cli → pipeline → parsers → schema, infra → schema,
 * and the pure folders (schema, parsers) free of I/O, AWS SDK, environment, console and clock.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { filesUnder } from './helpers/lake.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FOLDERS = ['schema', 'parsers', 'pipeline', 'functions', 'cli', 'infra'] as const;
type Folder = (typeof FOLDERS)[number];

/** Which project folders each folder may import from (besides itself). */
const ALLOWED: Record<Folder, readonly Folder[]> = {
  schema: [],
  parsers: ['schema'],
  pipeline: ['parsers', 'schema'],
  functions: ['pipeline', 'parsers', 'schema'],
  cli: ['functions', 'pipeline', 'parsers', 'schema'],
  infra: ['schema'],
};
/** Single files outside `ALLOWED` that a folder may import: infra shares the worker's env names. */
const ALLOWED_FILES: Partial<Record<Folder, readonly string[]>> = { infra: ['functions/ingest/env-names.ts'] };

/** The TypeScript sources under a project folder, as absolute paths. */
function sources(folder: string): string[] {
  const dir = join(ROOT, folder);
  return filesUnder(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => join(dir, f));
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2]) as string);
}

function folderOf(path: string): Folder | null {
  const top = relative(ROOT, path).split('/')[0];
  return (FOLDERS as readonly string[]).includes(top as string) ? (top as Folder) : null;
}

describe('architecture', () => {
  for (const folder of FOLDERS) {
    it(`${folder}/ imports only ${ALLOWED[folder].join(', ') || 'itself'}`, () => {
      const violations: string[] = [];
      for (const file of sources(folder)) {
        for (const spec of importsOf(file)) {
          if (!spec.startsWith('.')) continue;
          const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
          const to = folderOf(target);
          if (to === null || to === folder || ALLOWED[folder].includes(to)) continue;
          if (ALLOWED_FILES[folder]?.includes(relative(ROOT, target))) continue;
          violations.push(`${relative(ROOT, file)} → ${relative(ROOT, target)}`);
        }
      }
      expect(violations).toEqual([]);
    });
  }

  for (const folder of ['schema', 'parsers'] as const) {
    it(`${folder}/ is pure: no packages, node builtins, environment, console or clock`, () => {
      const violations: string[] = [];
      for (const file of sources(folder)) {
        for (const spec of importsOf(file)) {
          if (!spec.startsWith('.')) violations.push(`${relative(ROOT, file)} imports ${spec}`);
        }
        const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
        for (const banned of ['process.', 'console.', 'Date.now(', 'require(']) {
          if (code.includes(banned)) violations.push(`${relative(ROOT, file)} uses ${banned}`);
        }
      }
      expect(violations).toEqual([]);
    });
  }
});
