/**
 * Logs go to stderr (JSON by default, pino-pretty on request or on a terminal) so stdout carries only
 * the `ready` line that scripts and tests wait for. pino-pretty is loaded only when asked for: it
 * and its dependencies cost a few MiB of resident memory a JSON-logging node does not need.
 */
import { pino, type Logger } from 'pino';
import type { LogFormat, LogLevel } from './cli/options.js';

export async function createLogger(level: LogLevel, format: LogFormat): Promise<Logger> {
  const options = { level, base: { pid: process.pid } };
  if (format === 'pretty') {
    const { default: pretty } = await import('pino-pretty');
    return pino(options, pretty({ destination: 2, sync: true, colorize: process.stderr.isTTY }));
  }
  return pino(options, pino.destination({ fd: 2, sync: true }));
}
