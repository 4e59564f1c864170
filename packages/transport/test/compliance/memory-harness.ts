import { MemoryNetwork, VirtualClock, seededRandom, type Transport } from '../../src/index.js';
import type { ComplianceHarness } from './harness.js';

/** Drives a VirtualClock: time only passes while a test waits for something. */
export function memoryHarness(latencyMs = 2): ComplianceHarness {
  const clock = new VirtualClock(0);
  const network = new MemoryNetwork({ clock, random: seededRandom(1), latencyMs });
  const created: Transport[] = [];
  const step = 5;
  const maxVirtualMs = 120_000;
  const harness: ComplianceHarness = {
    async create(id) {
      const transport = network.createTransport({ id, address: `mem://${id}` });
      await transport.listen();
      created.push(transport);
      return transport;
    },
    async drive(promise) {
      let settled = false;
      promise.then(
        () => (settled = true),
        () => (settled = true),
      );
      await clock.runUntil(() => settled, { timeoutMs: maxVirtualMs, stepMs: step });
      return promise;
    },
    until: (condition) => clock.runUntil(condition, { timeoutMs: maxVirtualMs, stepMs: step }),
    idle: () => clock.advance(1_000),
    async deadAddress() {
      return 'mem://nobody';
    },
    async cleanup() {
      await Promise.all(created.map((t) => t.close()));
    },
  };
  return harness;
}
