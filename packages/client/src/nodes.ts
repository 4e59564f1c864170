/**
 * Node addresses as users write them (`127.0.0.1:4001`, `http://host:4001`, `https://host`, a
 * comma-separated list of those) turned into base URLs the client can call.
 */
import { DfsClientError } from './errors.js';

export const DEFAULT_NODE = '127.0.0.1:4001';

/** Parses one address into a base URL without a trailing slash. */
export function nodeUrl(address: string): string {
  const trimmed = address.trim();
  if (trimmed === '') throw new DfsClientError('ERR_INVALID_ARGUMENT', 'node address is empty');
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (error) {
    throw new DfsClientError(
      'ERR_INVALID_ARGUMENT',
      `"${address}" is not a node address (expected host:port or http(s)://host:port)`,
      { cause: error },
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DfsClientError(
      'ERR_INVALID_ARGUMENT',
      `"${address}" uses ${url.protocol}; only http and https are supported`,
    );
  }
  if (url.hostname === '' || url.search !== '' || url.hash !== '') {
    throw new DfsClientError(
      'ERR_INVALID_ARGUMENT',
      `"${address}" is not a node address (expected host:port or http(s)://host:port)`,
    );
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** Parses a list (array and/or comma-separated strings), dropping duplicates, keeping order. */
export function parseNodes(nodes: string | readonly string[]): string[] {
  const items = (typeof nodes === 'string' ? [nodes] : nodes)
    .flatMap((entry) => entry.split(','))
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (items.length === 0) {
    throw new DfsClientError('ERR_INVALID_ARGUMENT', 'no node address given');
  }
  return [...new Set(items.map(nodeUrl))];
}

/** `http://127.0.0.1:4001` → `127.0.0.1:4001` for messages; other URLs are shown whole. */
export function displayNode(url: string): string {
  return url.startsWith('http://') ? url.slice('http://'.length) : url;
}
