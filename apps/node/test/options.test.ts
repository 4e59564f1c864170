import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULTS,
  parseArguments,
  type NodeConfig,
  type ParseContext,
} from '../src/cli/options.js';
import { parseDuration, parseHostPort, parseSize } from '../src/units.js';

const context = (env: Record<string, string> = {}): ParseContext => ({
  env,
  cwd: '/work/here',
  stderrIsTty: false,
  homeDir: '/home/u',
});

function run(argv: string[], env: Record<string, string> = {}): NodeConfig {
  const result = parseArguments(argv, context(env));
  if (result.kind !== 'run')
    throw new Error(`expected a config, got exit ${result.code}: ${result.stderr}`);
  return result.config;
}

function usageError(argv: string[]): string {
  const result = parseArguments(argv, context());
  expect(result.kind).toBe('exit');
  if (result.kind !== 'exit') return '';
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  // One line, no stack trace.
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\s+at\s/);
  return result.stderr;
}

describe('durations and sizes', () => {
  it.each([
    ['500ms', 500],
    ['5s', 5000],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['3h', 10_800_000],
    ['7d', 604_800_000],
    ['1w', 604_800_000],
    ['250', 250],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 's', '-5s', '5 parsecs', '1e3s', 'Infinity', '5s5'])(
    '%j is not a duration',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );

  it.each([
    ['4096', 4096],
    ['64KiB', 65536],
    ['10GiB', 10 * 1024 ** 3],
    ['1GB', 1e9],
    ['2m', 2 * 1024 ** 2],
  ])('%s is %d bytes', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it('any whole number with any unit round-trips through parseDuration', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.constantFrom('ms', 's', 'm', 'h', 'd'),
        (n, unit) => {
          const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit];
          expect(parseDuration(`${n}${unit}`)).toBe(n * factor);
        },
      ),
    );
  });

  it('host:port parsing accepts names, IPv4, bracketed IPv6, and refuses the rest', () => {
    expect(parseHostPort('127.0.0.1:4001')).toEqual({ host: '127.0.0.1', port: 4001 });
    expect(parseHostPort('node-1.example:80')).toEqual({ host: 'node-1.example', port: 80 });
    expect(parseHostPort('[::1]:4001')).toEqual({ host: '::1', port: 4001 });
    for (const bad of ['4001', 'host:', ':4001', 'host:65536', 'a b:1', 'host:12x', '::1:4001']) {
      expect(parseHostPort(bad)).toBeUndefined();
    }
  });
});

describe('start command arguments', () => {
  it('every option has its default', () => {
    const config = run(['127.0.0.1:4001']);
    expect(config).toEqual({
      listen: { host: '127.0.0.1', port: 4001 },
      peers: [],
      dataDir: '/home/u/.local/share/dfs/127.0.0.1_4001',
      fanout: 3,
      replicas: 3,
      capacity: 1,
      gossipIntervalMs: DEFAULTS.gossipIntervalMs,
      probeIntervalMs: DEFAULTS.probeIntervalMs,
      antiEntropyIntervalMs: DEFAULTS.antiEntropyIntervalMs,
      tombstoneTtlMs: 7 * 86_400_000,
      maxFileSize: DEFAULTS.maxFileSize,
      logLevel: 'info',
      logFormat: 'json',
    });
  });

  it('parses peers and every option', () => {
    const config = run([
      '--',
      '0.0.0.0:4002',
      '127.0.0.1:4001',
      'other:4003',
      '--api',
      '127.0.0.1:8080',
      '--data',
      'rel/dir',
      '--advertise',
      'public.example:4002',
      '--secret',
      'sec',
      '--api-token',
      'tok',
      '--tls-cert',
      'c.pem',
      '--tls-key',
      '/abs/k.pem',
      '--tls-ca',
      'ca.pem',
      '--fanout',
      '5',
      '--replicas',
      '2',
      '--capacity',
      '2.5',
      '--gossip-interval',
      '100ms',
      '--probe-interval',
      '2s',
      '--anti-entropy-interval',
      '1m',
      '--tombstone-ttl',
      '1d',
      '--max-file-size',
      '1GiB',
      '--log-level',
      'debug',
      '--log-format',
      'pretty',
    ]);
    expect(config).toEqual({
      listen: { host: '0.0.0.0', port: 4002 },
      peers: ['127.0.0.1:4001', 'other:4003'],
      api: { host: '127.0.0.1', port: 8080 },
      dataDir: '/work/here/rel/dir',
      advertise: 'public.example:4002',
      secret: 'sec',
      apiToken: 'tok',
      tls: { cert: '/work/here/c.pem', key: '/abs/k.pem', ca: '/work/here/ca.pem' },
      fanout: 5,
      replicas: 2,
      capacity: 2.5,
      gossipIntervalMs: 100,
      probeIntervalMs: 2000,
      antiEntropyIntervalMs: 60_000,
      tombstoneTtlMs: 86_400_000,
      maxFileSize: 1024 ** 3,
      logLevel: 'debug',
      logFormat: 'pretty',
    });
  });

  it('refuses --api-token without --secret: the peer port would still serve anyone (exit 2, one line)', () => {
    const stderr = usageError(['127.0.0.1:1', '--api-token', 't']);
    expect(stderr).toMatch(/--api-token.*peer port.*--secret.*--insecure-peers/);
    const fromEnv = parseArguments(['127.0.0.1:1'], context({ DFS_API_TOKEN: 't' }));
    expect(fromEnv).toMatchObject({ kind: 'exit', code: 2 });
  });

  it('allows --api-token with --secret, with --tls-ca, or with an explicit --insecure-peers', () => {
    expect(run(['127.0.0.1:1', '--api-token', 't', '--secret', 's'])).not.toHaveProperty(
      'insecurePeers',
    );
    const tls = ['--tls-cert', 'c.pem', '--tls-key', 'k.pem', '--tls-ca', 'ca.pem'];
    expect(run(['127.0.0.1:1', '--api-token', 't', ...tls]).apiToken).toBe('t');
    expect(run(['127.0.0.1:1', '--api-token', 't', '--insecure-peers'])).toMatchObject({
      apiToken: 't',
      insecurePeers: true,
    });
  });

  it('takes the secret and token from the environment, flags winning', () => {
    const env = { DFS_CLUSTER_SECRET: 'env-secret', DFS_API_TOKEN: 'env-token' };
    expect(run(['127.0.0.1:1'], env)).toMatchObject({
      secret: 'env-secret',
      apiToken: 'env-token',
    });
    expect(run(['127.0.0.1:1', '--secret', 'flag'], env)).toMatchObject({ secret: 'flag' });
  });

  it('the data directory defaults to $DFS_DATA_DIR, then $XDG_DATA_HOME/dfs, plus host_port', () => {
    expect(run(['127.0.0.1:4001'], { DFS_DATA_DIR: '/d' }).dataDir).toBe('/d/127.0.0.1_4001');
    expect(run(['127.0.0.1:4001'], { XDG_DATA_HOME: '/x' }).dataDir).toBe('/x/dfs/127.0.0.1_4001');
    expect(run(['[::1]:4001'], { DFS_DATA_DIR: '/d' }).dataDir).toBe('/d/--1_4001');
  });

  it('help exits 0 with usage on stdout', () => {
    const result = parseArguments(['--help'], context());
    expect(result).toMatchObject({ kind: 'exit', code: 0 });
    if (result.kind === 'exit') expect(result.stdout).toMatch(/--anti-entropy-interval/);
  });

  it.each([
    [[], /missing required argument/],
    [['not-an-address'], /not host:port/],
    [['127.0.0.1:4001', 'bad peer'], /peer "bad peer"/],
    [['127.0.0.1:4001', '--fanout', '0'], /fanout/],
    [['127.0.0.1:4001', '--fanout', 'many'], /fanout/],
    [
      ['127.0.0.1:4001', '--replicas', '0'],
      /--replicas.*"0" is not a whole number of copies from 1/,
    ],
    [['127.0.0.1:4001', '--replicas', '2.5'], /--replicas.*"2\.5" is not a whole number/],
    [['127.0.0.1:4001', '--replicas', 'three'], /--replicas/],
    [['127.0.0.1:4001', '--replicas', '1001'], /--replicas.*1000/],
    [['127.0.0.1:4001', '--capacity', '0'], /--capacity.*"0" is not a positive number/],
    [['127.0.0.1:4001', '--capacity', '-1'], /--capacity/],
    [['127.0.0.1:4001', '--capacity', 'big'], /--capacity.*"big"/],
    [['127.0.0.1:4001', '--capacity', '1e10'], /--capacity/],
    [['127.0.0.1:4001', '--capacity', '9999999999'], /--capacity.*up to 4294967296/],
    [['127.0.0.1:4001', '--gossip-interval', 'soon'], /duration/],
    [['127.0.0.1:4001', '--tombstone-ttl', '-1d'], /tombstone-ttl/],
    [['127.0.0.1:4001', '--max-file-size', 'huge'], /size/],
    [['127.0.0.1:4001', '--log-format', 'xml'], /log-format/],
    [['127.0.0.1:4001', '--log-level', 'loud'], /log-level/],
    [['127.0.0.1:4001', '--unknown'], /unknown option/],
    [['127.0.0.1:4001', '--tls-cert', 'c.pem'], /go together/],
    [['127.0.0.1:4001', '--advertise', 'nowhere'], /advertise/],
    [['127.0.0.1:4001', '--api', 'x'], /not host:port/],
    [['127.0.0.1:4001', '--data'], /argument missing/],
  ])('%j is a one-line usage error with exit 2', (argv, message) => {
    expect(usageError(argv)).toMatch(message);
  });
});
