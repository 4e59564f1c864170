/**
 * Partial replication with real processes (issue 12): five nodes started with the real start command,
 * `--replicas 3` and short timers (`--out-after 3s --drop-delay 1s`), driven only through HTTP,
 * signals and each node's data directory on disk.
 *
 * - `PUT ?w=2` on a node that is not a target answers 201 only once two targets hold the file; after
 *   the drop delay the non-targets hold 0 bytes of it. With two targets stopped (SIGSTOP) it waits
 *   until one of them is down and a stand-in holds a hinted copy.
 * - The bytes on disk across the cluster are R × the logical bytes (± 1 %) once settled.
 * - After kill -9 of a holder, every file has R copies on live nodes again within the grace period
 *   + 10 probe periods + transfer time; no file is lost and every node serves every file.
 *
 * Whether a node holds a file's body is asked black-box: `HEAD ?redirect=1` answers 200 on a node
 * that holds it and 307 (to a holder) elsewhere. Bytes on disk are the sizes of the entry files
 * under `<data>/store` (@dfs/store: one file per name and version, named by a sha256; the index and
 * the nodes table live elsewhere). The tests share one cluster and run in order.
 */
import { randomBytes } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { placementTargets } from '@dfs/replication';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileUrl, json, listNames, sha256 } from '../src/http.js';
import { Cluster, eventually, stderrTail, type NodeProcess } from '../src/node-process.js';

const REPLICAS = 3;
const OUT_AFTER_MS = 3_000;
const DROP_DELAY_MS = 1_000;
/** The probe period FAST_FLAGS sets. */
const PROBE_MS = 200;
const FLAGS = [
  '--replicas',
  String(REPLICAS),
  '--out-after',
  `${OUT_AFTER_MS}ms`,
  '--drop-delay',
  `${DROP_DELAY_MS}ms`,
];

interface ClusterMember {
  id: string;
  state: string;
  placement?: { state: string; weight: number; capacity: number };
}

interface ClusterBody {
  members: ClusterMember[];
  replicas: number;
  rebalancePaused: boolean;
  underReplicated: number;
  surplus: number;
}

const cluster = new Cluster();
let nodes: NodeProcess[] = [];
/** Every file written, by name: its bytes. */
const written = new Map<string, Buffer>();

async function view(node: NodeProcess): Promise<ClusterBody> {
  const response = await fetch(`${node.url}/v1/cluster`);
  if (response.status !== 200)
    throw new Error(`/v1/cluster on ${node.address}: ${response.status}`);
  return json<ClusterBody>(response);
}

/** The R targets of `name` as placement computes them from `seen`'s members that are not out. */
function targetsOf(name: string, seen: ClusterBody): string[] {
  const members = seen.members
    .filter((m) => m.placement !== undefined && !['out', 'removed'].includes(m.placement.state))
    .map((m) => ({ id: m.id, weight: m.placement!.weight }));
  return placementTargets(name, members, REPLICAS);
}

/** Whether `node` holds the body of `name` (200) or would redirect to a holder (307). */
async function holdsLocally(node: NodeProcess, name: string): Promise<boolean> {
  const response = await fetch(fileUrl(node.url, name, '?redirect=1'), {
    method: 'HEAD',
    redirect: 'manual',
  });
  if (response.status === 200) return true;
  if (response.status === 307) return false;
  throw new Error(`HEAD ${name}?redirect=1 on ${node.address}: ${response.status}`);
}

/** Entry files (one per body held) under the node's store directory, and anything else there. */
async function storeOnDisk(
  node: NodeProcess,
): Promise<{ entries: number; bytes: number; other: string[] }> {
  const root = path.join(node.spec.dataDir, 'store');
  const found = { entries: 0, bytes: 0, other: [] as string[] };
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (/^[0-9a-f]{64}$/.test(entry.name)) {
        found.entries++;
        found.bytes += (await stat(full)).size;
      } else if (entry.name !== '.dfs-store.json') found.other.push(path.relative(root, full));
    }
  };
  await walk(root);
  return found;
}

async function put(node: NodeProcess, name: string, body: Buffer, query = ''): Promise<Response> {
  return fetch(fileUrl(node.url, name, query), { method: 'PUT', body });
}

/** Resolves once every node answers `/v1/cluster` with every node in, 0 under-replicated, 0 surplus. */
async function settled(live: NodeProcess[], what: string, timeoutMs: number): Promise<void> {
  let last = '';
  await eventually(
    async () => {
      const views = await Promise.all(live.map(view));
      last = views
        .map(
          (v, i) =>
            `${live[i]!.address}: under=${v.underReplicated} surplus=${v.surplus} paused=${v.rebalancePaused} ` +
            v.members.map((m) => `${m.id.slice(0, 6)}:${m.state}/${m.placement?.state}`).join(' '),
        )
        .join('\n');
      return views.every((v) => v.underReplicated === 0 && v.surplus === 0) ? true : undefined;
    },
    { what, timeoutMs, intervalMs: 200, describe: () => `last views:\n${last}` },
  );
}

beforeAll(async () => {
  const seed = await cluster.start({ flags: FLAGS });
  const rest = await Promise.all(
    [1, 2, 3, 4].map(() => cluster.start({ peers: [seed.address], flags: FLAGS })),
  );
  nodes = [seed, ...rest];
  let last = '';
  await eventually(
    async () => {
      const views = await Promise.all(nodes.map(view));
      last = views
        .map((v) => v.members.map((m) => `${m.state}/${m.placement?.state}`).join(' '))
        .join('\n');
      const ready = views.every(
        (v) =>
          v.replicas === REPLICAS &&
          v.members.length === nodes.length &&
          v.members.every((m) => m.state === 'alive' && m.placement?.state === 'in'),
      );
      return ready ? true : undefined;
    },
    {
      what: 'five nodes alive and in, as every node sees it',
      timeoutMs: 30_000,
      describe: () => last,
    },
  );
}, 60_000);

afterAll(() => cluster.close());

describe('five nodes, --replicas 3, short timers', () => {
  it('PUT ?w=2 on a non-target answers once 2 targets hold the file; non-targets then hold 0 bytes', async () => {
    const origin = nodes[0]!;
    const seen = await view(origin);
    let name = '';
    let targets: string[] = [];
    for (let i = 0; ; i++) {
      name = `quorum/${i}`;
      targets = targetsOf(name, seen);
      if (!targets.includes(origin.id)) break;
    }
    const targetNodes = nodes.filter((n) => targets.includes(n.id));
    const others = nodes.filter((n) => !targets.includes(n.id));
    expect(targetNodes).toHaveLength(REPLICAS);
    expect(others).toContain(origin);

    const body = randomBytes(256 * 1024);
    const response = await put(origin, name, body, '?w=2&timeout=20s');
    const answeredAt = Date.now();
    expect(response.status, await response.clone().text()).toBe(201);
    written.set(name, body);

    // Right after the 201: at least 2 targets hold the body (the upload's third push may still run).
    const holding = await Promise.all(targetNodes.map((n) => holdsLocally(n, name)));
    expect(holding.filter(Boolean).length, `targets holding: ${holding}`).toBeGreaterThanOrEqual(2);
    // The origin keeps its copy at least the drop delay after every target confirmed: if this
    // check ran within the delay after the 201, the copy must still be there.
    const originHolds = await holdsLocally(origin, name);
    if (Date.now() - answeredAt < DROP_DELAY_MS) expect(originHolds).toBe(true);

    // Then every target holds it and the non-targets hold 0 bytes of it (it is the only file).
    let last = '';
    await eventually(
      async () => {
        const onTargets = await Promise.all(targetNodes.map((n) => holdsLocally(n, name)));
        const disks = await Promise.all(others.map(storeOnDisk));
        last = `targets holding: ${onTargets}; non-target stores: ${JSON.stringify(disks)}`;
        return onTargets.every(Boolean) && disks.every((d) => d.bytes === 0 && d.entries === 0)
          ? true
          : undefined;
      },
      {
        what: 'all 3 targets hold it and non-targets hold 0 bytes',
        timeoutMs: 15_000,
        describe: () => last,
      },
    );
    const droppedAfterMs = Date.now() - answeredAt;
    for (const n of targetNodes) expect((await storeOnDisk(n)).entries).toBe(1);
    console.log(
      `[placement] non-targets at 0 bytes ${droppedAfterMs} ms after the 201 (drop delay ${DROP_DELAY_MS} ms)`,
    );
  }, 40_000);

  // Found a node bug: a push accepted only after the SIGSTOP ended, whose stream the transport had
  // already torn down, held the version's transfer slot for good (its stall timer destroyed only the
  // dead stream), so the resumed targets never pulled the write they missed.
  it('PUT ?w=2 with two of three targets stopped waits until a stand-in for one of them holds the file', async () => {
    const origin = nodes[0]!;
    const seen = await view(origin);
    let name = '';
    let targets: string[] = [];
    for (let i = 0; ; i++) {
      name = `hinted/${i}`;
      targets = targetsOf(name, seen);
      if (!targets.includes(origin.id)) break;
    }
    const [awake, ...stopped] = nodes.filter((n) => targets.includes(n.id));
    const body = randomBytes(128 * 1024);
    for (const n of stopped) n.kill('SIGSTOP');
    try {
      // Only one target can take the body. Suspect targets are still in place, so the PUT must
      // wait until a stopped target is dead (down) and the next-ranked node up, the origin itself
      // or the other non-target, stands in with a hinted copy.
      const response = await put(origin, name, body, '?w=2&timeout=30s');
      expect(response.status, await response.clone().text()).toBe(201);
      written.set(name, body);
      const states = (await view(origin)).members
        .filter((m) => stopped.some((n) => n.id === m.id))
        .map((m) => m.placement?.state);
      expect(states, 'at the 201 a stopped target is down').toContain('down');
      expect(await holdsLocally(awake!, name)).toBe(true);
      const standIns = nodes.filter((n) => !targets.includes(n.id));
      const hinted = await Promise.all(standIns.map((n) => holdsLocally(n, name)));
      expect(hinted.some(Boolean), `stand-ins holding: ${hinted}`).toBe(true);
    } finally {
      for (const n of stopped) n.kill('SIGCONT');
    }
    // Back up, the targets pull the body and the hinted copies are dropped after the drop delay.
    let last = '';
    await eventually(
      async () => {
        const onTargets = await Promise.all(
          nodes.filter((n) => targets.includes(n.id)).map((n) => holdsLocally(n, name)),
        );
        const elsewhere = await Promise.all(
          nodes.filter((n) => !targets.includes(n.id)).map((n) => holdsLocally(n, name)),
        );
        last = `targets holding: ${onTargets}; non-targets holding: ${elsewhere}`;
        return onTargets.every(Boolean) && !elsewhere.some(Boolean) ? true : undefined;
      },
      {
        what: 'the resumed targets hold it and the hinted copies are dropped',
        timeoutMs: 30_000,
        describe: () => last,
      },
    );
  }, 60_000);

  it('bytes on disk across the cluster = R × logical bytes ± 1 % once settled', async () => {
    const count = 20;
    const min = 64 * 1024;
    const max = 1024 * 1024;
    for (let i = 0; i < count; i++) {
      const size = Math.round(min + ((max - min) * i) / (count - 1));
      const name = `spread/${i}`;
      const body = randomBytes(size);
      // The default ?w is a majority of the targets: 2 of 3.
      const response = await put(nodes[i % nodes.length]!, name, body);
      expect(response.status, await response.clone().text()).toBe(201);
      written.set(name, body);
    }
    await settled(nodes, 'every file on its 3 targets and no surplus', 30_000);
    let logical = 0;
    for (const body of written.values()) logical += body.length;
    let last = '';
    const onDisk = await eventually(
      async () => {
        const disks = await Promise.all(nodes.map(storeOnDisk));
        const bytes = disks.reduce((sum, d) => sum + d.bytes, 0);
        const entries = disks.reduce((sum, d) => sum + d.entries, 0);
        last = `entries ${entries}, bytes ${bytes}: ${JSON.stringify(disks)}`;
        return entries === REPLICAS * written.size ? bytes : undefined;
      },
      {
        what: `${REPLICAS} entry files per file across the cluster`,
        timeoutMs: 10_000,
        describe: () => last,
      },
    );
    const ratio = onDisk / (REPLICAS * logical);
    console.log(
      `[placement] bytes on disk ${onDisk} / (R × logical ${logical}) = ${ratio.toFixed(5)} over ${written.size} files`,
    );
    expect(ratio).toBeGreaterThanOrEqual(0.99);
    expect(ratio).toBeLessThanOrEqual(1.01);
  }, 120_000);

  it('after kill -9 of a holder, every file has 3 copies on live nodes again within the bound; none lost', async () => {
    expect(written.size).toBeGreaterThan(0);
    // The non-seed node holding the most files.
    const held = await Promise.all(
      nodes.slice(1).map(async (n) => ({ node: n, entries: (await storeOnDisk(n)).entries })),
    );
    held.sort((a, b) => b.entries - a.entries);
    const victim = held[0]!.node;
    expect(held[0]!.entries, 'the victim holds several files').toBeGreaterThanOrEqual(3);
    const live = nodes.filter((n) => n !== victim);

    victim.kill('SIGKILL');
    const killedAt = Date.now();
    await victim.exited;

    // outAfter + 10 probe periods, plus transfer time and slack for a loaded 2-core machine.
    // out-after + 10 probe periods, plus transfer time and slack for a loaded 2-core machine (the
    // transfer alone is ~1 s: about a fifth of 11 MiB between local processes).
    const slackMs = 15_000;
    const boundMs = OUT_AFTER_MS + 10 * PROBE_MS + slackMs;
    let last = '';
    await eventually(
      async () => {
        // Cheap first (one request per node): while the victim is only down its holder slots still
        // count, so under-replicated reads 0 until it is out; then ask each node about each file.
        const views = await Promise.all(live.map(view));
        const states = views.map(
          (v) => v.members.find((m) => m.id === victim.id)?.placement?.state,
        );
        const under = views.map((v) => v.underReplicated);
        last = `victim's placement state per node: ${states}; underReplicated per node: ${under}`;
        if (!states.every((s) => s === 'out') || !under.every((u) => u === 0)) return undefined;
        const held = await Promise.all(
          live.map(async (n) => {
            const names: string[] = [];
            for (const name of written.keys()) if (await holdsLocally(n, name)) names.push(name);
            return names;
          }),
        );
        const short = [...written.keys()]
          .map((name) => ({ name, copies: held.filter((names) => names.includes(name)).length }))
          .filter((f) => f.copies < REPLICAS);
        last += `; files short of ${REPLICAS} live copies: ${short.map((f) => `${f.name}: ${f.copies}`).join(', ') || 'none'}`;
        return short.length === 0 ? true : undefined;
      },
      {
        what: `${REPLICAS} copies of every file on live nodes within ${boundMs} ms of the kill`,
        timeoutMs: boundMs,
        intervalMs: 200,
        probeTimeoutMs: 15_000,
        describe: () => `${last}
seed log:
${stderrTail(nodes[0]!, 10)}`,
      },
    );
    const restoredMs = Date.now() - killedAt;
    console.log(
      `[placement] ${REPLICAS} copies restored ${restoredMs} ms after kill -9 (bound ${boundMs} ms = out-after ${OUT_AFTER_MS} + 10 × ${PROBE_MS} probe + ${slackMs} transfer and slack)`,
    );

    // Each file now sits on exactly its targets among the 4 live nodes, once the surplus is dropped.
    await settled(live, 'no surplus after the repair', 15_000);
    const seen = await view(live[0]!);
    expect(seen.members.find((m) => m.id === victim.id)?.placement?.state).toBe('out');
    for (const name of written.keys()) {
      const targets = targetsOf(name, seen);
      expect(targets).not.toContain(victim.id);
      const holders = live.filter((n) => targets.includes(n.id));
      expect(holders).toHaveLength(REPLICAS);
      for (const n of holders)
        expect(await holdsLocally(n, name), `${name} on ${n.address}`).toBe(true);
    }

    // The repair made exactly the copies the dead node took with it.
    let logical = 0;
    for (const body of written.values()) logical += body.length;
    const disks = await Promise.all(live.map(storeOnDisk));
    const liveBytes = disks.reduce((sum, d) => sum + d.bytes, 0);
    const ratio = liveBytes / (REPLICAS * logical);
    console.log(
      `[placement] after the repair: bytes on live disks / (R × logical) = ${ratio.toFixed(5)}`,
    );
    expect(disks.reduce((sum, d) => sum + d.entries, 0)).toBe(REPLICAS * written.size);
    expect(Math.abs(ratio - 1)).toBeLessThanOrEqual(0.01);

    // 0 files lost: every live node lists every file and serves the right bytes.
    for (const node of live) {
      const listed = await listNames(node.url);
      for (const [name, body] of written) {
        expect(listed.get(name), `${name} listed on ${node.address}`).toBe(sha256(body));
        const response = await fetch(fileUrl(node.url, name));
        expect(response.status, `GET ${name} on ${node.address}`).toBe(200);
        expect(
          sha256(Buffer.from(await response.arrayBuffer())),
          `${name} from ${node.address}`,
        ).toBe(sha256(body));
      }
    }
  }, 120_000);
});
