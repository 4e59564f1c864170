import net from 'node:net';
import type { Duplex } from 'node:stream';
import { TransportError } from '../errors.js';

/** Splits `host:port` (IPv6 as `[::1]:4001`) into its parts; throws ERR_UNREACHABLE when malformed. */
export function parseAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const portText = address.slice(colon + 1);
  let host = address.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const port = Number(portText);
  if (colon <= 0 || host === '' || !/^\d+$/.test(portText) || port < 1 || port > 65535) {
    throw new TransportError('ERR_UNREACHABLE', `"${address}" is not a host:port address`);
  }
  return { host, port };
}

export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `host:port` of a socket's remote end, for logs and reject events; 'unknown' when it has none. */
export function remoteOf(socket: Duplex): string {
  if (socket instanceof net.Socket && socket.remoteAddress !== undefined) {
    return formatAddress(socket.remoteAddress, socket.remotePort ?? 0);
  }
  return 'unknown';
}
