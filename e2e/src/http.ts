/** Small HTTP helpers for the e2e tests: JSON calls, and raw requests fetch would not send. */
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';

export const sha256 = (data: Buffer | string): string =>
  createHash('sha256').update(data).digest('hex');

export function fileUrl(base: string, name: string, query = ''): string {
  return `${base}/v1/files/${name.split('/').map(encodeURIComponent).join('/')}${query}`;
}

export async function putFile(
  base: string,
  name: string,
  body: Buffer | string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(fileUrl(base, name), { method: 'PUT', body, headers });
}

export async function json<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

export interface MemberView {
  id: string;
  addr: string;
  state: string;
  incarnation: number;
}

export async function members(
  base: string,
  headers: Record<string, string> = {},
): Promise<MemberView[]> {
  const response = await fetch(`${base}/v1/cluster`, { headers });
  return (await json<{ members: MemberView[] }>(response)).members;
}

export async function listNames(base: string): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  let cursor = '';
  for (;;) {
    const response = await fetch(
      `${base}/v1/files?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    const page = await json<{ files: { name: string; sha256: string }[]; next: string | null }>(
      response,
    );
    for (const f of page.files) names.set(f.name, f.sha256);
    if (!page.next) return names;
    cursor = page.next;
  }
}

/** A request with a raw path and optional partial body; resolves with status and body text. */
export function rawRequest(
  port: number,
  options: {
    method: string;
    path: string;
    headers?: Record<string, string | number>;
    body?: Buffer | string;
  },
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: options.method,
        path: options.path,
        headers: options.headers,
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Write `bytes` to the port and collect whatever comes back until the server closes. */
export function rawExchange(
  port: number,
  bytes: Buffer | string,
  timeoutMs = 15_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new Error(`server did not close within ${timeoutMs} ms; got ${JSON.stringify(received)}`),
      );
    }, timeoutMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.write(bytes);
  });
}
