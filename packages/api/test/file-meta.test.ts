import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_CONTENT_TYPE_LENGTH,
  MAX_USER_META_BYTES,
  MAX_USER_META_KEY_LENGTH,
  canonicalFileMeta,
  contentDisposition,
  fileMetaKey,
  fileMetaSchema,
  userMetaBytes,
} from '../src/index.js';

const md5 = '0123456789abcdef0123456789abcdef';

describe('file metadata schema', () => {
  it('accepts every field, each optional', () => {
    expect(fileMetaSchema.safeParse({}).success).toBe(true);
    const full = { contentType: 'text/plain; charset=utf-8', userMeta: { a: 'b' }, md5 };
    expect(fileMetaSchema.parse(full)).toEqual(full);
    expect(fileMetaSchema.safeParse({ md5: `${md5}-12` }).success).toBe(true);
  });

  it('bounds the content type: length and printable ASCII only', () => {
    const at = 'a/' + 'b'.repeat(MAX_CONTENT_TYPE_LENGTH - 2);
    expect(fileMetaSchema.safeParse({ contentType: at }).success).toBe(true);
    expect(fileMetaSchema.safeParse({ contentType: at + 'c' }).success).toBe(false);
    expect(fileMetaSchema.safeParse({ contentType: 'text/plain\r\nx: y' }).success).toBe(false);
    expect(fileMetaSchema.safeParse({ contentType: '' }).success).toBe(false);
  });

  it('bounds user metadata at 2 KiB of keys and values together', () => {
    const value = 'v'.repeat(MAX_USER_META_BYTES - 1);
    expect(fileMetaSchema.safeParse({ userMeta: { k: value } }).success).toBe(true);
    expect(fileMetaSchema.safeParse({ userMeta: { k: value + 'v' } }).success).toBe(false);
    const split = { a: 'x'.repeat(1000), b: 'y'.repeat(1000), c: 'z'.repeat(46) };
    expect(userMetaBytes(split)).toBe(MAX_USER_META_BYTES + 1);
    expect(fileMetaSchema.safeParse({ userMeta: split }).success).toBe(false);
  });

  it('refuses user metadata keys that are not lower-case header tokens, or too long', () => {
    expect(fileMetaSchema.safeParse({ userMeta: { Upper: 'x' } }).success).toBe(false);
    expect(fileMetaSchema.safeParse({ userMeta: { 'a b': 'x' } }).success).toBe(false);
    expect(fileMetaSchema.safeParse({ userMeta: { '': 'x' } }).success).toBe(false);
    const long = 'k'.repeat(MAX_USER_META_KEY_LENGTH);
    expect(fileMetaSchema.safeParse({ userMeta: { [long]: 'x' } }).success).toBe(true);
    expect(fileMetaSchema.safeParse({ userMeta: { [long + 'k']: 'x' } }).success).toBe(false);
    expect(fileMetaSchema.safeParse({ userMeta: { a: 'line\nbreak' } }).success).toBe(false);
  });

  it('takes an MD5 only as lower-case hex, optionally with a part count', () => {
    expect(fileMetaSchema.safeParse({ md5: md5.toUpperCase() }).success).toBe(false);
    expect(fileMetaSchema.safeParse({ md5: md5.slice(1) }).success).toBe(false);
    expect(fileMetaSchema.safeParse({ md5: `${md5}-0` }).success).toBe(false);
    expect(fileMetaSchema.safeParse({ md5: `${md5}-100000` }).success).toBe(false);
  });
});

describe('canonical metadata', () => {
  it('drops empty parts and sorts user keys, so equal metadata has one key', () => {
    expect(canonicalFileMeta({})).toBeUndefined();
    expect(canonicalFileMeta({ userMeta: {} })).toBeUndefined();
    expect(fileMetaKey(undefined)).toBe('');
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[a-z]{1,4}$/), fc.string()), (user) => {
        const reversed = Object.fromEntries(Object.entries(user).reverse());
        expect(fileMetaKey({ userMeta: user, md5 })).toBe(fileMetaKey({ md5, userMeta: reversed }));
      }),
    );
  });
});

describe('content disposition', () => {
  it('names the last segment, RFC 8187-encoded, with an ASCII fallback', () => {
    expect(contentDisposition('photos/cat.jpg')).toBe(
      `inline; filename="cat.jpg"; filename*=UTF-8''cat.jpg`,
    );
    expect(contentDisposition('a/été "1".txt')).toBe(
      `inline; filename="_t_ _1_.txt"; filename*=UTF-8''%C3%A9t%C3%A9%20%221%22.txt`,
    );
  });

  it('is always a safe header value', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (name) => {
        expect(contentDisposition(name)).toMatch(/^[\x20-\x7e]*$/);
      }),
    );
  });
});
