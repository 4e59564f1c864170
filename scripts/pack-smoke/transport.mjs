// Runs in a temp project where @dfs/transport was installed from its packed tarball.
import assert from 'node:assert/strict';
import {
  MemoryNetwork,
  TcpTransport,
  VirtualClock,
  delay,
  isPeerProtocol,
  seededRandom,
} from '@dfs/transport';

// The clock seam.
const clock = new VirtualClock(0);
let fired = false;
const waiting = delay(clock, 10).then(() => (fired = true));
await clock.advance(10);
await waiting;
assert.equal(fired, true);

// Two TCP peers on 127.0.0.1, port 0: request, typed remote error, stream.
const alice = new TcpTransport({ id: 'alice', host: '127.0.0.1', port: 0, secret: 's3cret' });
const bob = new TcpTransport({ id: 'bob', host: '127.0.0.1', port: 0, secret: 's3cret' });
await Promise.all([alice.listen(), bob.listen()]);
try {
  bob.handle('greet', (message, { peer }) => `hello ${peer.id}: ${message}`);
  bob.handle('fail', () => {
    throw Object.assign(new Error('nope'), { code: 'ERR_NOT_FOUND' });
  });
  bob.handleStream('echo', (stream) => stream.pipe(stream));
  assert.equal(await alice.request(bob.address, 'greet', 'hi'), 'hello alice: hi');
  await assert.rejects(alice.request(bob.address, 'fail', null), { code: 'ERR_NOT_FOUND' });
  const stream = await alice.openStream(bob.address, 'echo', null);
  stream.end(Buffer.alloc(100_000, 7));
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  assert.equal(Buffer.concat(chunks).length, 100_000);
  assert.equal(alice.stats().openConnections, 1);
  assert.equal(isPeerProtocol(Buffer.from('GET / HTTP/1.1')), false);
} finally {
  await Promise.all([alice.close(), bob.close()]);
}

// The in-memory network in virtual time.
const network = new MemoryNetwork({ clock, random: seededRandom(1), latencyMs: 5 });
const a = network.createTransport({ id: 'a', address: 'mem://a' });
const b = network.createTransport({ id: 'b', address: 'mem://b' });
await Promise.all([a.listen(), b.listen()]);
b.handle('ping', () => 'pong');
const answer = a.request('mem://b', 'ping', null);
await clock.advance(10);
assert.equal(await answer, 'pong');
await Promise.all([a.close(), b.close()]);
