import net from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import { TcpTransport } from '../src/index.js';
const total = 128 * 1024 * 1024;
const src = () => { const chunk = Buffer.alloc(65536, 1); let left = total; return new Readable({ read() { if (left <= 0) return void this.push(null); left -= 65536; this.push(chunk); } }); };
const sink = (done: () => void) => new Writable({ write(_c, _e, cb) { cb(); }, final(cb) { done(); cb(); } });
async function raw() {
  let done!: () => void; const fin = new Promise<void>((r) => (done = r));
  const server = net.createServer((s) => void pipeline(s, sink(done)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const t0 = performance.now();
  await pipeline(src(), net.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1' }));
  await fin; server.close();
  return total / 1048576 / ((performance.now() - t0) / 1000);
}
async function ours() {
  const a = new TcpTransport({ id: 'a' }); const b = new TcpTransport({ id: 'b' });
  await Promise.all([a.listen(), b.listen()]);
  let done!: () => void; const fin = new Promise<void>((r) => (done = r));
  b.handleStream('sink', (s) => void pipeline(s, sink(done)).then(() => s.end()));
  const t0 = performance.now();
  const s = await a.openStream(b.address, 'sink', null); s.resume();
  await pipeline(src(), s); await fin;
  const r = total / 1048576 / ((performance.now() - t0) / 1000);
  await Promise.all([a.close(), b.close()]); return r;
}
const ratios = [];
for (let i = 0; i < 4; i++) { const r = await raw(); const o = await ours(); ratios.push(o / r); console.log(r.toFixed(0), o.toFixed(0), (o / r).toFixed(2)); }
