/**
 * A parser for the `text/event-stream` format, fed text as it arrives from a `fetch()` body (the
 * browser's EventSource cannot send the Authorization header). Handles messages split across
 * chunks, CRLF and CR line ends, comments (heartbeats) and multi-line data.
 */

export interface SseMessage {
  /** `event:` field; `message` when absent. */
  type: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
}

export class SseParser {
  #buffer = '';
  #type = '';
  #data: string[] = [];

  /** Feeds a chunk of text; returns the messages it completed. */
  feed(chunk: string): SseMessage[] {
    this.#buffer += chunk;
    const messages: SseMessage[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.#buffer);
      if (match === null) break;
      // A lone CR at the end may be the first half of CRLF: wait for the next chunk.
      if (match[0] === '\r' && match.index === this.#buffer.length - 1) break;
      const line = this.#buffer.slice(0, match.index);
      this.#buffer = this.#buffer.slice(match.index + match[0].length);
      const message = this.#line(line);
      if (message !== undefined) messages.push(message);
    }
    return messages;
  }

  #line(line: string): SseMessage | undefined {
    if (line === '') {
      if (this.#data.length === 0) {
        this.#type = '';
        return undefined;
      }
      const message = { type: this.#type || 'message', data: this.#data.join('\n') };
      this.#type = '';
      this.#data = [];
      return message;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#type = value;
    else if (field === 'data') this.#data.push(value);
    return undefined;
  }
}
