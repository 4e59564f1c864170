/**
 * Every tunable of the node in one place, after memberlist's config.go: each with its default, its
 * unit and the trade-off it makes (what raising it buys and costs; lowering it does the reverse).
 *
 * Two kinds:
 * - START_OPTIONS are set per start with flags (`--fanout`, `--probe-interval`, ...). `cli/options.ts`
 *   takes their defaults from here, and `--help` shows them formatted from the same number.
 * - TUNABLES are not flags. `startNode` takes overrides (tests use them), and every module that needs
 *   one receives its group (`NodeTunables['http']`, ...) instead of keeping a module constant.
 *   docs/operations.md ("Tunables that are not start options") is a table generated from this one
 *   (`renderTunablesTable`, written by scripts/tunables-doc.mjs); a test fails when the two differ.
 *
 * The trade-off text is a string rather than a comment so that the docs table is built from it.
 */
import { formatDuration, formatSize } from './units.js';

export type TunableUnit = 'ms' | 'bytes' | 'count' | 'ratio' | 'probe periods';

export interface Tunable {
  readonly default: number;
  readonly unit: TunableUnit;
  /** What raising it buys and what it costs (one or two sentences). */
  readonly tradeOff: string;
}

export interface StartOption extends Tunable {
  /** The flag that sets it. */
  readonly flag: string;
}

/** Defaults of the start options that are quantities; what `--help` shows is formatted from them. */
export const START_OPTIONS = {
  // Membership.
  gossipIntervalMs: {
    flag: '--gossip-interval',
    default: 200,
    unit: 'ms',
    tradeOff:
      'Membership news waits at most this long to be sent. Higher sends fewer, larger messages; news (joins, suspicions) spreads more slowly.',
  },
  probeIntervalMs: {
    flag: '--probe-interval',
    default: 1000,
    unit: 'ms',
    tradeOff:
      'SWIM probe period: a crashed node is suspected within about one period and declared dead after a few. Higher probes less; failures are noticed later.',
  },
  // Replication pass-through.
  fanout: {
    flag: '--fanout',
    default: 3,
    unit: 'count',
    tradeOff:
      'Peers each announcement goes to; a cluster of n nodes hears it in about log_fanout(n) rounds. Higher spreads faster and survives more losses; each write sends more messages.',
  },
  antiEntropyIntervalMs: {
    flag: '--anti-entropy-interval',
    default: 5000,
    unit: 'ms',
    tradeOff:
      'Rumors are the fast path, anti-entropy the safety net. Higher costs less index traffic; a missed announcement, partition or late join is repaired later.',
  },
  tombstoneTtlMs: {
    flag: '--tombstone-ttl',
    default: 7 * 86_400_000,
    unit: 'ms',
    tradeOff:
      'How long deletes are remembered. Higher keeps more tombstones on disk; a node away for longer than this may bring a deleted file back.',
  },
  // Placement.
  replicas: {
    flag: '--replicas',
    default: 3,
    unit: 'count',
    tradeOff:
      'Copies of each file (R), the same on every node. Higher survives more simultaneous losses and serves reads from more nodes; every write stores and moves R copies.',
  },
  capacity: {
    flag: '--capacity',
    default: 1,
    unit: 'count',
    tradeOff:
      "This node's placement weight: it holds a share of the files proportional to it. Give a node with twice the disk twice the capacity.",
  },
  outAfterMs: {
    flag: '--out-after',
    default: 10 * 60_000,
    unit: 'ms',
    tradeOff:
      "A member down (dead or left) this long is marked out and its files are copied to new targets. Higher rides out longer outages and restarts without moving data; a lost node's files stay one copy short longer.",
  },
  dropDelayMs: {
    flag: '--drop-delay',
    default: 10 * 60_000,
    unit: 'ms',
    tradeOff:
      'A copy placement no longer wants here is deleted this long after every target confirmed its own. Higher keeps a spare copy longer (disk) in case a target fails right after; lower frees the disk sooner.',
  },
  maxFileSize: {
    flag: '--max-file-size',
    default: 64 * 1024 ** 3,
    unit: 'bytes',
    tradeOff:
      'Largest accepted upload (413 above). Bodies stream whatever their size, so it protects the disk, not memory.',
  },
} as const satisfies Record<string, StartOption>;

/** The tunables that are not start options, by the part of the node that reads them. */
export const TUNABLES = {
  /** node:http limits and the write-wait of `PUT ?w=N`. */
  http: {
    headersTimeoutMs: {
      default: 10_000,
      unit: 'ms',
      tradeOff:
        'Whole request headers must arrive within this (else 408 and close). Higher tolerates slower clients; a slowloris holds a socket longer.',
    },
    idleSocketTimeoutMs: {
      default: 60_000,
      unit: 'ms',
      tradeOff:
        'A connection with no traffic either way is closed after this. Higher tolerates stalled clients and networks; idle sockets pile up longer.',
    },
    keepAliveTimeoutMs: {
      default: 5_000,
      unit: 'ms',
      tradeOff:
        'An idle keep-alive connection is closed after this. Higher saves clients reconnecting; more idle sockets stay open.',
    },
    timeoutCheckIntervalMs: {
      default: 1_000,
      unit: 'ms',
      tradeOff:
        'How often node:http checks the header timeout. Higher costs less; a slow client can linger up to this long past its timeout.',
    },
    writeWaitDefaultMs: {
      default: 10_000,
      unit: 'ms',
      tradeOff:
        '`PUT ?w=N` without `timeout=` waits this long for N holders before 504 (the write stands). Higher gives slow replication more time; a client learns of a shortfall later.',
    },
    writeWaitMaxMs: {
      default: 10 * 60_000,
      unit: 'ms',
      tradeOff:
        'Longest `?timeout=` honoured; longer asks wait this long. Higher lets clients wait longer; each waiting request holds a connection and a timer that long.',
    },
    writeWaitIdleGraceMs: {
      default: 5_000,
      unit: 'ms',
      tradeOff:
        "While a PUT waits for holders, the connection's idle limit is raised to the wait plus this. Higher leaves more room to send the answer; a vanished client's socket lives longer.",
    },
    replicateAfterCommitMinBytes: {
      default: 1024 * 1024,
      unit: 'bytes',
      tradeOff:
        "A `PUT ?w=1` declaring at least this many bytes is acknowledged once stored here and only then pushed down the chain (read back from disk), instead of pushed while it arrives: the upload goes at this node's pace, not the chain's. Lower speeds up smaller w=1 uploads; a burst of small ones then costs more CPU (past the transfer limit their replicas pull instead).",
    },
    uploadBufferBytes: {
      default: 256 * 1024,
      unit: 'bytes',
      tradeOff:
        'Bytes of an upload buffered between the socket and the store. Higher smooths bursts; each upload holds more memory.',
    },
    uploadDrainMaxBytes: {
      default: 16 * 1024 * 1024,
      unit: 'bytes',
      tradeOff:
        'After a refused upload (413, 507) up to this much of the rest is read and discarded so the client sees the answer; past it the connection is closed. Higher lets more clients read the error; a refused client costs more bandwidth.',
    },
    statusDeadlineMs: {
      default: 1_000,
      unit: 'ms',
      tradeOff:
        '`GET /v1/status` asks every live member for its stats in parallel and answers after at most this long; a member that has not answered by then is listed with `stats: null`. Higher lets slow members be counted; the call can take this long.',
    },
  },
  /** Resumable upload sessions (`/v1/uploads`, uploads/upload-sessions.ts). */
  uploads: {
    maxSessions: {
      default: 64,
      unit: 'count',
      tradeOff:
        'Upload sessions a node holds at once; one more is refused with 429 until one completes, is aborted or expires. Higher serves more resumable uploads at a time; each holds a directory and its bytes on disk.',
    },
    maxTotalBytes: {
      default: 64 * 1024 ** 3,
      unit: 'bytes',
      tradeOff:
        'Sum of the declared sizes of the open sessions; a session that would pass it is refused with 429. Higher allows more or larger unfinished uploads; they can fill more of the disk before they complete.',
    },
    idleMs: {
      default: 24 * 60 * 60_000,
      unit: 'ms',
      tradeOff:
        'A session no chunk reached for this long is removed with its bytes. Higher gives an interrupted client longer to resume; abandoned uploads hold disk space longer.',
    },
    sweepIntervalMs: {
      default: 60_000,
      unit: 'ms',
      tradeOff:
        'How often expired sessions are looked for (also at every start). Higher costs less; an expired session lingers up to this long.',
    },
  },
  /** The shared port, before a connection is known to be peer or HTTP. */
  listener: {
    sniffTimeoutMs: {
      default: 10_000,
      unit: 'ms',
      tradeOff:
        'A connection must finish its TLS handshake, then send its first 4 bytes, each within this (else closed). Higher tolerates slower links; idle connections hold a socket longer.',
    },
  },
  /** The peer transport the node builds (`@dfs/transport` options it sets). */
  peerTransport: {
    drainTimeoutMs: {
      default: 500,
      unit: 'ms',
      tradeOff:
        "At shutdown, peers' in-flight calls get this long to finish. Higher completes more of them; a slow or hung peer delays the stop longer.",
    },
  },
  /** SWIM settings the node derives (`@dfs/peer-discovery` config). */
  membership: {
    probeTimeoutMaxMs: {
      default: 500,
      unit: 'ms',
      tradeOff:
        'A direct probe waits this long (or half the probe period if shorter) before asking others to probe. Higher tolerates slower links; a dead node is suspected later.',
    },
    pushPullProbePeriods: {
      default: 10,
      unit: 'probe periods',
      tradeOff:
        'A full member-list swap with one peer runs every this many probe periods (stretched for large clusters), repairing what a rumor missed. Higher costs less traffic; a missed update heals later.',
    },
    leaveAckTimeoutMs: {
      default: 500,
      unit: 'ms',
      tradeOff:
        'At shutdown, acks to the leave notice are awaited this long (the notice also spreads by gossip). Higher makes more peers see `left` at once; a peer that is leaving too or hung delays the stop longer.',
    },
  },
  /** How soon a node tries again when a seed or a peer did not answer. */
  reconnect: {
    seedWarnMs: {
      default: 5_000,
      unit: 'ms',
      tradeOff:
        'When no seed has answered this long after the start, the node logs one warning (it keeps trying and logs again once it joins). Higher warns less on slow networks; a mistyped or down seed goes unnoticed longer.',
    },
    joinRetryMaxMs: {
      default: 2_000,
      unit: 'ms',
      tradeOff:
        'While no seed answers, the join is retried with backoff up to this pause (or joinRetryMaxProbePeriods, if longer). Higher sends fewer join requests; a node started before its seed joins later.',
    },
    joinRetryMaxProbePeriods: {
      default: 5,
      unit: 'probe periods',
      tradeOff:
        'The join retry pause may grow to this many probe periods when that is longer than joinRetryMaxMs. Higher keeps slow-probing clusters quieter; they join a late seed later.',
    },
    redialMaxMs: {
      default: 1_000,
      unit: 'ms',
      tradeOff:
        'A peer address that failed to dial is skipped at most this long. Higher dials dead peers less often; a restarted peer or late seed looks unreachable longer.',
    },
  },
  /** Which nodes hold which files (issue 12): the brake and the nodes table (the grace period is `--out-after`). */
  placement: {
    minUpRatio: {
      default: 0.75,
      unit: 'ratio',
      tradeOff:
        'The brake: while fewer than this share of the members that are not out are up, no member is marked out and no surplus copy is dropped. Higher stops rebalancing sooner in a mass failure or partition; lower repairs more of it, at the risk of moving data for a failure that heals.',
    },
    tableSyncIntervalMs: {
      default: 5_000,
      unit: 'ms',
      tradeOff:
        'The nodes table (capacities, drain, remove, R) is reconciled with one random peer this often. Higher costs less traffic; an operator action or a new capacity reaches every node later.',
    },
  },
  /** Deadlines of the stop sequence (shutdown.ts); their sum must stay below forcedExitMs. */
  shutdown: {
    stepDeadlineMs: {
      default: 750,
      unit: 'ms',
      tradeOff:
        'A shutdown step still running after this is abandoned (logged) and the next one runs. Higher lets slow steps finish; a hung one delays the stop longer.',
    },
    leaveStepGraceMs: {
      default: 500,
      unit: 'ms',
      tradeOff:
        'The leave step may run this much longer than leaveAckTimeoutMs (to stop membership). Higher lets it stop cleanly on a slow machine; a hung stop delays the exit longer.',
    },
    forcedExitMs: {
      default: 4_500,
      unit: 'ms',
      tradeOff:
        'The backstop: the process exits 0 this long after the signal even if a step hangs. Must stay below 5 s (the exit promise) and above the sum of the step deadlines.',
    },
  },
  /** The live event stream (`GET /v1/events`) the dashboard listens to. */
  events: {
    maxSubscribers: {
      default: 64,
      unit: 'count',
      tradeOff:
        'Event streams open at once (503 beyond). Higher lets more dashboards watch one node; each holds a connection and is written every event.',
    },
    maxBufferedBytes: {
      default: 256 * 1024,
      unit: 'bytes',
      tradeOff:
        'Unsent bytes a subscriber may have queued before it is disconnected as too slow (it reconnects). Higher tolerates slower readers; each may hold this much memory.',
    },
    heartbeatMs: {
      default: 15_000,
      unit: 'ms',
      tradeOff:
        'A comment line is sent this often on a quiet stream, so proxies and the idle-socket timeout keep it open. Higher sends less; must stay below http.idleSocketTimeoutMs.',
    },
    statsIntervalMs: {
      default: 2_000,
      unit: 'ms',
      tradeOff:
        "How often a stats snapshot is pushed while anyone listens (the dashboard's charts sample at this rate). Higher costs less; charts and counters are coarser.",
    },
  },
} as const satisfies Record<string, Record<string, Tunable>>;

type Values<Group> = { readonly [Name in keyof Group]: number };

/** The tunables' values, by group. */
export type NodeTunables = { readonly [G in keyof typeof TUNABLES]: Values<(typeof TUNABLES)[G]> };
export type HttpTunables = NodeTunables['http'];
export type ListenerTunables = NodeTunables['listener'];
export type PeerTransportTunables = NodeTunables['peerTransport'];
export type MembershipTunables = NodeTunables['membership'];
export type ReconnectTunables = NodeTunables['reconnect'];
export type ShutdownTunables = NodeTunables['shutdown'];
export type PlacementTunables = NodeTunables['placement'];
export type UploadTunables = NodeTunables['uploads'];
export type EventsTunables = NodeTunables['events'];

/** Any subset of the tunables, by group; the rest keep their defaults. */
export type TunableOverrides = { readonly [G in keyof NodeTunables]?: Partial<NodeTunables[G]> };

function defaultsOf<Group extends Record<string, Tunable>>(group: Group): Values<Group> {
  return Object.fromEntries(
    Object.entries(group).map(([name, tunable]) => [name, tunable.default]),
  ) as Values<Group>;
}

export const DEFAULT_TUNABLES: NodeTunables = {
  http: defaultsOf(TUNABLES.http),
  uploads: defaultsOf(TUNABLES.uploads),
  listener: defaultsOf(TUNABLES.listener),
  peerTransport: defaultsOf(TUNABLES.peerTransport),
  membership: defaultsOf(TUNABLES.membership),
  reconnect: defaultsOf(TUNABLES.reconnect),
  placement: defaultsOf(TUNABLES.placement),
  shutdown: defaultsOf(TUNABLES.shutdown),
  events: defaultsOf(TUNABLES.events),
};

/** The defaults with `overrides` applied. */
export function resolveTunables(overrides: TunableOverrides = {}): NodeTunables {
  return {
    http: { ...DEFAULT_TUNABLES.http, ...overrides.http },
    uploads: { ...DEFAULT_TUNABLES.uploads, ...overrides.uploads },
    listener: { ...DEFAULT_TUNABLES.listener, ...overrides.listener },
    peerTransport: { ...DEFAULT_TUNABLES.peerTransport, ...overrides.peerTransport },
    membership: { ...DEFAULT_TUNABLES.membership, ...overrides.membership },
    reconnect: { ...DEFAULT_TUNABLES.reconnect, ...overrides.reconnect },
    placement: { ...DEFAULT_TUNABLES.placement, ...overrides.placement },
    shutdown: { ...DEFAULT_TUNABLES.shutdown, ...overrides.shutdown },
    events: { ...DEFAULT_TUNABLES.events, ...overrides.events },
  };
}

/** A value as an operator writes it: `10s`, `16MiB`, `10 probe periods`. */
export function formatTunable(value: number, unit: TunableUnit): string {
  if (unit === 'ms') return formatDuration(value);
  if (unit === 'bytes') return formatSize(value);
  if (unit === 'probe periods') return `${value} probe periods`;
  return String(value);
}

/** Where docs/operations.md keeps the generated table (scripts/tunables-doc.mjs rewrites it). */
export const TUNABLES_BEGIN = '<!-- tunables:begin (generated from apps/node/src/config.ts) -->';
export const TUNABLES_END = '<!-- tunables:end -->';

/** The Markdown table docs/operations.md carries between its `tunables` markers. */
export function renderTunablesTable(): string {
  const rows = Object.entries(TUNABLES).flatMap(([group, tunables]) =>
    Object.entries(tunables as Record<string, Tunable>).map(
      ([name, tunable]) =>
        `| \`${group}.${name}\` | ${formatTunable(tunable.default, tunable.unit)} | ${tunable.tradeOff} |`,
    ),
  );
  return ['| tunable | default | trade-off |', '| --- | --- | --- |', ...rows].join('\n');
}
