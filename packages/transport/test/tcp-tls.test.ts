import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  TcpTransport,
  type TcpTlsOptions,
  type TcpTransportOptions,
  type TransportError,
} from '../src/index.js';
import { collect } from './compliance/suite.js';

let dir: string;
const openssl = (...args: string[]): void => {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
};

/** A throwaway CA and node certificates it signs, made with the openssl CLI. */
function makeCa(name: string): void {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '1',
    '-subj',
    `/CN=${name}`,
  );
}
function makeNode(name: string, ca: string): TcpTlsOptions {
  openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${name}`,
  );
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '1',
  );
  return {
    cert: readFileSync(join(dir, `${name}.crt`)),
    key: readFileSync(join(dir, `${name}.key`)),
    ca: readFileSync(join(dir, `${ca}.crt`)),
  };
}

let tlsA: TcpTlsOptions;
let tlsB: TcpTlsOptions;
let tlsStranger: TcpTlsOptions;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dfs-tls-'));
  makeCa('cluster-ca');
  makeCa('other-ca');
  tlsA = makeNode('node-a', 'cluster-ca');
  tlsB = makeNode('node-b', 'cluster-ca');
  tlsStranger = makeNode('stranger', 'other-ca');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open: TcpTransport[] = [];
async function start(options: TcpTransportOptions): Promise<TcpTransport> {
  const transport = new TcpTransport({ reconnectBaseMs: 5, dialAttempts: 1, ...options });
  await transport.listen();
  open.push(transport);
  return transport;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

describe('TcpTransport over TLS', () => {
  it('runs requests and streams between nodes whose certificates the cluster CA signed', async () => {
    const a = await start({ id: 'a', tls: tlsA, secret: 's' });
    const b = await start({ id: 'b', tls: tlsB, secret: 's' });
    b.handle('ping', (_m, ctx) => `pong to ${ctx.peer.id}`);
    b.handleStream('echo', (stream) => void stream.pipe(stream));
    expect(await a.request(b.address, 'ping', null)).toBe('pong to a');
    const stream = await a.openStream(b.address, 'echo', null);
    const back = collect(stream);
    stream.end(Buffer.alloc(200_000, 3));
    expect((await back).equals(Buffer.alloc(200_000, 3))).toBe(true);
  });

  it('refuses a server whose certificate another CA signed (ERR_TLS), counted and evented', async () => {
    const a = await start({ id: 'a', tls: tlsA });
    a.handle('ping', () => 'pong');
    const stranger = await start({ id: 'x', tls: tlsStranger });
    const rejects: string[] = [];
    stranger.on('reject', (reason) => rejects.push(reason.code));
    const error = (await stranger
      .request(a.address, 'ping', null)
      .catch((e: unknown) => e)) as TransportError;
    expect(error.code).toBe('ERR_TLS');
    expect(stranger.stats().rejects.ERR_TLS).toBe(1);
    expect(rejects).toEqual(['ERR_TLS']);
  });

  it('refuses a client whose certificate another CA signed, even if it trusts the server', async () => {
    const a = await start({ id: 'a', tls: tlsA });
    a.handle('ping', () => 'pong');
    // Trusts the cluster CA (so the server checks out) but presents a certificate from another CA.
    const impostor = await start({ id: 'x', tls: { ...tlsStranger, ca: tlsA.ca } });
    const error = (await impostor
      .request(a.address, 'ping', null)
      .catch((e: unknown) => e)) as TransportError;
    expect(['ERR_TLS', 'ERR_UNREACHABLE']).toContain(error.code);
    expect(a.connectedPeers()).toEqual([]);
    expect(a.stats().rejects.ERR_TLS).toBe(1);
  });

  it('refuses a plain-TCP peer at a TLS node', async () => {
    const a = await start({ id: 'a', tls: tlsA });
    a.handle('ping', () => 'pong');
    const plain = await start({ id: 'p' });
    const error = (await plain
      .request(a.address, 'ping', null)
      .catch((e: unknown) => e)) as TransportError;
    expect(error.code).toBe('ERR_UNREACHABLE');
    expect(a.connectedPeers()).toEqual([]);
  });
});
