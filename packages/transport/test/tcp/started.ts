/**
 * The TCP tests' harness: `start` makes a listening transport and every one it made is closed after
 * each test, so no test leaves sockets or timers behind.
 */
import { afterEach } from 'vitest';
import { TcpTransport, type TcpTransportOptions } from '../../src/index.js';

export function startedTransports(
  defaults: Partial<TcpTransportOptions> = {},
): (options: TcpTransportOptions) => Promise<TcpTransport> {
  const open: TcpTransport[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
  });
  return async (options) => {
    const transport = new TcpTransport({ ...defaults, ...options });
    await transport.listen();
    open.push(transport);
    return transport;
  };
}

/** The port a listening transport is bound to. */
export const portOf = (t: TcpTransport): number => Number(t.address.split(':').pop());
