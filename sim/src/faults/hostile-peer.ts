/**
 * A hostile peer: a raw transport on the simulated network, listed as a live member, that speaks
 * the replication protocol with lies. It is not an engine; it sends what the wire schemas accept:
 *
 * - made-up holders: a real version re-announced with holder slots of nodes that do not exist, and
 *   slots forged for real nodes saying they hold it (at a seq that may beat their own), and made-up
 *   names whose only holders do not exist;
 * - far-future versions: tombstones and bodies of real names, timestamped years ahead, so that
 *   last-writer-wins would let them beat every honest write;
 * - wrong bytes / stalls: it claims to hold real versions and, asked to serve one, sends bytes that
 *   are not the body, or opens the stream and never sends anything.
 *
 * It stays a member (and keeps serving wrong bytes or stalling) through the final quiescence: a
 * hostile peer does not leave when the test would like it to.
 */
import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { PROTOCOLS } from '@dfs/replication';
import type { MemoryNetwork, MemoryTransport, PeerInfo, Random } from '@dfs/transport';
import { randomInt, sample } from '@dfs/transport';

export const HOSTILE_ID = 'hostile';
const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

export interface HostileModes {
  holders: boolean;
  future: boolean;
  bytes: boolean;
  stall: boolean;
}

/** A holder slot as on the wire (announce/2). */
interface WireSlot {
  node: string;
  seq: number;
  holds: boolean;
}

interface WireEntry {
  name: string;
  version: string;
  size: number;
  sha256: string;
  deleted: boolean;
  expiresAt: number;
  holders: WireSlot[];
}

/** Slots saying each of `ids` holds, sorted by node. */
function holding(ids: readonly string[], seq: number): WireSlot[] {
  return [...new Set(ids)].sort().map((node) => ({ node, seq, holds: true }));
}

/** A version string in the engine's encoding (see @dfs/replication hlc.ts), minted by the liar. */
export function forgeVersion(wall: number, counter: number, nodeId: string): string {
  return `${wall.toString(16).padStart(12, '0')}.${counter.toString(16).padStart(8, '0')}.${nodeId}`;
}

export class HostilePeer {
  readonly info: PeerInfo;
  readonly #transport: MemoryTransport;
  readonly #random: Random;
  readonly #modes: HostileModes;
  readonly #now: () => number;
  /** Bodies of the versions it minted itself: those it serves correctly, to be believed. */
  readonly #own = new Map<string, Buffer>();
  /** Names it made up (the checker knows them as phantoms). */
  readonly madeUpNames = new Set<string>();
  /** Fetch streams it keeps open without sending (a stall), closed only by the network. */
  readonly #stalled = new Set<Duplex>();
  #counter = 0;

  /** Whom to tell its lies (the up nodes, from the runner). */
  readonly #targets: () => PeerInfo[];
  /** Trace lines of what it did on its own (snooped and re-announced). */
  readonly #note: (line: string) => void;

  constructor(options: {
    network: MemoryNetwork;
    random: Random;
    modes: HostileModes;
    now: () => number;
    targets: () => PeerInfo[];
    note: (line: string) => void;
  }) {
    this.#targets = options.targets;
    this.#note = options.note;
    this.#transport = options.network.createTransport({ id: HOSTILE_ID, address: 'mem-hostile' });
    this.info = { id: HOSTILE_ID, address: 'mem-hostile' };
    this.#random = options.random;
    this.#modes = options.modes;
    this.#now = options.now;
  }

  async start(): Promise<void> {
    await this.#transport.listen();
    this.#transport.handle(PROTOCOLS.announce, (message) => this.#snoop(message));
    this.#transport.handle(PROTOCOLS.lookup, () => ({ entry: null }));
    this.#transport.handleStream(PROTOCOLS.push, (stream) => {
      stream.on('error', () => undefined);
      stream.destroy();
    });
    this.#transport.handleStream(PROTOCOLS.fetch, (stream, header) => this.#serve(stream, header));
  }

  /** One lie about `name`, told to a couple of `targets`; returns a trace line. */
  async act(kind: keyof HostileModes, name: string, targets: PeerInfo[]): Promise<string> {
    const to = sample(this.#random, targets, 2);
    if (to.length === 0) return `hostile ${kind}: nobody to lie to`;
    let entries: WireEntry[];
    if (kind === 'future') {
      entries = [this.#futureEntry(name)];
    } else {
      const real = await this.#learn(name, to[0] as PeerInfo);
      if (kind === 'holders') {
        const ghosts = ['ghost-1', 'ghost-2', ...targets.map((p) => p.id)];
        const phantom = `phantom-${this.#counter}`;
        this.madeUpNames.add(phantom);
        const body = Buffer.from(`phantom ${this.#counter}`);
        entries = [
          {
            name: phantom,
            version: forgeVersion(this.#now(), this.#counter++, HOSTILE_ID),
            size: body.length,
            sha256: sha256Of(body),
            deleted: false,
            expiresAt: 0,
            holders: holding(['ghost-1', 'ghost-2'], 1),
          },
        ];
        // Forged slots for real nodes, at a seq that can beat what they wrote: each node outbids
        // a slot for itself it sees (decide.ts), so the lie about it does not last.
        const seq = randomInt(this.#random, 4);
        if (real !== undefined) entries.push({ ...real, holders: holding(ghosts, seq) });
      } else {
        entries =
          real === undefined
            ? []
            : [
                {
                  ...real,
                  holders: mergeOwn(real.holders, { node: HOSTILE_ID, seq: 1, holds: true }),
                },
              ];
      }
    }
    for (const peer of to) {
      await this.#transport
        .send(peer.address, PROTOCOLS.announce, { entries })
        .catch(() => undefined);
    }
    return `hostile ${kind} → ${to.map((p) => p.id).join(',')}: ${entries
      .map((e) => `${e.name}@${e.version}${e.deleted ? ' (tombstone)' : ''}`)
      .join(' ')}`;
  }

  /**
   * Nodes announce new versions to it like to any member. With wrong bytes or stalls on, it races
   * the honest announcements: it tells two nodes at once that it holds the new version, so their
   * first pull may well be from it.
   */
  #snoop(message: unknown): void {
    if (!this.#modes.bytes && !this.#modes.stall) return;
    const entries = (message as { entries?: WireEntry[] }).entries ?? [];
    const fresh = entries.filter(
      (e) => !e.deleted && !e.holders.some((h) => h.node === HOSTILE_ID),
    );
    if (fresh.length === 0 || this.#random.next() < 0.5) return;
    const lies = fresh.map((e) => ({ ...e, holders: holding([HOSTILE_ID], 1) }));
    const to = sample(this.#random, this.#targets(), 2);
    for (const peer of to) {
      void this.#transport
        .send(peer.address, PROTOCOLS.announce, { entries: lies })
        .catch(() => undefined);
    }
    this.#note(
      `hostile claims to hold ${lies.map((e) => `${e.name}@${e.version}`).join(' ')} → ${to.map((p) => p.id).join(',')}`,
    );
  }

  #futureEntry(name: string): WireEntry {
    const wall = this.#now() + 10 * YEAR_MS;
    const version = forgeVersion(wall, this.#counter++, HOSTILE_ID);
    if (this.#random.next() < 0.5) {
      return {
        name,
        version,
        size: 0,
        sha256: '',
        deleted: true,
        expiresAt: wall + 60 * 60 * 1000,
        holders: [],
      };
    }
    const body = Buffer.from(`hostile body ${this.#counter}`);
    this.#own.set(version, body);
    return {
      name,
      version,
      size: body.length,
      sha256: sha256Of(body),
      deleted: false,
      expiresAt: 0,
      holders: holding([HOSTILE_ID], 1),
    };
  }

  /** Asks one node for its entry of `name` (a live one, to lie about). */
  async #learn(name: string, peer: PeerInfo): Promise<WireEntry | undefined> {
    try {
      const answer = (await this.#transport.request(
        peer.address,
        PROTOCOLS.lookup,
        { name },
        { timeoutMs: 300 },
      )) as { entry: WireEntry | null };
      return answer.entry === null || answer.entry.deleted ? undefined : answer.entry;
    } catch {
      return undefined;
    }
  }

  #serve(stream: Duplex, header: unknown): void {
    stream.on('error', () => undefined);
    stream.resume();
    const version = (header as { version?: unknown }).version;
    const own = typeof version === 'string' ? this.#own.get(version) : undefined;
    if (own !== undefined) {
      stream.end(own);
      return;
    }
    const stall = this.#modes.stall && (!this.#modes.bytes || this.#random.next() < 0.5);
    if (stall) {
      this.#stalled.add(stream);
      stream.on('close', () => this.#stalled.delete(stream));
      return;
    }
    if (this.#modes.bytes) {
      const junk = Buffer.alloc(1 + randomInt(this.#random, 48));
      for (let i = 0; i < junk.length; i++) junk[i] = randomInt(this.#random, 256);
      stream.end(junk);
      return;
    }
    stream.destroy();
  }
}

function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** `slots` with `own` replacing any slot of its node, sorted by node. */
function mergeOwn(slots: readonly WireSlot[], own: WireSlot): WireSlot[] {
  return [...slots.filter((s) => s.node !== own.node), own].sort((a, b) =>
    a.node < b.node ? -1 : a.node > b.node ? 1 : 0,
  );
}
