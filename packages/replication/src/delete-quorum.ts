/**
 * `DELETE ?w=N`: a delete that returns once N of the nodes placement wants the file on have applied
 * its tombstone durably. The tombstone still spreads by announcement and anti-entropy like any
 * entry; this only hands it to those nodes directly (`dfs/repl/apply/1`, request → answer once the
 * receiver's index holds that version or a newer one) and counts the answers. A receiver applies it
 * through the same bounds and rules as an announced entry (peer-guard.ts, decide.ts).
 */
import { z } from 'zod';
import type { PeerInfo, Transport } from '@dfs/transport';
import { ReplicationError, errorCode } from './errors.js';
import type { FileIndex } from './file-index.js';
import { compareVersions } from './hlc.js';
import type { ReplicatedEntry } from './merge.js';
import { toWire, wireEntrySchema } from './wire.js';

export const APPLY_PROTOCOL = 'dfs/repl/apply/1';

const applyRequestSchema = z.object({ entry: wireEntrySchema });
const applyResponseSchema = z.object({ applied: z.boolean() });

export interface DeleteQuorumOptions {
  nodeId: string;
  transport: Transport;
  index: FileIndex;
  /** Live peers, without this node. */
  livePeers: () => PeerInfo[];
  /** The nodes that should hold `name` (placement), or undefined: every live node. */
  wanted: ((name: string) => readonly string[]) | undefined;
  /** Applies an entry from `peer` as if announced (bounds, rules, durable write). */
  apply: (entry: ReplicatedEntry, peer: PeerInfo) => Promise<void>;
  onInvalid: () => void;
}

export class DeleteQuorum {
  readonly #options: DeleteQuorumOptions;

  constructor(options: DeleteQuorumOptions) {
    this.#options = options;
  }

  register(): void {
    this.#options.transport.handle(APPLY_PROTOCOL, (message, context) =>
      this.#answer(message, context.peer),
    );
  }

  unregister(): void {
    this.#options.transport.unhandle(APPLY_PROTOCOL);
  }

  /**
   * Hands the durable tombstone `entry` to the wanted nodes and resolves with how many of them
   * (this node included when wanted) hold it, as soon as `count` do or once every answer is in or
   * `timeoutMs` passed.
   */
  async confirm(
    entry: ReplicatedEntry,
    count: number,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<number> {
    const { nodeId, livePeers, wanted, transport } = this.#options;
    const peers = livePeers();
    const ids = wanted?.(entry.name) ?? [nodeId, ...peers.map((p) => p.id)];
    let confirmed = ids.includes(nodeId) ? 1 : 0;
    if (confirmed >= count) return confirmed;
    const byId = new Map(peers.map((p) => [p.id, p]));
    const targets = ids.filter((id) => id !== nodeId && byId.has(id)).map((id) => byId.get(id)!);
    const message = { entry: toWire(entry) };
    return new Promise<number>((resolve) => {
      let outstanding = targets.length;
      const done = (): void => {
        if (confirmed >= count || outstanding === 0) resolve(confirmed);
      };
      if (outstanding === 0) done();
      for (const peer of targets) {
        transport
          .request(peer.address, APPLY_PROTOCOL, message, {
            timeoutMs: options.timeoutMs,
            signal: options.signal,
          })
          .then((reply) => {
            const parsed = applyResponseSchema.safeParse(reply);
            if (parsed.success && parsed.data.applied) confirmed++;
          })
          .catch(() => undefined)
          .finally(() => {
            outstanding--;
            done();
          });
      }
    });
  }

  async #answer(message: unknown, peer: PeerInfo): Promise<{ applied: boolean }> {
    const parsed = applyRequestSchema.safeParse(message);
    if (!parsed.success) {
      this.#options.onInvalid();
      throw new ReplicationError('ERR_INVALID_NAME', 'invalid apply request');
    }
    const entry = parsed.data.entry as ReplicatedEntry;
    try {
      await this.#options.apply(entry, peer);
    } catch (error) {
      if (errorCode(error) !== 'ERR_UNAVAILABLE') throw error;
      return { applied: false };
    }
    // The same version may have arrived by announcement a moment earlier and still be on its way
    // to disk (then `apply` saw nothing new): answer only once what was written is durable.
    await this.#options.index.settled().catch(() => undefined);
    const held = this.#options.index.committed(entry.name);
    return { applied: held !== undefined && compareVersions(held.version, entry.version) >= 0 };
  }
}
