import { describe, expect, it } from 'vitest';
import { NodeError } from '../src/errors.js';
import { answerFor, publicMessage } from '../src/http/errors.js';

const coded = (code: string, message = 'detail'): Error =>
  Object.assign(new Error(message), { code });

describe('the error table', () => {
  it.each([
    ['ERR_BAD_REQUEST', 400, 'BAD_REQUEST'],
    ['ERR_INVALID_NAME', 400, 'INVALID_NAME'],
    ['ERR_UNAUTHORIZED', 401, 'UNAUTHORIZED'],
    ['ERR_NOT_FOUND', 404, 'NOT_FOUND'],
    ['ERR_UNKNOWN_NODE', 404, 'UNKNOWN_NODE'],
    ['ERR_NOT_MEMBER', 404, 'UNKNOWN_NODE'],
    ['ERR_METHOD_NOT_ALLOWED', 405, 'METHOD_NOT_ALLOWED'],
    ['ERR_TOO_LARGE', 413, 'TOO_LARGE'],
    ['ERR_CONFLICT', 409, 'CONFLICT'],
    ['ERR_CHECKSUM_MISMATCH', 422, 'CHECKSUM_MISMATCH'],
    ['ERR_TOO_MANY_UPLOADS', 429, 'TOO_MANY_UPLOADS'],
    ['ERR_RANGE', 416, 'RANGE_NOT_SATISFIABLE'],
    ['ERR_UNAVAILABLE', 503, 'UNAVAILABLE'],
    ['ERR_INTEGRITY', 503, 'UNAVAILABLE'],
    ['ERR_ABORTED', 503, 'UNAVAILABLE'],
    ['ERR_TIMEOUT', 504, 'TIMEOUT'],
    ['ERR_NO_SPACE', 507, 'INSUFFICIENT_STORAGE'],
    ['ENOSPC', 507, 'INSUFFICIENT_STORAGE'],
    ['EDQUOT', 507, 'INSUFFICIENT_STORAGE'],
  ])('%s answers %i %s', (code, status, apiCode) => {
    expect(answerFor(coded(code))).toEqual({ status, code: apiCode });
  });

  it('our own errors map by their code and keep their message', () => {
    const error = new NodeError('ERR_NOT_FOUND', 'no file named "x"');
    const answer = answerFor(error);
    expect(answer.status).toBe(404);
    expect(publicMessage(error, answer)).toBe('no file named "x"');
  });

  it('anything else is a 500 whose message hides internals', () => {
    for (const error of [
      new Error('/secret/path exploded'),
      coded('EACCES', '/secret/path'),
      'string',
      undefined,
    ]) {
      const answer = answerFor(error);
      expect(answer).toEqual({ status: 500, code: 'INTERNAL' });
      expect(publicMessage(error, answer)).not.toMatch(/secret/);
    }
  });

  it('disk-full messages do not leak paths either', () => {
    const error = coded('ENOSPC', "ENOSPC: no space left on device, write '/data/store/ab/cd'");
    expect(publicMessage(error, answerFor(error))).toBe('the node is out of disk space');
  });
});
