/** TLS for peer and API traffic on the shared port: certificates from a throwaway CA made by openssl. */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Cluster, eventually } from '../src/node-process.js';
import { rawExchange } from '../src/http.js';

const cluster = new Cluster();
let dir: string;
let ca: Buffer;
afterAll(() => cluster.close());

beforeAll(async () => {
  dir = await cluster.dataDir();
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=dfs-e2e-ca',
  );
  run('req', ...ec, '-keyout', 'node.key', '-out', 'node.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  run(
    'x509',
    '-req',
    '-in',
    'node.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'node.pem',
    '-days',
    '1',
    '-extfile',
    'san.ext',
  );
  ca = readFileSync(path.join(dir, 'ca.pem'));
});

function httpsGet(port: number, pathname: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get({ host: '127.0.0.1', port, path: pathname, ca, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

function httpsPut(port: number, pathname: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path: pathname, method: 'PUT', ca, agent: false },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

it('peers join and replicate over TLS, the API answers HTTPS, and plain HTTP is refused', async () => {
  const flags = [
    '--tls-cert',
    path.join(dir, 'node.pem'),
    '--tls-key',
    path.join(dir, 'node.key'),
    '--tls-ca',
    path.join(dir, 'ca.pem'),
  ];
  const a = await cluster.start({ flags });
  const b = await cluster.start({ flags, peers: [a.address] });
  await eventually(
    async () => {
      const view = JSON.parse((await httpsGet(a.spec.port, '/v1/cluster')).body) as {
        members: { id: string; state: string }[];
      };
      return view.members.some((m) => m.id === b.id && m.state === 'alive') ? true : undefined;
    },
    { what: 'b joins a over TLS' },
  );
  expect(await httpsPut(a.spec.port, '/v1/files/secret.txt', 'over tls')).toBe(201);
  await eventually(
    async () => {
      const res = await httpsGet(b.spec.port, '/v1/files/secret.txt');
      return res.status === 200 && res.body === 'over tls' ? true : undefined;
    },
    { what: 'file served by b over TLS' },
  );
  const plain = await rawExchange(a.spec.port, 'GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n');
  expect(plain).not.toMatch(/^HTTP\/1\.1 200/);
});
