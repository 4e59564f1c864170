import { describe, expect, it } from 'vitest';
import { CodedError, errorCode, isCodedError } from '../src/index.js';

type FenceCode = 'ERR_CLOSED' | 'ERR_BROKEN';

class FenceError extends CodedError<FenceCode> {
  override readonly name = 'FenceError';
}

describe('a coded error', () => {
  it('keeps its code, message, cause and details', () => {
    const cause = new Error('disk on fire');
    const error = new CodedError('ERR_IO', 'could not write', { cause, details: { path: '/x' } });
    expect(error.code).toBe('ERR_IO');
    expect(error.message).toBe('could not write');
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual({ path: '/x' });
    expect(error.name).toBe('CodedError');
    expect(error).toBeInstanceOf(Error);
  });

  it('has no cause or details property when none were given', () => {
    const error = new CodedError('ERR_IO', 'plain');
    expect('cause' in error).toBe(false);
    expect('details' in error).toBe(false);
  });

  it('takes the subclass name, and instanceof tells the subclass apart', () => {
    const error = new FenceError('ERR_CLOSED', 'fence closed');
    expect(error.name).toBe('FenceError');
    expect(String(error)).toBe('FenceError: fence closed');
    expect(error).toBeInstanceOf(FenceError);
    expect(error).toBeInstanceOf(CodedError);
    expect(new CodedError('ERR_CLOSED', 'x')).not.toBeInstanceOf(FenceError);
    expect(error.stack).toContain('FenceError: fence closed');
  });

  it('is recognised by isCodedError, with or without a code', () => {
    const error = new FenceError('ERR_BROKEN', 'broken');
    expect(isCodedError(error)).toBe(true);
    expect(isCodedError(error, 'ERR_BROKEN')).toBe(true);
    expect(isCodedError(error, 'ERR_CLOSED')).toBe(false);
    expect(isCodedError(Object.assign(new Error('x'), { code: 'ERR_BROKEN' }))).toBe(false);
    expect(isCodedError(undefined)).toBe(false);
  });
});

describe('errorCode', () => {
  it('reads the string code of any error-like value', () => {
    expect(errorCode(new FenceError('ERR_CLOSED', 'x'))).toBe('ERR_CLOSED');
    expect(errorCode(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe('ENOENT');
    expect(errorCode({ code: 'ABORT_ERR' })).toBe('ABORT_ERR');
  });

  it('is undefined for values without a string code', () => {
    expect(errorCode(new Error('x'))).toBeUndefined();
    expect(errorCode({ code: 42 })).toBeUndefined();
    expect(errorCode('ERR_CLOSED')).toBeUndefined();
    expect(errorCode(null)).toBeUndefined();
    expect(errorCode(undefined)).toBeUndefined();
  });
});
