import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/index.js';
import { collect, filesUnder, getBytes, sha256, tempDir } from './helpers.js';

const writer = fileURLToPath(new URL('./fixtures/crash-writer.mjs', import.meta.url));
const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const ACKS_BEFORE_KILL = 40;

/** The value a key may hold: a sha256, or null for deleted. */
type Outcome = string | null;

/**
 * Runs the writer, SIGKILLs it once it has acknowledged ACKS_BEFORE_KILL operations, and returns what
 * each key may legitimately hold: its last acknowledged outcome, or that of the one operation still
 * in flight when the kill landed.
 */
async function runAndKill(dir: string, round: number): Promise<Map<string, Set<Outcome>>> {
  const child = spawn(process.execPath, [writer, dir, String(round)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal)),
  );
  const acked = new Map<string, Outcome>();
  let inFlight: { key: string; outcome: Outcome } | undefined;
  let acks = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    const [kind, key = '', sha = ''] = line.split(' ');
    if (kind === 'begin-put') {
      inFlight = { key, outcome: sha };
      // Killing just after a put began makes the kill land mid-write most of the time.
      if (acks >= ACKS_BEFORE_KILL) child.kill('SIGKILL');
    } else if (kind === 'begin-delete') inFlight = { key, outcome: null };
    else if (kind === 'ack-put' || kind === 'ack-delete') {
      acked.set(key, kind === 'ack-put' ? sha : null);
      inFlight = undefined;
      acks += 1;
    }
  }
  expect(await exited).toBe('SIGKILL');
  expect(acks).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);
  const allowed = new Map<string, Set<Outcome>>();
  for (const [key, outcome] of acked) allowed.set(key, new Set([outcome]));
  if (inFlight !== undefined) {
    const set = allowed.get(inFlight.key) ?? new Set<Outcome>([null]);
    set.add(inFlight.outcome);
    allowed.set(inFlight.key, set);
  }
  return allowed;
}

describe('crash safety', () => {
  it('after SIGKILL every acknowledged put is intact and nothing torn is visible', async () => {
    if (!existsSync(built)) throw new Error('build @dfs/store first: the crash test runs dist/');
    const dir = await tempDir();
    // Several rounds in one directory: each writer starts on the debris of the previous crash.
    const allowed = new Map<string, Set<Outcome>>();
    for (let round = 0; round < 3; round++) {
      for (const [key, outcomes] of await runAndKill(dir, round)) allowed.set(key, outcomes);
      await checkStore(dir, allowed);
    }
  }, 30_000);
});

async function checkStore(dir: string, allowed: Map<string, Set<Outcome>>): Promise<void> {
  const store = await openStore({ dir });
  try {
    expect((await filesUnder(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
    for (const [key, outcomes] of allowed) {
      const entry = await store.stat(key);
      const actual = entry === undefined ? null : entry.sha256;
      expect(outcomes.has(actual), `${key} holds ${String(actual)}`).toBe(true);
      if (entry !== undefined) {
        expect(sha256(await getBytes(store, key))).toBe(entry.sha256);
      }
    }
    // Nothing else, and nothing damaged: every listed entry verifies.
    const listed = await collect(store.list());
    for (const entry of listed) {
      expect(allowed.has(entry.key)).toBe(true);
      await store.verify(entry.key);
    }
  } finally {
    await store.close();
  }
}
