/** JSON answers. */
import type { ServerResponse } from 'node:http';
import { HEADERS, JSON_CONTENT_TYPE } from '@dfs/api';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headOnly = false,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    [HEADERS.contentType]: JSON_CONTENT_TYPE,
    [HEADERS.contentLength]: Buffer.byteLength(text),
  });
  res.end(headOnly ? undefined : text);
}
