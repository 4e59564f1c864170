import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeName, encodeName, isValidName, MAX_NAME_BYTES, nameProblem } from '../src/index.js';

describe('the name rules', () => {
  it.each([
    ['', 'name is empty'],
    ['/abs', 'starts with "/"'],
    ['a/../b', '".." segment'],
    ['./a', '".." segment'],
    ['a/.', '".." segment'],
    ['a\nb', 'control character'],
    ['a\u0085b', 'control character'],
    ['x'.repeat(MAX_NAME_BYTES + 1), 'name is 1025 bytes; the limit is 1024'],
    ['é'.repeat(513), 'name is 1026 bytes'],
    ['\ud800', 'not valid UTF-8'],
    ['a\udc00b', 'not valid UTF-8'],
  ])('refuses %j (%s)', (name, why) => {
    expect(nameProblem(name)).toContain(why);
    expect(isValidName(name)).toBe(false);
  });

  it('accepts ordinary keys, dots inside segments, a byte-order mark and 1024-byte names', () => {
    for (const name of [
      'a',
      'dir/file.txt',
      'a..b/.hidden',
      'trailing/',
      '\ufeffbom',
      '😀/x',
      'é'.repeat(512),
      'x'.repeat(1024),
    ]) {
      expect(nameProblem(name)).toBeUndefined();
      expect(isValidName(name)).toBe(true);
    }
  });

  it('measures names in UTF-8 bytes, as Buffer does', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 600 }), (name) => {
        const bytes = Buffer.byteLength(name, 'utf8');
        const problem = nameProblem(name);
        if (bytes > MAX_NAME_BYTES) expect(problem).toContain(`name is ${bytes} bytes`);
        else expect(problem ?? '').not.toContain('bytes; the limit');
      }),
    );
  });
});

describe('names in URLs', () => {
  it('percent-encodes each segment and keeps the slashes', () => {
    expect(encodeName('a b/c?d#e%f')).toBe('a%20b/c%3Fd%23e%25f');
    expect(encodeName('photos/2024/été.jpg')).toBe('photos/2024/%C3%A9t%C3%A9.jpg');
  });

  it('round-trips any string through encode and decode', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (name) => {
        const encoded = encodeName(name);
        expect(encoded).not.toMatch(/[?#\s]/);
        expect(decodeName(encoded)).toBe(name);
        expect(decodeURIComponent(encoded)).toBe(name);
      }),
    );
  });

  it('throws on malformed percent-encoding', () => {
    expect(() => decodeName('%E0%A4%A')).toThrow(URIError);
  });
});
