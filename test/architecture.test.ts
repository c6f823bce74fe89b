/**
 * The arrows of DESIGN.md, enforced: functions/cli → pipeline → parsers → schema, cli → query →
 * pipeline, infra → schema, and the pure folders (schema, parsers) free of I/O, AWS SDK,
 * environment, console and clock. Inside those arrows: `cli/`, `functions/` and `query/` enter
 * the pipeline through its doors (`pipeline/index.ts`, and `pipeline/aws.ts` for the S3 adapters) only, the pipeline core never
 * imports its format extensions (`pipeline/formats/`) and reaches the parsers through
 * `parsers/index.ts` only, and no import cycle exists anywhere.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { filesUnder } from './helpers/lake.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FOLDERS = ['schema', 'parsers', 'pipeline', 'query', 'functions', 'cli', 'infra'] as const;
type Folder = (typeof FOLDERS)[number];

/** Which project folders each folder may import from (besides itself). */
const ALLOWED: Record<Folder, readonly Folder[]> = {
  schema: [],
  parsers: ['schema'],
  pipeline: ['parsers', 'schema'],
  query: ['pipeline', 'schema'],
  functions: ['pipeline', 'parsers', 'schema'],
  cli: ['functions', 'query', 'pipeline', 'parsers', 'schema'],
  infra: ['schema'],
};
/**
 * Single files outside `ALLOWED` that a folder may import: infra shares the functions' env names;
 * `loglake onboard` reads the deployment configuration and prints the source-account plan the
 * CDK app builds its source stacks from, both plain data (checked below: no CDK, no SDK).
 */
const ALLOWED_FILES: Partial<Record<Folder, readonly string[]>> = {
  infra: ['functions/ingest/env-names.ts', 'functions/replay/env-names.ts', 'functions/cwlogs/env-names.ts', 'functions/rds-export/env-names.ts'],
  cli: ['infra/config.ts', 'infra/source-plan.ts'],
};

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

/** The project source files a file imports, as absolute paths (relative specifiers only). */
function localImportsOf(file: string): string[] {
  return importsOf(file)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
}

/**
 * The project's import graph: every source file of `FOLDERS` → the source files it imports.
 * Type-only imports (`import type`, `export type … from`) count: they are erased at run time, but
 * a cycle through types still ties two modules together (neither can be read, moved or reused
 * without the other), which is what this graph guards. Side-effect-only imports (`import './x.js'`)
 * are not matched by `IMPORT`; the project has none.
 */
/** Every source file `starts` import, directly or through others (type-only imports included), and the starts. */
function reachedFrom(starts: readonly string[]): Set<string> {
  const graph = importGraph();
  const reached = new Set<string>();
  const visit = (file: string): void => {
    if (reached.has(file)) return;
    reached.add(file);
    for (const next of graph.get(file) ?? []) visit(next);
  };
  for (const file of starts) visit(file);
  return reached;
}

function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const folder of FOLDERS) for (const file of sources(folder)) graph.set(file, []);
  for (const [file, edges] of graph) for (const target of localImportsOf(file)) if (graph.has(target)) edges.push(target);
  return graph;
}

/** Every cycle a depth-first walk closes, each as `a → b → … → a` (paths from the root). */
function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const cycles: string[] = [];
  const done = new Set<string>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const visit = (file: string): void => {
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file) ?? []) {
      if (onStack.has(next)) {
        const loop = [...stack.slice(stack.indexOf(next)), next];
        cycles.push(loop.map((f) => relative(ROOT, f)).join(' → '));
      } else if (!done.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    onStack.delete(file);
    done.add(file);
  };
  for (const file of [...graph.keys()].sort()) if (!done.has(file)) visit(file);
  return cycles;
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

  /** The pipeline's public surfaces: everything, and the AWS adapters apart so local use never loads the SDK. */
  const PIPELINE_DOORS = ['pipeline/index.ts', 'pipeline/aws.ts'];
  for (const folder of ['cli', 'functions', 'query'] as const) {
    it(`${folder}/ enters pipeline/ through its doors only (pipeline/index.ts, pipeline/aws.ts)`, () => {
      const violations: string[] = [];
      for (const file of sources(folder)) {
        for (const target of localImportsOf(file)) {
          const path = relative(ROOT, target);
          if (path.startsWith('pipeline/') && !PIPELINE_DOORS.includes(path)) violations.push(`${relative(ROOT, file)} → ${path}`);
        }
      }
      expect(violations).toEqual([]);
    });
  }

  it('the infra files cli/ may import load neither aws-cdk-lib, constructs nor the AWS SDK, not even through their imports', () => {
    const reached = reachedFrom((ALLOWED_FILES.cli ?? []).map((path) => join(ROOT, path)));
    expect(reached.size).toBeGreaterThan(1);
    const violations = [...reached].flatMap((file) =>
      importsOf(file)
        .filter((spec) => /^(aws-cdk-lib|constructs|cdk-nag|@aws-sdk\/)/.test(spec))
        .map((spec) => `${relative(ROOT, file)} imports ${spec}`),
    );
    expect(violations).toEqual([]);
  });

  it('the compiled command line (scripts/build-dist.mjs, bin/loglake.js) includes every folder cli/ reaches', () => {
    const reached = reachedFrom(sources('cli'));
    const folders = [...new Set([...reached].map((f) => relative(ROOT, f).split('/')[0] as string))].sort();
    for (const script of ['scripts/build-dist.mjs', 'bin/loglake.js']) {
      const listed = /const SOURCES = \[([^\]]*)\]/.exec(readFileSync(join(ROOT, script), 'utf8'))?.[1] ?? '';
      const compiled = [...listed.matchAll(/'([^']+)'/g)].map((m) => m[1] as string);
      expect(folders.filter((f) => !compiled.includes(f)), script).toEqual([]);
    }
  });

  it('no import cycle among the source files of any folder (type-only imports included)', () => {
    expect(cyclesOf(importGraph())).toEqual([]);
  });

  it('the pipeline core does not import pipeline/formats/; pipeline/ reaches parsers/ through parsers/index.ts only', () => {
    const violations: string[] = [];
    for (const file of sources('pipeline')) {
      const from = relative(ROOT, file);
      const core = !from.startsWith('pipeline/formats/') && from !== 'pipeline/index.ts' && from !== 'pipeline/aws.ts';
      for (const target of localImportsOf(file)) {
        const to = relative(ROOT, target);
        if (core && to.startsWith('pipeline/formats/')) violations.push(`${from} → ${to} (core imports a format extension)`);
        if (to.startsWith('parsers/') && to !== 'parsers/index.ts') violations.push(`${from} → ${to} (parser internals)`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('only pipeline/parquet/parquet-writer.ts imports hyparquet-writer internals', () => {
    const violations: string[] = [];
    for (const folder of FOLDERS) {
      for (const file of sources(folder)) {
        if (relative(ROOT, file) === 'pipeline/parquet/parquet-writer.ts') continue;
        for (const spec of importsOf(file)) if (spec.startsWith('hyparquet-writer/')) violations.push(`${relative(ROOT, file)} imports ${spec}`);
      }
    }
    expect(violations).toEqual([]);
  });

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

/**
 * Inside parsers/: no parser imports another. A parser module (one the registry imports as
 * `import * as x from './x.js'`) and its helpers (`<parser>-<part>.ts` beside it) form one
 * format; a file of a format imports only its own format, `parsers/shared/`, `parsers/types.ts`
 * and `schema/`. `parsers/shared/` imports only itself, `types.ts` and `schema/`, never a format.
 * The registry (`parsers/index.ts`) imports every parser.
 */
describe('architecture: parsers', () => {
  const PARSERS_DIR = join(ROOT, 'parsers');
  const REGISTRY = join(PARSERS_DIR, 'index.ts');
  const SHARED = join(PARSERS_DIR, 'shared');
  const TYPES = join(PARSERS_DIR, 'types.ts');
  const REGISTERED = [...readFileSync(REGISTRY, 'utf8').matchAll(/^import \* as \w+ from '\.\/([\w-]+)\.js'/gm)].map((m) => m[1] as string);
  const inShared = (file: string): boolean => file.startsWith(SHARED + '/');
  /** The format a top-level parsers/ module belongs to: the longest registered parser its name is or starts with (`<parser>-`). */
  function formatOf(file: string): string | null {
    if (dirname(file) !== PARSERS_DIR) return null;
    const name = relative(PARSERS_DIR, file).replace(/\.ts$/, '');
    const owners = REGISTERED.filter((p) => name === p || name.startsWith(`${p}-`));
    return owners.sort((a, b) => b.length - a.length)[0] ?? null;
  }
  /** Relative imports of a parsers/ file that resolve inside parsers/, as absolute .ts paths. */
  function parserImports(file: string): string[] {
    return importsOf(file)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => resolve(dirname(file), spec).replace(/\.js$/, '.ts'))
      .filter((target) => target.startsWith(PARSERS_DIR + '/'));
  }

  it('the registry names parser modules', () => {
    expect(REGISTERED.length).toBeGreaterThan(0);
  });

  it('a parser imports only its own format, parsers/shared/, parsers/types.ts and schema/', () => {
    const violations: string[] = [];
    for (const file of sources('parsers')) {
      if (file === REGISTRY || file === TYPES || inShared(file)) continue;
      const format = formatOf(file);
      if (format === null) {
        violations.push(`${relative(ROOT, file)} is neither a registered parser, nor a <parser>-<part>.ts helper, nor under parsers/shared/`);
        continue;
      }
      for (const target of parserImports(file)) {
        if (target === TYPES || inShared(target) || formatOf(target) === format) continue;
        violations.push(`${relative(ROOT, file)} (${format}) → ${relative(ROOT, target)}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('parsers/shared/ imports nothing from parser modules', () => {
    const violations: string[] = [];
    for (const file of sources('parsers').filter(inShared)) {
      for (const target of parserImports(file)) {
        if (target === TYPES || inShared(target)) continue;
        violations.push(`${relative(ROOT, file)} → ${relative(ROOT, target)}`);
      }
    }
    expect(violations).toEqual([]);
  });
});
