import { describe, expect, it } from 'vitest';
import { API_ERROR_CODES, API_ERRORS, isApiErrorCode, statusOf } from '../src/index.js';

describe('the error table', () => {
  it.each([
    ['BAD_REQUEST', 400],
    ['INVALID_NAME', 400],
    ['UNAUTHORIZED', 401],
    ['NOT_FOUND', 404],
    ['UNKNOWN_NODE', 404],
    ['METHOD_NOT_ALLOWED', 405],
    ['CONFLICT', 409],
    ['TOO_LARGE', 413],
    ['CHECKSUM_MISMATCH', 422],
    ['TOO_MANY_UPLOADS', 429],
    ['RANGE_NOT_SATISFIABLE', 416],
    ['INTERNAL', 500],
    ['UNAVAILABLE', 503],
    ['TIMEOUT', 504],
    ['INSUFFICIENT_STORAGE', 507],
  ] as const)('%s answers %i', (code, status) => {
    expect(statusOf(code)).toBe(status);
  });

  it('lists every code once, and only codes of the table are codes', () => {
    expect(API_ERROR_CODES).toEqual(Object.keys(API_ERRORS));
    expect(API_ERROR_CODES).toHaveLength(15);
    expect(isApiErrorCode('NOT_FOUND')).toBe(true);
    expect(isApiErrorCode('ERR_NOT_FOUND')).toBe(false);
    expect(isApiErrorCode('toString')).toBe(false);
    expect(isApiErrorCode(404)).toBe(false);
  });

  it('answers client mistakes with 4xx and node trouble with 5xx', () => {
    const serverSide = ['INTERNAL', 'UNAVAILABLE', 'TIMEOUT', 'INSUFFICIENT_STORAGE'];
    for (const code of API_ERROR_CODES) {
      expect(statusOf(code) >= 500).toBe(serverSide.includes(code));
    }
  });
});
