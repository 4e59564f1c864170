import { TcpTransport } from '../src/index.js';
const a = new TcpTransport({ id: 'a' }); const b = new TcpTransport({ id: 'b' });
await Promise.all([a.listen(), b.listen()]);
b.handle('echo', (m) => m);
await a.request(b.address, 'echo', 0);
for (let round = 0; round < 3; round++) {
  const total = 20000; let issued = 0; const t0 = performance.now();
  await Promise.all(Array.from({ length: 32 }, async () => { while (issued < total) { issued++; await a.request(b.address, 'echo', { n: 1, s: 'sixteen-byte-msg' }); } }));
  console.log((total / ((performance.now() - t0) / 1000)).toFixed(0));
}
await Promise.all([a.close(), b.close()]);
