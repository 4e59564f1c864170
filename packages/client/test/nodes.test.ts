import { describe, expect, it } from 'vitest';
import { DfsClientError, displayNode, nodeUrl, parseNodes } from '../src/index.js';

describe('node addresses', () => {
  it('turns host:port and URLs into base URLs', () => {
    expect(nodeUrl('127.0.0.1:4001')).toBe('http://127.0.0.1:4001');
    expect(nodeUrl(' http://example.com:80/ ')).toBe('http://example.com');
    expect(nodeUrl('https://dfs.example.com/api/')).toBe('https://dfs.example.com/api');
    expect(nodeUrl('[::1]:4001')).toBe('http://[::1]:4001');
  });

  it('splits comma-separated lists and drops duplicates', () => {
    expect(parseNodes(['a:1,b:2', 'a:1', ' c:3 '])).toEqual([
      'http://a:1',
      'http://b:2',
      'http://c:3',
    ]);
  });

  it.each(['', ' , ', 'ftp://host:21', 'http://host:1/?q=1', 'host:notaport'])(
    'refuses %j with ERR_INVALID_ARGUMENT',
    (address) => {
      expect(() => parseNodes(address)).toThrow(DfsClientError);
      try {
        parseNodes(address);
      } catch (error) {
        expect((error as DfsClientError).code).toBe('ERR_INVALID_ARGUMENT');
      }
    },
  );

  it('shows plain http nodes as host:port', () => {
    expect(displayNode('http://127.0.0.1:4001')).toBe('127.0.0.1:4001');
    expect(displayNode('https://h:1')).toBe('https://h:1');
  });
});
