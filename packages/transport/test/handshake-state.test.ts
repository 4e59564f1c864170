import { describe, expect, it } from 'vitest';
import { decodeValue } from '../src/codec.js';
import { FrameDecoder, PEER_PROTOCOL_MAGIC } from '../src/index.js';
import { HandshakeState, type HandshakeStep } from '../src/tcp/handshake-state.js';
import type { HandshakeMessage } from '../src/tcp/messages.js';

/** Decodes the control messages in bytes a side sent (magic stripped). */
function messages(bytes: Buffer): HandshakeMessage[] {
  const body = bytes.subarray(0, 4).equals(PEER_PROTOCOL_MAGIC) ? bytes.subarray(4) : bytes;
  const out: HandshakeMessage[] = [];
  new FrameDecoder(4096).push(
    body,
    (frame) => void out.push(decodeValue(frame.payload) as HandshakeMessage),
  );
  return out;
}

function sent(step: HandshakeStep): HandshakeMessage[] {
  if (step.kind !== 'send') throw new Error(`expected send, got ${step.kind}`);
  return messages(step.bytes);
}

const identity = (id: string, secret?: string) => ({
  id,
  address: `${id}:1`,
  clusterId: 'c',
  secret,
});

/** Runs both state machines against each other; returns the last step of each side. */
function run(
  dialerSecret?: string,
  acceptorSecret?: string,
): { dialer: HandshakeStep; acceptor: HandshakeStep } {
  const dialer = new HandshakeState('dialer', identity('d', dialerSecret));
  const acceptor = new HandshakeState('acceptor', identity('a', acceptorSecret));
  const [hello] = messages(dialer.opening());
  const acceptorSent = sent(acceptor.receive(hello!));
  expect(acceptorSent.map((m) => m.t)).toEqual(['hello', 'auth']);
  const dialerAuth = sent(dialer.receive(acceptorSent[0]!));
  const dialerResult = dialer.receive(acceptorSent[1]!);
  const acceptorResult = acceptor.receive(dialerAuth[0]!);
  return { dialer: dialerResult, acceptor: acceptorResult };
}

describe('handshake state machine', () => {
  it('authenticates both sides when they share the secret, learning each other', () => {
    const { dialer, acceptor } = run('s', 's');
    expect(dialer).toMatchObject({ kind: 'ready', peer: { id: 'a', address: 'a:1' } });
    expect(acceptor).toMatchObject({ kind: 'ready', peer: { id: 'd', address: 'd:1' } });
  });

  it('derives one frame key per direction that the other side receives with', () => {
    const { dialer, acceptor } = run('s', 's');
    if (dialer.kind !== 'ready' || acceptor.kind !== 'ready') throw new Error('not ready');
    const d = dialer.frameKeys;
    const a = acceptor.frameKeys;
    expect(d?.send).toEqual(a?.receive);
    expect(a?.send).toEqual(d?.receive);
    expect(d?.send).not.toEqual(d?.receive);
    expect(d?.send).toHaveLength(32);
    // Fresh nonces: another connection between the same two nodes gets other keys.
    const again = run('s', 's').dialer;
    if (again.kind !== 'ready') throw new Error('not ready');
    expect(again.frameKeys?.send).not.toEqual(d?.send);
  });

  it('authenticates without a secret on either side (and then has no frame keys)', () => {
    const { dialer } = run();
    expect(dialer).toMatchObject({ kind: 'ready', frameKeys: undefined });
  });

  it('refuses on both sides when the secrets differ or only one side has one', () => {
    for (const [d, a] of [
      ['x', 'y'],
      ['x', undefined],
      [undefined, 'y'],
    ] as const) {
      const { dialer, acceptor } = run(d, a);
      expect(dialer).toMatchObject({ kind: 'refuse', code: 'ERR_AUTH' });
      expect(acceptor).toMatchObject({ kind: 'refuse', code: 'ERR_AUTH' });
    }
  });

  it('never puts the secret on the wire', () => {
    const secret = 'very-secret-value';
    const dialer = new HandshakeState('dialer', identity('d', secret));
    const acceptor = new HandshakeState('acceptor', identity('a', secret));
    const first = dialer.opening();
    const reply = acceptor.receive(messages(first)[0]!);
    const wire = Buffer.concat([first, reply.kind === 'send' ? reply.bytes : Buffer.alloc(0)]);
    expect(wire.includes(Buffer.from(secret))).toBe(false);
  });

  it('rejects a reflected proof: the acceptor cannot be fooled with its own auth', () => {
    const dialer = new HandshakeState('dialer', identity('d', 's'));
    const acceptor = new HandshakeState('acceptor', identity('a', 's'));
    const acceptorSent = sent(acceptor.receive(messages(dialer.opening())[0]!));
    expect(acceptor.receive(acceptorSent[1]!)).toMatchObject({ kind: 'refuse', code: 'ERR_AUTH' });
  });

  it('treats messages out of order as malformed', () => {
    const acceptor = new HandshakeState('acceptor', identity('a'));
    expect(() => acceptor.receive({ t: 'auth', p: Buffer.alloc(32) })).toThrow(
      expect.objectContaining({ code: 'ERR_MALFORMED_FRAME' }),
    );
  });

  it('reports a peer reject as refused, with its code', () => {
    const dialer = new HandshakeState('dialer', identity('d'));
    dialer.opening();
    expect(dialer.receive({ t: 'reject', code: 'ERR_CLUSTER_MISMATCH', m: 'no' })).toEqual({
      kind: 'refused',
      code: 'ERR_CLUSTER_MISMATCH',
      message: 'no',
    });
  });
});
