import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArguments, type NodeConfig, type ParseContext } from '../src/cli/options.js';
import { loadS3Keys, MAX_S3_KEYS } from '../src/s3/keys.js';

const context: ParseContext = {
  env: {},
  cwd: '/work/here',
  stderrIsTty: false,
  homeDir: '/home/u',
};

function run(argv: string[]): NodeConfig {
  const result = parseArguments(argv, context);
  if (result.kind !== 'run') throw new Error(`expected a config, got: ${result.stderr}`);
  return result.config;
}

function usage(argv: string[]): string {
  const result = parseArguments(argv, context);
  if (result.kind !== 'exit') throw new Error('expected a usage error');
  expect(result.code).toBe(2);
  return result.stderr;
}

describe('S3 options', () => {
  it('are off by default', () => {
    expect(run(['127.0.0.1:1']).s3).toBeUndefined();
  });

  it('take an address, repeated keys, a keys file, a region and a domain', () => {
    const config = run([
      '127.0.0.1:1',
      '--s3',
      '0.0.0.0:9000',
      '--s3-key',
      'AK1:secret/one+x',
      '--s3-key',
      'AK2:two',
      '--s3-keys-file',
      'keys.txt',
      '--s3-region',
      'eu-west-3',
      '--s3-domain',
      's3.example.test',
    ]);
    expect(config.s3).toEqual({
      listen: { host: '0.0.0.0', port: 9000 },
      region: 'eu-west-3',
      keys: [
        { id: 'AK1', secret: 'secret/one+x' },
        { id: 'AK2', secret: 'two' },
      ],
      keysFile: '/work/here/keys.txt',
      domain: 's3.example.test',
    });
    expect(run(['127.0.0.1:1', '--s3', '127.0.0.1:9000', '--s3-key', 'a:b']).s3?.region).toBe(
      'us-east-1',
    );
  });

  it('need a key, and keys need --s3', () => {
    expect(usage(['127.0.0.1:1', '--s3', '127.0.0.1:9000'])).toMatch(/at least one access key/);
    expect(usage(['127.0.0.1:1', '--s3-key', 'a:b'])).toMatch(/need --s3/);
  });

  it('refuse a malformed key without echoing its secret', () => {
    const message = usage([
      '127.0.0.1:1',
      '--s3',
      '127.0.0.1:9000',
      '--s3-key',
      'id-only-topsecret',
    ]);
    expect(message).not.toContain('topsecret');
    expect(
      usage(['127.0.0.1:1', '--s3', '127.0.0.1:9000', '--s3-key', `id:${'s'.repeat(257)}`]),
    ).toMatch(/ID:SECRET/);
    expect(usage(['127.0.0.1:1', '--s3', '127.0.0.1:9000', '--s3-key', 'bad/id:s'])).toMatch(
      /ID:SECRET/,
    );
    expect(
      usage(['127.0.0.1:1', '--s3', '127.0.0.1:9000', '--s3-key', 'a:b', '--s3-region', 'EU']),
    ).toMatch(/region/);
  });
});

describe('S3 keys file', () => {
  it('reads ID:SECRET lines, skipping blanks and comments, beside --s3-key keys', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dfs-keys-'));
    try {
      const file = path.join(dir, 'keys');
      await writeFile(file, '# ops keys\n\nAK1:one\r\n  AK2:two  \n');
      const keys = await loadS3Keys({
        listen: { host: '', port: 0 },
        region: 'us-east-1',
        keys: [{ id: 'AK0', secret: 'zero' }],
        keysFile: file,
      });
      expect([...keys]).toEqual([
        ['AK0', 'zero'],
        ['AK1', 'one'],
        ['AK2', 'two'],
      ]);
      await writeFile(file, 'AK1:one\nnot a key topsecret\n');
      const error = await loadS3Keys({
        listen: { host: '', port: 0 },
        region: 'r',
        keys: [],
        keysFile: file,
      }).catch((e: Error) => e);
      expect((error as Error).message).toMatch(/line 2/);
      expect((error as Error).message).not.toContain('topsecret');
      await writeFile(
        file,
        Array.from({ length: MAX_S3_KEYS + 1 }, (_v, i) => `k${i}:s`).join('\n'),
      );
      const tooMany = await loadS3Keys({
        listen: { host: '', port: 0 },
        region: 'r',
        keys: [],
        keysFile: file,
      }).catch((e: Error) => e);
      expect((tooMany as Error).message).toMatch(/more than/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
