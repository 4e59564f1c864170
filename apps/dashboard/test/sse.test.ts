import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SseParser } from '../src/sse.js';

describe('SseParser', () => {
  it('reads typed messages and skips heartbeats', () => {
    const parser = new SseParser();
    const text = 'event: hello\ndata: {"a":1}\n\n: heartbeat\n\nevent: stats\ndata: 2\n\n';
    expect(parser.feed(text)).toEqual([
      { type: 'hello', data: '{"a":1}' },
      { type: 'stats', data: '2' },
    ]);
  });

  it('joins multi-line data, defaults the type, accepts CRLF and CR', () => {
    const parser = new SseParser();
    expect(parser.feed('data: one\r\ndata:two\r\n\r\ndata: x\r\r\n')).toEqual([
      { type: 'message', data: 'one\ntwo' },
      { type: 'message', data: 'x' },
    ]);
  });

  it('the same messages come out however the stream is cut into chunks (property)', () => {
    const message = fc.record({
      type: fc.constantFrom('hello', 'member', 'file', 'stats'),
      data: fc.string({ unit: fc.constantFrom('a', '{', '"', ' ', ':', 'é') }),
    });
    fc.assert(
      fc.property(
        fc.array(message, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.constantFrom('\n', '\r\n', '\r'),
        (messages, cuts, eol) => {
          const text = messages
            .map((m) => `event: ${m.type}${eol}data: ${m.data}${eol}${eol}: hb${eol}${eol}`)
            .join('');
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((x, y) => x - y);
          const parser = new SseParser();
          const out = [];
          let from = 0;
          for (const at of [...points, text.length]) {
            out.push(...parser.feed(text.slice(from, at)));
            from = at;
          }
          expect(out).toEqual(messages);
        },
      ),
    );
  });
});
