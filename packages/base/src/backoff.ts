/**
 * Capped exponential backoff with jitter, the one rule for every retry loop (client rounds, TCP
 * redials, SWIM join retries). Pure: the randomness is injected, so a seeded `Random` makes a
 * simulated run replay exactly.
 *
 * The ceiling of attempt n (0-based) is `min(maxMs, baseMs * 2^n)`. Jitter spreads many retriers
 * that failed together so they do not retry in lockstep:
 * - `equal` (default): `ceiling/2 + random * ceiling/2` — never less than half the ceiling, so a
 *   retry never collapses to zero and hammers a peer that is still down.
 * - `full`: `random * ceiling` — the widest spread, for loops that also remember a not-before time.
 */
import { CodedError } from './coded-error.js';

export type BackoffJitter = 'equal' | 'full';

export interface BackoffPolicy {
  /** The ceiling of attempt 0; doubles with each attempt. */
  baseMs: number;
  /** No ceiling exceeds this. */
  maxMs: number;
  /** Uniform in [0, 1): `Math.random`, or `() => random.next()` for a seeded `Random`. */
  random: () => number;
  /** Default `equal`. */
  jitter?: BackoffJitter;
}

/** Past this exponent 2^n is no longer finite; the ceiling is `maxMs` long before anyway. */
const MAX_EXPONENT = 1023;

/** `min(maxMs, baseMs * 2^attempt)`: the longest delay attempt `attempt` (0-based) may wait. */
export function backoffCeiling(attempt: number, policy: Omit<BackoffPolicy, 'random'>): number {
  checkPolicy(attempt, policy);
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, MAX_EXPONENT));
}

/** The delay before retry `attempt` (0-based): jittered below `backoffCeiling(attempt, policy)`. */
export function backoffDelay(attempt: number, policy: BackoffPolicy): number {
  const ceiling = backoffCeiling(attempt, policy);
  const r = policy.random();
  if ((policy.jitter ?? 'equal') === 'full') return r * ceiling;
  return ceiling / 2 + r * (ceiling / 2);
}

function checkPolicy(attempt: number, policy: Omit<BackoffPolicy, 'random'>): void {
  if (!Number.isSafeInteger(attempt) || attempt < 0) {
    throw new CodedError('ERR_INVALID_ARGUMENT', `attempt must be an integer ≥ 0, not ${attempt}`);
  }
  for (const key of ['baseMs', 'maxMs'] as const) {
    const value = policy[key];
    if (!(value >= 0) || value === Number.POSITIVE_INFINITY) {
      throw new CodedError(
        'ERR_INVALID_ARGUMENT',
        `${key} must be a finite number ≥ 0, not ${value}`,
      );
    }
  }
}
