import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../pipeline/run/errors.js';
import { hasZstd, resolveOptions } from '../../pipeline/run/options.js';

describe('resolveOptions', () => {
  it('fills documented defaults and freezes the result', () => {
    const o = resolveOptions();
    expect(o).toEqual({ maxLineBytes: 4 * 1024 * 1024, rowGroupRows: 20_000, codec: hasZstd() ? 'ZSTD' : 'GZIP', keepRaw: true, keepSelfTraffic: false, maxRejectRawBytes: 65_536, maxJsonDepth: 512 });
    expect(Object.isFrozen(o)).toBe(true);
  });

  it('rejects unknown keys and bad values with a message naming them', () => {
    const fail = (input: Record<string, unknown>): ConfigError => {
      try {
        resolveOptions(input);
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    };
    expect(fail({ maxLineByte: 5 })).toMatchObject({ code: 'unknown_option', message: expect.stringContaining('"maxLineByte"') });
    expect(fail({ rowGroupRows: 0 })).toMatchObject({ code: 'invalid_option', message: 'option rowGroupRows must be a positive integer, got 0' });
    expect(fail({ keepRaw: 'yes' })).toMatchObject({ code: 'invalid_option' });
    expect(fail({ codec: 'LZ4' })).toMatchObject({ code: 'invalid_option', message: expect.stringContaining('GZIP, ZSTD, SNAPPY, UNCOMPRESSED') });
  });
});
