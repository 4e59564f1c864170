import { describe, expect, it } from 'vitest';
import { errorFromResponse } from '../src/errors.js';
import { normalizeServerCode } from '../src/index.js';

describe('server errors', () => {
  it('carries the server code in ERR_ form, the raw code, the status and the message', () => {
    const error = errorFromResponse(
      404,
      JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no file named "x"' } }),
      'http://n:1',
    );
    expect(error).toMatchObject({
      code: 'ERR_NOT_FOUND',
      serverCode: 'NOT_FOUND',
      status: 404,
      message: 'no file named "x"',
      node: 'http://n:1',
    });
  });

  it('falls back to the status when the body is not the API error shape', () => {
    expect(errorFromResponse(401, '', 'n').code).toBe('ERR_UNAUTHORIZED');
    expect(errorFromResponse(502, '<html>bad gateway</html>', 'n')).toMatchObject({
      code: 'ERR_SERVER',
      message: '<html>bad gateway</html>',
    });
    expect(errorFromResponse(416, '{"error":{}}', 'n').code).toBe('ERR_RANGE');
    expect(errorFromResponse(418, '[]', 'n').code).toBe('ERR_BAD_REQUEST');
  });

  it('normalizes codes without doubling the prefix', () => {
    expect(normalizeServerCode('ERR_TOO_LARGE')).toBe('ERR_TOO_LARGE');
    expect(normalizeServerCode('bad-name')).toBe('ERR_BAD_NAME');
    expect(normalizeServerCode('RANGE_NOT_SATISFIABLE')).toBe('ERR_RANGE');
    expect(normalizeServerCode('INTERNAL')).toBe('ERR_SERVER');
  });
});
