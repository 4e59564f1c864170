import { DfsClientError } from '@dfs/client';
import { describe, expect, it } from 'vitest';
import { CliError, explain, UsageError } from '../src/problems.js';

const context = { nodes: ['127.0.0.1:4001'] };

describe('explaining failures', () => {
  it.each([
    [
      new DfsClientError('ERR_UNREACHABLE', 'x', {
        nodesTried: ['http://10.0.0.1:4001', 'http://h:2'],
      }),
      'no node at 10.0.0.1:4001, h:2 — is it running? set --node or DFS_NODE',
      1,
    ],
    [
      new DfsClientError('ERR_UNAUTHORIZED', 'x', { status: 401, node: 'http://n:1' }),
      'n:1 refused the request: missing or wrong API token — set --token or DFS_API_TOKEN',
      1,
    ],
    [
      new DfsClientError('ERR_TOO_LARGE', 'the limit is 10 bytes', {
        status: 413,
        node: 'http://n:1',
      }),
      `n:1 refused "big": the limit is 10 bytes — the node's --max-file-size sets the limit`,
      1,
    ],
    [
      new DfsClientError('ERR_UNAVAILABLE', 'x', { status: 503, node: 'http://n:1' }),
      'n:1 is not serving (starting or stopping) — try again in a moment or use another --node',
      1,
    ],
    [new DfsClientError('ERR_INVALID_ARGUMENT', '"ftp://x" uses ftp:'), '"ftp://x" uses ftp:', 2],
    [
      new DfsClientError('ERR_TEAPOT', 'short and stout', { status: 418, node: 'http://n:1' }),
      'n:1 answered 418: short and stout',
      1,
    ],
  ])('%s', (error, message, exitCode) => {
    expect(explain(error, { ...context, name: 'big' })).toEqual({ message, exitCode });
  });

  it('keeps the exit code of CLI errors and hides unexpected ones behind DEBUG', () => {
    expect(explain(new UsageError('bad'), context)).toEqual({ message: 'bad', exitCode: 2 });
    expect(explain(new CliError('gone'), context)).toEqual({ message: 'gone', exitCode: 1 });
    expect(explain(new TypeError('boom'), context)).toEqual({
      message: 'unexpected error: boom (set DEBUG=1 for details)',
      exitCode: 1,
    });
  });
});
