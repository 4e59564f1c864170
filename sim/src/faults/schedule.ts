/**
 * The fault schedule of one seed, drawn up front from its own random stream: every class's events
 * are always drawn (so the schedule of one class does not depend on which others are on), then the
 * disabled classes are filtered out.
 */
import type { Random } from '@dfs/transport';
import { randomInt } from '@dfs/transport';
import { ALL_FAULT_CLASSES } from './fault-classes.js';
import type { FaultClass } from './fault-classes.js';

export interface ScheduledFault {
  /** Virtual ms after the workload started. */
  at: number;
  fault: FaultClass;
  /** The node it hits (index). */
  node: number;
  /** How long a window fault (partition, loss, crash downtime, full disk …) lasts. */
  durationMs: number;
  /** A free draw in [0, 1) for choices made when the fault fires (a split, a key). */
  pick: number;
}

/** Events per class per run. */
const EVENTS_PER_CLASS: Record<FaultClass, number> = {
  loss: 2,
  partition: 2,
  crash: 3,
  skew: 0, // not an event: drawn per node at every start
  'index-full': 2,
  'index-eio': 2,
  'index-short': 2,
  'index-bitflip': 2,
  'store-full': 2,
  'store-eio': 2,
  'store-bitflip': 3,
  'hostile-holders': 3,
  'hostile-future': 2,
  'hostile-bytes': 3,
  'hostile-stall': 3,
};

export function drawSchedule(
  random: Random,
  options: { nodes: number; workloadMs: number; enabled: ReadonlySet<FaultClass> },
): ScheduledFault[] {
  const all: ScheduledFault[] = [];
  for (const fault of ALL_FAULT_CLASSES) {
    for (let i = 0; i < EVENTS_PER_CLASS[fault]; i++) {
      all.push({
        at: Math.floor(random.next() * options.workloadMs),
        fault,
        node: randomInt(random, options.nodes),
        durationMs: 200 + randomInt(random, 1_800),
        pick: random.next(),
      });
    }
  }
  return all.filter((event) => options.enabled.has(event.fault)).sort((a, b) => a.at - b.at);
}
