import { describe, expect, it } from 'vitest';
import { Section, problemText, problemsText, show, type Problem } from '../../schema/checks.js';

const texts = (s: Section): string[] => s.problems.map(problemText);

describe('Section', () => {
  it('returns values, and fallbacks for absent fields (undefined or null)', () => {
    const s = new Section({ a: 'x', b: true, n: 5, f: 1.5, c: 'B', l: ['p'], z: null });
    expect([s.string('a', 'd'), s.string('z', 'd'), s.optionalString('missing'), s.bool('b', false), s.int('n', 0, 1, 10), s.optionalInt('z', 1)]).toEqual([
      'x',
      'd',
      null,
      true,
      5,
      null,
    ]);
    expect([s.number('f', 0, 0, 2), s.oneOf('c', 'A', ['A', 'B']), s.strings('l', ['']), s.strings('missing', [''])]).toEqual([1.5, 'B', ['p'], ['']]);
    expect(s.problems).toEqual([]);
  });

  it('names the full path, what was expected and what came, collecting every problem', () => {
    const s = new Section({ a: 1, b: 'yes', n: 0, m: 11, c: 'C', f: 'x', l: ['ok', 3, '/bad'], deep: { x: { y: 'z' } } }, { path: 'top' });
    s.string('a', '', /^a$/, 'the letter a');
    s.bool('b', false);
    s.int('n', 1, 1);
    s.int('m', 1, 1, 10);
    s.oneOf('c', 'A', ['A', 'B']);
    s.number('f', 0, 0, 100);
    expect(s.strings('l', [], (v) => (v.startsWith('/') ? 'must not start with "/"' : null))).toEqual(['ok']);
    s.section('deep', ['x']).section('x', ['w']);
    expect(texts(s)).toEqual([
      'top.a: must be the letter a, got 1',
      'top.b: must be true or false, got "yes"',
      'top.n: must be a positive integer, got 0',
      'top.m: must be an integer from 1 to 10, got 11',
      'top.c: must be one of A, B, got "C"',
      'top.f: must be a number from 0 to 100, got "x"',
      'top.l[1]: must be a string, got 3',
      'top.l[2]: must not start with "/"',
      'top.deep.x.y: unknown key; known keys: w',
    ]);
  });

  it('rejects unknown keys, marks them, and says what a key is called', () => {
    const s = new Section({ colour: 1, PATH: '/bin' }, { known: ['color'], noun: 'option', only: (k) => k !== 'PATH' });
    expect(s.problems).toEqual([{ path: 'colour', message: 'unknown option; known options: color', unknown: true }]);
    expect(new Section({ anything: 1 }, { known: null }).problems).toEqual([]);
  });

  it('reports a section that is no object, with its expected shape; absent counts as empty', () => {
    expect(texts(new Section([], { path: 'tags', shape: 'an object of string values' }))).toEqual(['tags: must be an object of string values, got []']);
    const absent = new Section(undefined, { path: 'lake' });
    expect([absent.isObject, absent.problems, absent.int('days', 7, 1)]).toEqual([false, [], 7]);
  });

  it('reads lists of sections with indexed paths, and requires fields', () => {
    const s = new Section({ rules: [{ prefix: 'a/' }, null, 'x'] });
    const rules = s.sections('rules', ['prefix', 'format'], { shape: 'a rule object' });
    rules.forEach((r) => r.required('format', 'a format name'));
    expect(texts(s)).toEqual([
      'rules[1]: must be a rule object, got null',
      'rules[2]: must be a rule object, got "x"',
      'rules[0].format: is required (a format name)',
      'rules[1].format: is required (a format name)',
      'rules[2].format: is required (a format name)',
    ]);
    const t = new Section({ list: [], other: {} });
    expect([t.list('list', 'a non-empty list', true), t.list('other')]).toEqual([null, null]);
    expect(texts(t)).toEqual(['list: must be a non-empty list, got []', 'other: must be an array, got {}']);
  });

  it('reads text (environment variables): empty is absent, booleans and integers from their text', () => {
    const s = new Section({ A: 'true', B: 'false', N: '42', E: '', X: '1e3', Y: 'maybe' }, { text: true });
    expect([s.bool('A', false), s.bool('B', true), s.int('N', 0, 1), s.int('E', 9, 1), s.has('E')]).toEqual([true, false, 42, 9, false]);
    expect([s.int('X', 9, 1), s.bool('Y', true)]).toEqual([9, true]);
    expect(texts(s)).toEqual(['X: must be a positive integer, got "1e3"', 'Y: must be true or false, got "maybe"']);
    expect(new Section({ N: 4 }).int('N', 0, 1)).toBe(4);
    expect(new Section({ N: '4' }).optionalInt('N', 1)).toBeNull();
  });
});

describe('problem text', () => {
  it('joins path and message, prefixes an origin, cuts long values', () => {
    const ps: Problem[] = [
      { path: '', message: 'must be an object, got []' },
      { path: 'rules[0].format', message: 'is required' },
    ];
    expect(problemsText(ps)).toBe('must be an object, got []; rules[0].format: is required');
    expect(problemsText(ps, 'rules.json')).toBe('rules.json: must be an object, got []; rules.json: rules[0].format: is required');
    expect(show('x'.repeat(100))).toBe(`"${'x'.repeat(59)}…`);
    expect(show(undefined)).toBe('undefined');
  });
});
