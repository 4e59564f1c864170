/**
 * The start command's arguments: `dfs-node <listen host:port> [peer host:port ...] [options]`.
 * Parsing is pure (argv and env in, a config or an exit out) so every option and every bad argument
 * is unit-tested without spawning a process. Defaults of the quantities come from ../config.ts.
 */
import os from 'node:os';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { START_OPTIONS } from '../config.js';
import { formatDuration, formatSize, parseDuration, parseHostPort, parseSize } from '../units.js';

export type LogFormat = 'json' | 'pretty';
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface HostPort {
  host: string;
  port: number;
}

export interface TlsPaths {
  cert: string;
  key: string;
  /** CA bundle that peer certificates must chain to; without it the system roots are used. */
  ca?: string;
}

/** An S3 access key: its id and secret (never logged). */
export interface S3Key {
  id: string;
  secret: string;
}

/** The S3 endpoint (`--s3`), off when absent. */
export interface S3Config {
  listen: HostPort;
  region: string;
  /** Keys given with `--s3-key`. */
  keys: S3Key[];
  /** `--s3-keys-file`: read at start (one `ID:SECRET` a line). */
  keysFile?: string;
  /** `--s3-domain`: enables virtual-host-style addressing (`<bucket>.<domain>`). */
  domain?: string;
}

export interface NodeConfig {
  /** The S3-compatible endpoint, when `--s3` is given. */
  s3?: S3Config;
  listen: HostPort;
  /** Seed peers to join through, as `host:port`. */
  peers: string[];
  /** Separate HTTP API address; undefined means the API shares the listen port. */
  api?: HostPort;
  dataDir: string;
  /** Address peers dial; undefined means the listen address (resolved once bound). */
  advertise?: string;
  secret?: string;
  apiToken?: string;
  /**
   * Set (only) by `--insecure-peers`: the operator accepts an API token with a peer port that
   * anyone can speak to (no `--secret`, no `--tls-ca`). Without it that combination is refused.
   */
  insecurePeers?: true;
  tls?: TlsPaths;
  fanout: number;
  /** Copies of each file (R), cluster-wide: a node started with another R than the cluster's stops. */
  replicas: number;
  /** This node's placement weight (relative share of the files it holds). */
  capacity: number;
  /** How long a member must be down before it is marked out and its files are re-placed. */
  outAfterMs: number;
  /** How long a copy placement no longer wants here is kept after every target confirmed its own. */
  dropDelayMs: number;
  gossipIntervalMs: number;
  probeIntervalMs: number;
  antiEntropyIntervalMs: number;
  tombstoneTtlMs: number;
  maxFileSize: number;
  logLevel: LogLevel;
  logFormat: LogFormat;
}

/** Defaults of the parsed config; the quantities and their trade-offs live in ../config.ts. */
export const DEFAULTS = {
  fanout: START_OPTIONS.fanout.default,
  replicas: START_OPTIONS.replicas.default,
  capacity: START_OPTIONS.capacity.default,
  outAfterMs: START_OPTIONS.outAfterMs.default,
  dropDelayMs: START_OPTIONS.dropDelayMs.default,
  gossipIntervalMs: START_OPTIONS.gossipIntervalMs.default,
  probeIntervalMs: START_OPTIONS.probeIntervalMs.default,
  antiEntropyIntervalMs: START_OPTIONS.antiEntropyIntervalMs.default,
  tombstoneTtlMs: START_OPTIONS.tombstoneTtlMs.default,
  maxFileSize: START_OPTIONS.maxFileSize.default,
  logLevel: 'info' as LogLevel,
} as const;

export type ParseResult =
  | { kind: 'run'; config: NodeConfig }
  /** Help or version text (exit 0) or a one-line usage error (exit 2). */
  | { kind: 'exit'; code: number; stdout: string; stderr: string };

export interface ParseContext {
  env: Record<string, string | undefined>;
  /** Directory relative paths are resolved against: INIT_CWD (set by pnpm) or the process cwd. */
  cwd: string;
  /** Whether stderr is a terminal; picks the default log format. */
  stderrIsTty: boolean;
  homeDir?: string;
}

function hostPortArg(value: string): HostPort {
  const parsed = parseHostPort(value);
  if (!parsed) throw new InvalidArgumentError(`"${value}" is not host:port`);
  return parsed;
}

function durationArg(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) {
    throw new InvalidArgumentError(`"${value}" is not a duration like 500ms, 5s, 2m or 7d`);
  }
  return ms;
}

function sizeArg(value: string): number {
  const bytes = parseSize(value);
  if (bytes === undefined || bytes <= 0) {
    throw new InvalidArgumentError(`"${value}" is not a size like 4096, 64MiB or 10GiB`);
  }
  return bytes;
}

/** `ID:SECRET`, as `--s3-key` and each line of `--s3-keys-file` give a key. */
export function parseS3Key(value: string): S3Key | undefined {
  const at = value.indexOf(':');
  if (at <= 0 || at === value.length - 1) return undefined;
  const id = value.slice(0, at);
  const secret = value.slice(at + 1);
  // Ids are what SDKs put in the Credential scope: no '/', spaces or controls; bounded.
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(id) || secret.length > 256 || /[\s]/.test(secret)) {
    return undefined;
  }
  return { id, secret };
}

function s3KeyArg(value: string, previous: S3Key[] | undefined): S3Key[] {
  const key = parseS3Key(value);
  // The message never echoes the value: it holds a secret.
  if (!key) {
    throw new InvalidArgumentError(
      'is not ID:SECRET (an id of letters, digits, ".", "_", "-"; a secret without spaces)',
    );
  }
  return [...(previous ?? []), key];
}

function regionArg(value: string): string {
  if (!/^[a-z0-9-]{1,64}$/.test(value)) {
    throw new InvalidArgumentError(`"${value}" is not a region name like us-east-1`);
  }
  return value;
}

function positiveIntArg(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1000) {
    throw new InvalidArgumentError(`"${value}" is not a whole number from 1 to 1000`);
  }
  return Number(value);
}

/** The largest `--capacity`: placement's weight cap (MAX_PLACEMENT_WEIGHT in @dfs/replication). */
export const MAX_CAPACITY = 2 ** 32;

function replicasArg(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1000) {
    throw new InvalidArgumentError(`"${value}" is not a whole number of copies from 1 to 1000`);
  }
  return Number(value);
}

function capacityArg(value: string): number {
  const weight = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!(weight > 0 && weight <= MAX_CAPACITY)) {
    throw new InvalidArgumentError(
      `"${value}" is not a positive number up to ${MAX_CAPACITY} (a relative weight, like 1 or 2.5)`,
    );
  }
  return weight;
}

/** Where data lives when --data is absent: $DFS_DATA_DIR or $XDG_DATA_HOME/dfs, then host_port. */
export function defaultDataDir(listen: HostPort, context: ParseContext): string {
  const env = context.env;
  const base =
    env.DFS_DATA_DIR ||
    path.join(
      env.XDG_DATA_HOME || path.join(context.homeDir ?? os.homedir(), '.local', 'share'),
      'dfs',
    );
  // IPv6 hosts contain ':', which some filesystems refuse.
  const host = listen.host.replace(/[^A-Za-z0-9._-]/g, '-');
  return path.resolve(context.cwd, base, `${host}_${listen.port}`);
}

/** An option with a parser and a default shown in --help the way a user would write it. */
function tunable(
  flags: string,
  description: string,
  parse: (value: string) => number,
  value: number,
  shown: string,
): Option {
  return new Option(flags, description).argParser(parse).default(value, shown);
}

function buildCommand(): Command {
  const command = new Command('dfs-node')
    .description('A dfs node: stores, serves and replicates files; peer protocol and HTTP API.')
    .argument(
      '<listen>',
      'address to listen on, host:port (peer protocol and HTTP API)',
      hostPortArg,
    )
    .argument('[peers...]', 'known nodes to join through, host:port each')
    .option('--api <host:port>', 'serve the HTTP API on its own address', hostPortArg)
    .option(
      '--data <dir>',
      'data directory (default: $DFS_DATA_DIR or $XDG_DATA_HOME/dfs, then host_port)',
    )
    .option('--advertise <host:port>', 'address peers should dial (default: the listen address)')
    // Env fallbacks are applied in toConfig from the context's env, so parsing stays pure.
    .option('--secret <secret>', 'cluster secret peers must prove (env: DFS_CLUSTER_SECRET)')
    .option(
      '--api-token <token>',
      'bearer token for the API, all but /v1/health (env: DFS_API_TOKEN)',
    )
    .option(
      '--insecure-peers',
      'allow --api-token without --secret or --tls-ca (the peer port then stays open to anyone)',
    )
    .option('--tls-cert <file>', 'TLS certificate (PEM) for peer and API traffic')
    .option('--tls-key <file>', 'TLS private key (PEM)')
    .option('--tls-ca <file>', 'CA bundle (PEM) that peers must chain to')
    .option(
      '--s3 <host:port>',
      'serve the S3-compatible API on this address (off by default)',
      hostPortArg,
    )
    .option(
      '--s3-key <ID:SECRET>',
      'an S3 access key (repeatable; prefer --s3-keys-file)',
      s3KeyArg,
    )
    .option('--s3-keys-file <file>', 'S3 access keys, one ID:SECRET a line (# comments)')
    .option('--s3-region <region>', 'the region S3 clients sign for', regionArg, 'us-east-1')
    .option('--s3-domain <domain>', 'enable virtual-host-style S3 addressing under this domain')
    .option('--fanout <n>', 'peers each announcement is sent to', positiveIntArg, DEFAULTS.fanout)
    .option(
      '--replicas <n>',
      'copies of each file, the same on every node',
      replicasArg,
      DEFAULTS.replicas,
    )
    .option(
      '--capacity <weight>',
      "this node's share of the files, relative to the others",
      capacityArg,
      DEFAULTS.capacity,
    )
    .addOption(
      tunable(
        '--out-after <duration>',
        'how long a member must be down before its files are re-placed on others',
        durationArg,
        DEFAULTS.outAfterMs,
        formatDuration(DEFAULTS.outAfterMs),
      ),
    )
    .addOption(
      tunable(
        '--drop-delay <duration>',
        'how long a surplus copy is kept after every target confirmed its own',
        durationArg,
        DEFAULTS.dropDelayMs,
        formatDuration(DEFAULTS.dropDelayMs),
      ),
    )
    .addOption(
      tunable(
        '--gossip-interval <duration>',
        'gossip round period',
        durationArg,
        DEFAULTS.gossipIntervalMs,
        formatDuration(DEFAULTS.gossipIntervalMs),
      ),
    )
    .addOption(
      tunable(
        '--probe-interval <duration>',
        'failure-detector probe period',
        durationArg,
        DEFAULTS.probeIntervalMs,
        formatDuration(DEFAULTS.probeIntervalMs),
      ),
    )
    .addOption(
      tunable(
        '--anti-entropy-interval <duration>',
        'period of full index reconciliation with one random peer',
        durationArg,
        DEFAULTS.antiEntropyIntervalMs,
        formatDuration(DEFAULTS.antiEntropyIntervalMs),
      ),
    )
    .addOption(
      tunable(
        '--tombstone-ttl <duration>',
        'how long deletes are remembered',
        durationArg,
        DEFAULTS.tombstoneTtlMs,
        formatDuration(DEFAULTS.tombstoneTtlMs),
      ),
    )
    .addOption(
      tunable(
        '--max-file-size <size>',
        'largest accepted upload',
        sizeArg,
        DEFAULTS.maxFileSize,
        formatSize(DEFAULTS.maxFileSize),
      ),
    )
    .addOption(
      new Option('--log-level <level>', 'log verbosity')
        .choices(LOG_LEVELS)
        .default(DEFAULTS.logLevel),
    )
    .addOption(
      new Option(
        '--log-format <format>',
        'log output (default: pretty on a terminal, else json)',
      ).choices(['json', 'pretty']),
    )
    .allowExcessArguments(false)
    .showHelpAfterError(false)
    .helpOption('-h, --help', 'show this help')
    .exitOverride();
  return command;
}

interface RawOptions {
  api?: HostPort;
  data?: string;
  advertise?: string;
  secret?: string;
  apiToken?: string;
  insecurePeers?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  s3?: HostPort;
  s3Key?: S3Key[];
  s3KeysFile?: string;
  s3Region: string;
  s3Domain?: string;
  fanout: number;
  replicas: number;
  capacity: number;
  outAfter: number;
  dropDelay: number;
  gossipInterval: number;
  probeInterval: number;
  antiEntropyInterval: number;
  tombstoneTtl: number;
  maxFileSize: number;
  logLevel: LogLevel;
  logFormat?: LogFormat;
}

class UsageError extends Error {}

/** Parse `argv` (without node and script); never throws, never exits. */
export function parseArguments(argv: readonly string[], context: ParseContext): ParseResult {
  // pnpm may pass a literal `--` before the script's arguments; commander would treat everything
  // after it as positional, so drop a leading one.
  const args = argv[0] === '--' ? argv.slice(1) : argv.slice();
  let stdout = '';
  let stderr = '';
  const command = buildCommand().configureOutput({
    writeOut: (text) => (stdout += text),
    writeErr: (text) => (stderr += text),
    outputError: () => {},
  });
  try {
    command.parse(args, { from: 'user' });
    const [listen, peers] = command.processedArgs as [HostPort, string[]];
    return { kind: 'run', config: toConfig(listen, peers, command.opts<RawOptions>(), context) };
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return { kind: 'exit', code: 0, stdout, stderr };
      // commander quotes a refused argument; an --s3-key argument holds a secret.
      const message = error.message.includes("'--s3-key")
        ? `option '--s3-key <ID:SECRET>' is not ID:SECRET (an id of letters, digits, ".", "_", "-"; a secret without spaces)`
        : error.message;
      return { kind: 'exit', code: 2, stdout: '', stderr: usageLine(message) };
    }
    if (error instanceof UsageError) {
      return { kind: 'exit', code: 2, stdout: '', stderr: usageLine(error.message) };
    }
    throw error;
  }
}

function usageLine(message: string): string {
  const text = message.replace(/^error:\s*/i, '').split('\n')[0] ?? message;
  return `dfs-node: ${text} (see dfs-node --help)\n`;
}

function toConfig(
  listen: HostPort,
  peers: string[],
  raw: RawOptions,
  context: ParseContext,
): NodeConfig {
  for (const peer of peers) {
    if (!parseHostPort(peer)) throw new UsageError(`peer "${peer}" is not host:port`);
  }
  if (raw.advertise !== undefined) {
    const advertised = parseHostPort(raw.advertise);
    if (!advertised || advertised.port === 0) {
      throw new UsageError(`--advertise "${raw.advertise}" is not host:port with a non-zero port`);
    }
  }
  if ((raw.tlsCert === undefined) !== (raw.tlsKey === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together');
  }
  if (raw.tlsCa !== undefined && raw.tlsCert === undefined) {
    throw new UsageError('--tls-ca needs --tls-cert and --tls-key');
  }
  const secret = raw.secret ?? (context.env.DFS_CLUSTER_SECRET || undefined);
  const apiToken = raw.apiToken ?? (context.env.DFS_API_TOKEN || undefined);
  if (secret === '') throw new UsageError('--secret is empty');
  if (apiToken === '') throw new UsageError('--api-token is empty');
  // The peer protocol reads and deletes files too: a token on the API alone would only look safe.
  if (apiToken !== undefined && secret === undefined && raw.tlsCa === undefined) {
    if (raw.insecurePeers !== true) {
      throw new UsageError(
        '--api-token protects the API but the peer port would still let anyone read and delete files; ' +
          'set --secret (or DFS_CLUSTER_SECRET, or --tls-ca), or pass --insecure-peers to accept that',
      );
    }
  }
  const resolve = (p: string): string => path.resolve(context.cwd, p);
  const s3Options =
    raw.s3Key !== undefined || raw.s3KeysFile !== undefined || raw.s3Domain !== undefined;
  if (raw.s3 === undefined && s3Options) {
    throw new UsageError('--s3-key, --s3-keys-file and --s3-domain need --s3 <host:port>');
  }
  if (raw.s3 !== undefined && raw.s3Key === undefined && raw.s3KeysFile === undefined) {
    throw new UsageError(
      '--s3 needs at least one access key: --s3-key ID:SECRET or --s3-keys-file',
    );
  }
  if (raw.s3Domain !== undefined && !/^[a-z0-9.-]{1,253}$/.test(raw.s3Domain)) {
    throw new UsageError(`--s3-domain "${raw.s3Domain}" is not a domain name`);
  }
  const config: NodeConfig = {
    listen,
    peers,
    dataDir: raw.data !== undefined ? resolve(raw.data) : defaultDataDir(listen, context),
    fanout: raw.fanout,
    replicas: raw.replicas,
    capacity: raw.capacity,
    outAfterMs: raw.outAfter,
    dropDelayMs: raw.dropDelay,
    gossipIntervalMs: raw.gossipInterval,
    probeIntervalMs: raw.probeInterval,
    antiEntropyIntervalMs: raw.antiEntropyInterval,
    tombstoneTtlMs: raw.tombstoneTtl,
    maxFileSize: raw.maxFileSize,
    logLevel: raw.logLevel,
    logFormat: raw.logFormat ?? (context.stderrIsTty ? 'pretty' : 'json'),
  };
  if (raw.api !== undefined) config.api = raw.api;
  if (raw.s3 !== undefined) {
    config.s3 = { listen: raw.s3, region: raw.s3Region, keys: raw.s3Key ?? [] };
    if (raw.s3KeysFile !== undefined) config.s3.keysFile = resolve(raw.s3KeysFile);
    if (raw.s3Domain !== undefined) config.s3.domain = raw.s3Domain;
  }
  if (raw.advertise !== undefined) config.advertise = raw.advertise;
  if (secret !== undefined) config.secret = secret;
  if (apiToken !== undefined) config.apiToken = apiToken;
  if (raw.insecurePeers === true) config.insecurePeers = true;
  if (raw.tlsCert !== undefined && raw.tlsKey !== undefined) {
    config.tls = { cert: resolve(raw.tlsCert), key: resolve(raw.tlsKey) };
    if (raw.tlsCa !== undefined) config.tls.ca = resolve(raw.tlsCa);
  }
  return config;
}
