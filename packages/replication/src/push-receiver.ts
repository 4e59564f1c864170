/**
 * The receiving end of a push (push.ts): the origin streams a put's body here while it uploads.
 * Whether the push is taken is decided by `decidePush` (not running, a transfer of the version
 * already under way, a newer version current, or this version held: refused). Taken bytes are
 * stored as they arrive in the version's transfer slot, then claimed if the entry is known by then
 * and its sha256 and size match (`PullQueue.claimStored`); otherwise they wait as unclaimed bodies
 * for the entry's announcement (a pull finds them by `stat`). A push silent for `pushIdleTimeoutMs`,
 * or closed before its end, is dropped. Only the version's own node may push it.
 */
import type { Duplex } from 'node:stream';
import type { Clock, HandlerContext, Timer } from '@dfs/transport';
import { blobKey } from './blob-store.js';
import type { BlobStore } from './blob-store.js';
import { countingStage } from './body-transfer.js';
import { bodyMissing, decidePush } from './decide.js';
import type { EffectRunner } from './effect-runner.js';
import { ReplicationError } from './errors.js';
import type { FileIndex } from './file-index.js';
import { versionNodeId } from './hlc.js';
import type { Lifecycle } from './lifecycle.js';
import type { ReplicationCounters } from './stats.js';
import { fetchHeaderSchema } from './wire.js';

export interface PushReceiverOptions {
  index: FileIndex;
  store: BlobStore;
  runner: EffectRunner;
  lifecycle: Lifecycle;
  counters: ReplicationCounters;
  clock: Clock;
  /** See `ReplicationConfig.pushIdleTimeoutMs` and `maxFileBytes`. */
  pushIdleTimeoutMs: number;
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
    const parsed = fetchHeaderSchema.safeParse(header);
    if (!parsed.success || versionNodeId(parsed.data.version) !== context.peer.id) {
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
      .runPush(name, version, (signal) => this.#store(stream, name, version, context, signal))
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

  async #store(
    stream: Duplex,
    name: string,
    version: string,
    context: HandlerContext,
    signal: AbortSignal,
  ): Promise<boolean> {
    const { store, runner, counters, clock, pushIdleTimeoutMs, maxFileBytes } = this.#options;
    counters.pushesReceived++;
    let idle: Timer | undefined;
    const armIdle = (): void => {
      idle?.cancel();
      idle = clock.setTimeout(() => {
        stream.destroy(new ReplicationError('ERR_TIMEOUT', 'push stalled'));
      }, pushIdleTimeoutMs);
    };
    armIdle();
    const counted = countingStage((n) => {
      counters.bytesPushedIn += n;
      armIdle();
    });
    // The store may not be reading yet when the origin resets the push; it still sees the error
    // when it starts (a destroyed stream's iterator throws it). Never uncaught.
    counted.on('error', () => undefined);
    stream.on('error', (error) => counted.destroy(error));
    // A stream torn down without an error before its end (the transport closes the accepting end
    // quietly when the opener gave up before the accept arrived) emits neither 'end' nor 'error':
    // without this the store would wait for more bytes forever and hold the version's slot.
    stream.on('close', () => {
      if (!stream.readableEnded) {
        counted.destroy(new ReplicationError('ERR_ABORTED', 'push closed before its end'));
      }
    });
    stream.pipe(counted);
    let stored: { size: number; sha256: string };
    try {
      stored = await store.put(blobKey(name, version), counted, {
        maxBytes: maxFileBytes,
        signal,
        metadata: { name, version, origin: 'push' },
      });
    } finally {
      idle?.cancel();
      stream.end();
    }
    const claimed = await runner.pulls.claimStored(name, version, stored, context.peer);
    // No entry yet (or never: the origin's put failed): a later announcement may claim it.
    if (!claimed) runner.holdUnclaimed(name, version);
    return claimed;
  }
}
