import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeName, encodeName, nameProblem } from '../src/index.js';

describe('names', () => {
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
        expect(encoded.split('/').length).toBe(name.split('/').length);
      }),
    );
  });

  it.each([
    ['', 'empty'],
    ['/abs', 'starts with "/"'],
    ['a/../b', '".." segment'],
    ['./a', '".." segment'],
    ['a\nb', 'control character'],
    ['x'.repeat(1025), 'limit is 1024'],
    ['\ud800', 'not valid UTF-8'],
  ])('refuses %j (%s)', (name, why) => {
    expect(nameProblem(name)).toContain(why);
  });

  it('accepts ordinary keys, dots inside segments and 1024-byte names', () => {
    for (const name of ['a', 'dir/file.txt', 'a..b/.hidden', 'é'.repeat(512), 'x'.repeat(1024)]) {
      expect(nameProblem(name)).toBeUndefined();
    }
  });
});
