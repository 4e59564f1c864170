// The record of a large upload's session: durable, keyed by what identifies the upload, tolerant
// of a missing or garbled file.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  clearUploadState,
  readUploadState,
  uploadStateDirectory,
  uploadStatePath,
  writeUploadState,
} from '../src/upload-state.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dfs-upload-state-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const key = {
  nodes: ['127.0.0.1:4001'],
  name: 'big.iso',
  path: '/x/big.iso',
  size: 10,
  mtimeMs: 5,
};

describe('upload state', () => {
  it('lives under XDG_STATE_HOME, else ~/.local/state', () => {
    expect(uploadStateDirectory({ XDG_STATE_HOME: '/s', HOME: '/h' })).toBe('/s/dfs/uploads');
    expect(uploadStateDirectory({ HOME: '/h' })).toBe('/h/.local/state/dfs/uploads');
  });

  it('round-trips a session, and a changed file has another record', async () => {
    const path = uploadStatePath(join(dir, 'uploads'), key);
    expect(await readUploadState(path)).toBeUndefined();
    await writeUploadState(path, { node: 'http://127.0.0.1:4001', id: 'abc' });
    expect(await readUploadState(path)).toEqual({ node: 'http://127.0.0.1:4001', id: 'abc' });
    expect(uploadStatePath(join(dir, 'uploads'), { ...key, mtimeMs: 6 })).not.toBe(path);
    expect(uploadStatePath(join(dir, 'uploads'), { ...key, size: 11 })).not.toBe(path);
    await clearUploadState(path);
    expect(await readdir(join(dir, 'uploads'))).toEqual([]);
    await clearUploadState(path);
  });

  it('ignores records that are not sessions', async () => {
    const path = join(dir, 'r.json');
    for (const text of [
      'not json',
      '{}',
      '{"node":"","id":"x"}',
      `{"node":"n","id":"${'x'.repeat(3000)}"}`,
    ]) {
      await writeFile(path, text);
      expect(await readUploadState(path)).toBeUndefined();
    }
  });
});
