import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../pipeline/run/errors.js';
import { hasZstd, resolveOptions } from '../../pipeline/run/options.js';

describe('resolveOptions', () => {
  it('fills documented defaults and freezes the result', () => {
    const o = resolveOptions();
    expect(o).toEqual({ maxLineBytes: 4 * 1024 * 1024, rowGroupRows: 20_000, codec: hasZstd() ? 'ZSTD' : 'GZIP', keepRaw: true, keepSelfTraffic: false, maxRejectRawBytes: 65_536, maxJsonDepth: 512, threads: 1 });
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
    expect(fail({ maxLineByte: 5 })).toMatchObject({
      code: 'unknown_option',
      message: 'option maxLineByte: unknown option; known options: maxLineBytes, rowGroupRows, codec, keepRaw, keepSelfTraffic, maxRejectRawBytes, maxJsonDepth, threads',
    });
    expect(fail({ rowGroupRows: 0 })).toMatchObject({ code: 'invalid_option', message: 'option rowGroupRows: must be a positive integer, got 0' });
    expect(fail({ keepRaw: 'yes' })).toMatchObject({ code: 'invalid_option', message: 'option keepRaw: must be true or false, got "yes"' });
    expect(fail({ codec: 'LZ4' })).toMatchObject({ code: 'invalid_option', message: 'option codec: must be one of GZIP, ZSTD, SNAPPY, UNCOMPRESSED, got "LZ4"' });
    expect(fail({ rowGroupRows: 1.5, keepRaw: 1 }).message).toBe('option rowGroupRows: must be a positive integer, got 1.5; option keepRaw: must be true or false, got 1');
  });
});
