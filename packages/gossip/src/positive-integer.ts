import { GossipError } from './errors.js';

/** Validates a count or duration option: options are checked once, at construction. */
export function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new GossipError('ERR_INVALID_OPTION', `${name} must be a positive integer, got ${value}`);
  }
  return value;
}
