import { TcpTransport, type TcpTransportOptions, type Transport } from '../../src/index.js';
import type { ComplianceHarness } from './harness.js';
import { deadLoopbackAddress, pollUntil } from './real-time.js';

/** Real sockets on loopback, real clock; `idle` is the only place real time is spent on purpose. */
export function tcpHarness(extra: Partial<TcpTransportOptions> = {}): ComplianceHarness {
  const created: Transport[] = [];
  return {
    async create(id) {
      const transport = new TcpTransport({
        id,
        reconnectBaseMs: 10,
        drainTimeoutMs: 200,
        ...extra,
      });
      await transport.listen();
      created.push(transport);
      return transport;
    },
    drive: (promise) => promise,
    until: (condition) => pollUntil(condition),
    idle: () => new Promise((resolve) => setTimeout(resolve, 300)),
    deadAddress: deadLoopbackAddress,
    async cleanup() {
      await Promise.all(created.map((t) => t.close()));
    },
  };
}
