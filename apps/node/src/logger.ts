/**
 * Logs go to stderr (JSON by default, pino-pretty on request or on a terminal) so stdout carries only
 * the `ready` line that scripts and tests wait for.
 */
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogFormat, LogLevel } from './cli/options.js';

export function createLogger(level: LogLevel, format: LogFormat): Logger {
  const options = { level, base: { pid: process.pid } };
  if (format === 'pretty') {
    return pino(options, pretty({ destination: 2, sync: true, colorize: process.stderr.isTTY }));
  }
  return pino(options, pino.destination({ fd: 2, sync: true }));
}
