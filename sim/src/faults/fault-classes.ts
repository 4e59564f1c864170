/**
 * Every fault class the simulator can inject, each switchable on its own so a finding can be
 * isolated (`--faults crash` replays a seed with only crashes; the workload stays the same, since
 * the workload and the fault schedule draw from separate seeded streams and the schedule is drawn in
 * full before the disabled classes are filtered out).
 */
export const FAULT_CLASSES = {
  loss: 'message loss bursts on every link of one node (announcements, requests, replies)',
  partition: 'the cluster split in two, healed later',
  crash: 'a node crashes (unsynced disk data lost, nothing stopped gracefully) and restarts later',
  skew: "each node's wall clock is off by up to ±10 s, drawn again at every restart",
  'index-full': "a node's index disk is full for a while: every write fails with ENOSPC",
  'index-eio': "a node's index disk fails 20% of writes and fsyncs with EIO for a while",
  'index-short': "a node's index disk writes only a prefix of half its writes for a while",
  'index-bitflip': "one bit flips at rest in a node's index log",
  'store-full': "a node's blob store is full for a while: every put fails with ERR_NO_SPACE",
  'store-eio': "a node's blob store fails 20% of puts with ERR_IO for a while",
  'store-bitflip':
    "one bit flips at rest in a stored body (only while another node's copy is intact)",
  'hostile-holders':
    'a hostile peer announces real versions with made-up holders, and made-up names',
  'hostile-future':
    'a hostile peer announces far-future versions (tombstones and bodies) of real names',
  'hostile-bytes': 'a hostile peer claims to hold real versions and serves wrong bytes on fetch',
  'hostile-stall': 'a hostile peer claims to hold real versions and never sends a byte on fetch',
} as const;

export type FaultClass = keyof typeof FAULT_CLASSES;

export const ALL_FAULT_CLASSES = Object.keys(FAULT_CLASSES) as FaultClass[];

/**
 * Classes the CI test runs with: every one. (Each class found bugs before its fix merged —
 * sim/README.md, "Findings"; a class that finds a new one stays on, and the bug gets fixed.)
 */
export const CI_FAULT_CLASSES: readonly FaultClass[] = ALL_FAULT_CLASSES;

export function isFaultClass(value: string): value is FaultClass {
  return Object.hasOwn(FAULT_CLASSES, value);
}

/** Parses `all`, `none`, `ci`, or a comma-separated list (a leading `-` removes a class). */
export function parseFaultClasses(spec: string): Set<FaultClass> {
  const result = new Set<FaultClass>();
  for (const raw of spec.split(',').map((s) => s.trim())) {
    if (raw === '' || raw === 'none') continue;
    const remove = raw.startsWith('-');
    const word = remove ? raw.slice(1) : raw;
    const classes: readonly FaultClass[] =
      word === 'all'
        ? ALL_FAULT_CLASSES
        : word === 'ci'
          ? CI_FAULT_CLASSES
          : isFaultClass(word)
            ? [word]
            : [];
    if (classes.length === 0) {
      throw new Error(`unknown fault class "${word}"; known: ${ALL_FAULT_CLASSES.join(', ')}`);
    }
    for (const c of classes) {
      if (remove) result.delete(c);
      else result.add(c);
    }
  }
  return result;
}
