/**
 * The four peer protocols this node answers (see index.ts for the wire): announcements, lookups,
 * fetches of bodies it holds, and pushes (push-receiver.ts). Entries from announcements,
 * anti-entropy and lookups all enter through `applyEntries`/`applyAdmitted`: the peer's bounds first
 * (peer-guard.ts, incoming.ts), then what the entry means (`decideEntry`), then the effects
 * (`EffectRunner`). Only durable state is served or answered.
 */
import type { Duplex } from 'node:stream';
import type { Clock, HandlerContext, PeerInfo, Transport } from '@dfs/transport';
import type { BlobStore } from './blob-store.js';
import { serveBody } from './body-transfer.js';
import { decideEntry } from './decide.js';
import type { EffectRunner } from './effect-runner.js';
import { ReplicationError, errorCode } from './errors.js';
import type { FileIndex } from './file-index.js';
import type { HybridLogicalClock } from './hlc.js';
import type { IndexViews } from './index-views.js';
import type { Lifecycle } from './lifecycle.js';
import type { ReplicatedEntry } from './merge.js';
import type { PeerGuard } from './peer-guard.js';
import type { PushReceiver } from './push-receiver.js';
import type { ReplicationCounters } from './stats.js';
import { PROTOCOLS, announceSchema, lookupRequestSchema } from './wire.js';

export interface PeerHandlersOptions {
  /** This node (a peer's holder slot for it is never adopted; see `decideEntry`). */
  nodeId: string;
  transport: Transport;
  index: FileIndex;
  views: IndexViews;
  store: BlobStore;
  guard: PeerGuard;
  hlc: HybridLogicalClock;
  runner: EffectRunner;
  pushes: PushReceiver;
  lifecycle: Lifecycle;
  counters: ReplicationCounters;
  clock: Clock;
}

const HANDLED = [PROTOCOLS.announce, PROTOCOLS.lookup, PROTOCOLS.fetch, PROTOCOLS.push] as const;

export class PeerHandlers {
  readonly #options: PeerHandlersOptions;

  constructor(options: PeerHandlersOptions) {
    this.#options = options;
  }

  register(): void {
    const { transport, pushes } = this.#options;
    transport.handle(PROTOCOLS.announce, (message, context) => this.#onAnnounce(message, context));
    transport.handle(PROTOCOLS.lookup, (message) => this.#onLookup(message));
    transport.handleStream(PROTOCOLS.fetch, (stream, header, context) =>
      this.#serveFetch(stream, header, context),
    );
    transport.handleStream(PROTOCOLS.push, (stream, header, context) =>
      pushes.receive(stream, header, context),
    );
  }

  unregister(): void {
    for (const protocol of HANDLED) this.#options.transport.unhandle(protocol);
  }

  /**
   * Applies entries from `from` in order. Each `applyAdmitted` changes the working view
   * synchronously before its first await, so starting them all at once keeps their order while
   * letting the index batch their records into one fsync (group commit).
   */
  async applyEntries(entries: readonly ReplicatedEntry[], from: PeerInfo): Promise<void> {
    const admitted = this.#options.guard.admit(entries, from);
    await Promise.all(admitted.map((entry) => this.applyAdmitted(entry)));
  }

  /** An entry `PeerGuard.admit` accepted: observed by the version clock, decided, applied. */
  async applyAdmitted(entry: ReplicatedEntry): Promise<void> {
    const { hlc, index, runner, clock, nodeId } = this.#options;
    hlc.observeVersion(entry.version);
    const decision = decideEntry(index.get(entry.name), entry, clock.now(), nodeId);
    if (decision.kind !== 'ignore') await runner.run(decision.effects);
  }

  async #onAnnounce(message: unknown, context: HandlerContext): Promise<void> {
    const { lifecycle, guard, counters } = this.#options;
    if (!lifecycle.running) return;
    const parsed = announceSchema.safeParse(message);
    if (!parsed.success) {
      guard.invalid(context.peer, 'announcement');
      return;
    }
    counters.announcementsReceived++;
    counters.entriesReceived += parsed.data.entries.length;
    const allowed = guard.withinQuota(parsed.data.entries, context.peer);
    await this.applyEntries(allowed, context.peer).catch((error: unknown) => {
      if (errorCode(error) !== 'ERR_UNAVAILABLE') throw error;
    });
  }

  #onLookup(message: unknown): { entry: ReplicatedEntry | null } {
    const parsed = lookupRequestSchema.safeParse(message);
    if (!parsed.success) {
      this.#options.counters.invalidMessages++;
      throw new ReplicationError('ERR_INVALID_NAME', 'invalid lookup request');
    }
    return { entry: this.#options.views.wireOf(parsed.data.name) ?? null };
  }

  async #serveFetch(stream: Duplex, header: unknown, context: HandlerContext): Promise<void> {
    const { index, store, lifecycle, counters, runner } = this.#options;
    await serveBody(stream, header, context, {
      store,
      servable: (name, version) => {
        // Durable and not being forgotten (a copy marked corrupt is not local in the working view).
        const entry = index.committed(name);
        const latest = index.get(name);
        const held = entry?.version === version && entry.local && latest?.local === true;
        return lifecycle.running && held && latest.version === version;
      },
      onInvalid: () => {
        counters.invalidMessages++;
      },
      onServe: () => {
        counters.servesStarted++;
        counters.servesInFlight++;
      },
      onServeEnd: () => {
        counters.servesInFlight--;
      },
      onBytes: (n) => {
        counters.bytesServed += n;
      },
      onDamaged: (name, version) => {
        const entry = index.get(name);
        if (entry?.version === version) lifecycle.inBackground(runner.repairCorruptCopy(entry));
      },
    });
  }
}
