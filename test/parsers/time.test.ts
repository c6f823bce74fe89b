import { describe, expect, it } from 'vitest';
import { parseIsoUtc } from '../../parsers/shared/time.js';

describe('parseIsoUtc', () => {
  it('parses the forms AWS writes', () => {
    expect(parseIsoUtc('2024-05-01T10:02:03Z')).toBe(Date.UTC(2024, 4, 1, 10, 2, 3));
    expect(parseIsoUtc('2024-05-01T10:02:03.5Z')).toBe(Date.UTC(2024, 4, 1, 10, 2, 3, 500));
    expect(parseIsoUtc('2024-05-01T10:02:03.123456Z')).toBe(Date.UTC(2024, 4, 1, 10, 2, 3, 123));
    expect(parseIsoUtc('2024-05-01T10:02:03+00:00')).toBe(Date.UTC(2024, 4, 1, 10, 2, 3));
  });
  it('reads space-separated and zone-less exports as UTC', () => {
    expect(parseIsoUtc('2024-05-01 10:02:03')).toBe(Date.UTC(2024, 4, 1, 10, 2, 3));
    expect(parseIsoUtc('2024-05-01 10:02:03.000000000')).toBe(Date.UTC(2024, 4, 1, 10, 2, 3));
  });
  it('returns NaN for anything else, including impossible dates and other zones', () => {
    for (const s of ['', 'yesterday', '2024-05-01', '2024-13-01T00:00:00Z', '2024-02-30T00:00:00Z', '2024-05-01T25:00:00Z', '2024-05-01T10:02:03+02:00', '2025-10-21TT00:52:27Z', '2024-05-01T10:02:03Zjunk']) {
      expect(parseIsoUtc(s), s).toBeNaN();
    }
  });
});
