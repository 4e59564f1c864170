/**
 * The receiving end of a push (push.ts): a node of an upload's push chain, which stores the body
 * while the origin still uploads it and relays it to the next node of the chain as it arrives.
 *
 * Whether the push is taken is decided by `decidePush` (not running, a transfer of the version
 * already under way, a newer version current, or this version held: refused); the version's origin
 * and the sender must be members this node knows, and the origin is never this node. Taken bytes
 * are stored as they arrive in the version's transfer slot, then claimed if the entry is known by
 * then and its sha256 and size match (`PullQueue.claimStored`); otherwise they wait as unclaimed
 * bodies for the entry's announcement (a pull finds them by `stat`). A push silent for
 * `pushIdleTimeoutMs` is dropped.
 *
 * The relay: the header's `chain` is a list of member ids, never addresses. Each is resolved
 * through this node's own view of live peers; ids it does not know, this node, the origin, the
 * sender and repeats are skipped, and the first that accepts within `pushOpenTimeoutMs` gets the
 * rest of the chain. The downstream stream ends only once the upstream ended cleanly and this
 * node's store committed, and is destroyed if either fails, so no node keeps bytes of a failed
 * upload; a downstream that fails or stalls is dropped without failing this node's own copy (it
 * and the nodes after it pull later).
 */
import type { Duplex } from 'node:stream';
import type { Clock, HandlerContext, PeerInfo, Timer, Transport } from '@dfs/transport';
import { blobKey } from './blob-store.js';
import type { BlobStore } from './blob-store.js';
import { countingStage } from './body-transfer.js';
import { bodyMissing, decidePush } from './decide.js';
import type { EffectRunner } from './effect-runner.js';
import { ReplicationError } from './errors.js';
import type { FileIndex } from './file-index.js';
import { versionNodeId } from './hlc.js';
import type { Lifecycle } from './lifecycle.js';
import { openPushChain, teeUpload } from './push.js';
import type { ReplicationCounters } from './stats.js';
import { pushHeaderSchema } from './wire.js';
import type { PushHeader } from './wire.js';

export interface PushReceiverOptions {
  /** This node (never a relay target, never a push's origin). */
  nodeId: string;
  index: FileIndex;
  store: BlobStore;
  runner: EffectRunner;
  lifecycle: Lifecycle;
  counters: ReplicationCounters;
  clock: Clock;
  transport: Transport;
  /** Live peers, without this node: the only way a chain id becomes an address. */
  livePeers: () => PeerInfo[];
  /** Every member id known, any state (a push's origin and sender must be one). */
  members: () => Iterable<string>;
  /** See `ReplicationConfig.pushIdleTimeoutMs`, `pushOpenTimeoutMs` and `maxFileBytes`. */
  pushIdleTimeoutMs: number;
  pushOpenTimeoutMs: number;
  maxFileBytes: number;
}

export class PushReceiver {
  readonly #options: PushReceiverOptions;

  constructor(options: PushReceiverOptions) {
    this.#options = options;
  }

  receive(stream: Duplex, header: unknown, context: HandlerContext): void {
    const { index, runner, lifecycle, counters } = this.#options;
    stream.on('error', () => undefined);
    const parsed = pushHeaderSchema.safeParse(header);
    if (!parsed.success || !this.#acceptableSenders(parsed.data.version, context.peer.id)) {
      counters.invalidMessages++;
      stream.destroy();
      return;
    }
    const { name, version } = parsed.data;
    const decision = decidePush(index.get(name), version, {
      running: lifecycle.running,
      transferUnderWay: runner.pulls.transferOf(name, version) !== undefined,
    });
    if (decision === 'refuse') {
      stream.destroy();
      return;
    }
    runner.pulls
      .runPush(name, version, (signal) => this.#store(stream, parsed.data, context, signal))
      .catch(() => false)
      .then((claimed) => {
        // A failed or unclaimable push: if the entry is known by now, pull it without waiting for
        // the next housekeeping round.
        const latest = index.get(name);
        if (!claimed && bodyMissing(latest) && latest.version === version) {
          runner.pulls.schedule(latest);
        }
      });
  }

  /** The version's origin is another known member, and so is the node that sent it. */
  #acceptableSenders(version: string, sender: string): boolean {
    const origin = versionNodeId(version);
    if (origin === this.#options.nodeId) return false;
    const members = new Set(this.#options.members());
    return members.has(origin) && (sender === origin || members.has(sender));
  }

  /** The live peers `chain` names, in order, without this node, the origin, the sender or repeats. */
  #downstreamCandidates(chain: readonly string[], origin: string, sender: string): PeerInfo[] {
    const live = new Map(this.#options.livePeers().map((p) => [p.id, p]));
    const skip = new Set([this.#options.nodeId, origin, sender]);
    const out: PeerInfo[] = [];
    for (const id of chain) {
      const peer = live.get(id);
      if (peer === undefined || skip.has(id)) continue;
      skip.add(id);
      out.push(peer);
    }
    return out;
  }

  async #store(
    stream: Duplex,
    header: PushHeader,
    context: HandlerContext,
    signal: AbortSignal,
  ): Promise<boolean> {
    const { store, runner, counters, clock, transport } = this.#options;
    const { pushIdleTimeoutMs, maxFileBytes } = this.#options;
    const { name, version } = header;
    const origin = versionNodeId(version);
    counters.pushesReceived++;
    // Opened before any byte is consumed (the upstream waits meanwhile, under its backpressure).
    const candidates = this.#downstreamCandidates(header.chain, origin, context.peer.id);
    const downstream =
      candidates.length === 0
        ? undefined
        : await openPushChain({
            transport,
            candidates,
            name,
            version,
            timeoutMs: this.#options.pushOpenTimeoutMs,
            signal,
          });
    let idle: Timer | undefined;
    const armIdle = (): void => {
      idle?.cancel();
      idle = clock.setTimeout(() => {
        if (downstream !== undefined && downstream.stream.writableNeedDrain) {
          // The next node stalls the chain, not our upstream: drop it (it pulls later).
          downstream.stream.destroy();
          armIdle();
          return;
        }
        // End the store's input itself too: destroying a stream the transport already tore down
        // emits nothing (found by e2e: a push accepted after a SIGSTOP held its slot for good).
        const stalled = new ReplicationError('ERR_TIMEOUT', 'push stalled');
        counted.destroy(stalled);
        stream.destroy(stalled);
      }, pushIdleTimeoutMs);
    };
    const counted = countingStage((n) => {
      counters.bytesPushedIn += n;
      armIdle();
    });
    armIdle();
    stream.on('error', (error) => counted.destroy(error));
    stream.on('close', () => {
      // A reset without an error must not leave the store waiting for the idle timeout.
      if (!stream.readableEnded) {
        counted.destroy(new ReplicationError('ERR_UNAVAILABLE', 'push closed mid-body'));
      }
    });
    const tee = teeUpload(stream, downstream?.stream, counted);
    let stored: { size: number; sha256: string };
    try {
      // Reset while the downstream was opening: nothing more will come.
      if (stream.destroyed) throw new ReplicationError('ERR_UNAVAILABLE', 'push closed mid-body');
      stored = await store.put(blobKey(name, version), tee.input, {
        maxBytes: maxFileBytes,
        signal,
        metadata: { name, version, origin: 'push' },
      });
    } catch (error) {
      tee.abort();
      stream.destroy(); // the sender stops sending; its own copy is not affected
      throw error;
    } finally {
      idle?.cancel();
      stream.end();
    }
    // The upstream ended cleanly (the store saw its end) and our copy is durable: pass the end on.
    tee.commit();
    // The origin committed before any clean end reached the chain: it holds the version.
    const claimed = await runner.pulls.claimStored(name, version, stored, origin);
    // No entry yet (or never: the origin's put failed): a later announcement may claim it.
    if (!claimed) runner.holdUnclaimed(name, version);
    return claimed;
  }
}
