/**
 * What this node believes and is saying about the cluster: the member table, the gossip queue, the
 * running suspicions and this node's own incarnation, and the rules that connect them — merging
 * received claims, starting and confirming suspicions, declaring deaths, refuting claims about
 * ourselves, and queueing every change for gossip. No transport: exchanges.ts feeds it what arrives
 * and sends what `piggyback()` returns.
 */
import type { Clock } from '@dfs/transport';
import { BroadcastQueue, type GossipUpdate } from './broadcasts.js';
import { DeadlineScheduler } from './deadlines.js';
import type { MembershipConfig } from './defaults.js';
import type { MembershipEvents, MembershipLogger } from './events.js';
import {
  compareUpdates,
  isLive,
  MEMBER_STATES,
  MemberTable,
  type Member,
  type MemberUpdate,
  type MergeResult,
} from './members.js';
import { compareWire, fromWire, toWire, type WireUpdate } from './messages.js';
import { Suspicion, suspicionBounds } from './suspicion.js';

const SUSPECT = MEMBER_STATES.indexOf('suspect');

/** What the view needs from its owner. */
export interface ViewHooks {
  emit<E extends keyof MembershipEvents>(event: E, ...args: MembershipEvents[E]): void;
  /** Updates were queued for gossip (arm the gossip timer). */
  onNews(): void;
  /** A member became alive after being unknown, dead or left (give it a probe slot). */
  onRevived(id: string): void;
  /** While leaving, claims about this node are not refuted. */
  isLeaving(): boolean;
  log: Pick<MembershipLogger, 'debug' | 'info'>;
}

export class MembershipView {
  readonly table: MemberTable;
  readonly #queue = new BroadcastQueue<WireUpdate>();
  readonly #suspicions = new Map<string, Suspicion>();
  /** Suspicion timers share one clock timer (hundreds may run during a partition). */
  readonly #deadlines: DeadlineScheduler;
  readonly #clock: Clock;
  readonly #config: MembershipConfig;
  readonly #hooks: ViewHooks;
  readonly #address: () => string;
  #incarnation: number;
  #closed = false;

  constructor(options: {
    selfId: string;
    /** This node's address, read when announcing itself (a transport may learn it at listen). */
    address: () => string;
    incarnation: number;
    clock: Clock;
    config: MembershipConfig;
    hooks: ViewHooks;
  }) {
    this.table = new MemberTable(options.selfId);
    this.#address = options.address;
    this.#incarnation = options.incarnation;
    this.#clock = options.clock;
    this.#config = options.config;
    this.#hooks = options.hooks;
    this.#deadlines = new DeadlineScheduler(options.clock);
  }

  get incarnation(): number {
    return this.#incarnation;
  }

  /** Something is waiting to be gossiped. */
  get hasNews(): boolean {
    return this.#queue.size > 0;
  }

  /** Record a claim this node makes about itself (alive at start, left when leaving) and queue it. */
  announceSelf(state: 'alive' | 'left'): MemberUpdate {
    const update = this.selfUpdate(state);
    this.table.apply(update, this.#clock.now());
    this.#queue.enqueue(update.id, toWire(update));
    return update;
  }

  /** Stops every suspicion; later merges are ignored. */
  close(): void {
    this.#closed = true;
    for (const suspicion of this.#suspicions.values()) suspicion.cancel();
    this.#suspicions.clear();
    this.#deadlines.close();
  }

  /** A probe of `target` failed by every path: suspect it, unless it changed meanwhile. */
  suspectAfterProbe(target: Member): void {
    const current = this.table.get(target.id);
    // A refutation may have arrived while we probed: only suspect the incarnation we probed.
    if (current === undefined || !isLive(current.state)) return;
    if (current.incarnation !== target.incarnation) return;
    this.#hooks.log.debug(
      { id: target.id, incarnation: target.incarnation },
      'probe failed; suspect',
    );
    this.#merge(
      {
        id: target.id,
        address: target.address,
        state: 'suspect',
        incarnation: target.incarnation,
        from: this.table.selfId,
      },
      this.table.selfId,
    );
  }

  /** Merge gossiped updates; old news is recognised on the wire form and dropped unparsed. */
  mergeAll(updates: readonly WireUpdate[], sender: string | undefined): void {
    if (this.#closed) return;
    const selfId = this.table.selfId;
    for (const wire of updates) {
      const known = wire[0] === selfId ? undefined : this.table.known(wire[0]);
      if (known !== undefined) {
        if (known.state === 'suspect') {
          // While hundreds of members are suspect (a partition) most of what arrives is the same
          // suspicion again: handled here on the wire form, as #merge would, without decoding it.
          if (wire[2] === SUSPECT && wire[3] === known.incarnation) {
            this.#confirmed(wire, sender);
            continue;
          }
          if (compareWire(wire, known) <= 0) continue;
        } else {
          const order = compareWire(wire, known);
          if (order < 0) continue;
          if (order === 0) {
            if (!isLive(known.state)) this.#heardAgain(known);
            continue;
          }
        }
      }
      this.#merge(fromWire(wire), sender);
    }
    this.#hooks.onNews();
  }

  /**
   * Merge a peer's full member list. A dead claim in it about a member we believe alive in the same
   * incarnation is skipped: after a partition heals each half's list says the whole other half is
   * dead, and applying that (or even suspecting, as memberlist does) would turn every node against
   * members it is talking to right now, flooding the cluster with suspicions. The member itself
   * refutes when it sees the claim (its own reconnect exchanges lists across the cut within
   * `reconnectIntervalMs`), and a member that really died is caught by our own probes. A dead
   * claim about a later incarnation than ours is news of a life we missed: taken as a suspicion.
   */
  mergeState(members: readonly GossipUpdate[], sender: string | undefined): void {
    if (this.#closed) return;
    for (const update of members) {
      const known = update.state === 'dead' ? this.table.get(update.id) : undefined;
      if (known !== undefined && isLive(known.state) && update.id !== this.table.selfId) {
        if (update.incarnation <= known.incarnation) continue;
        const { id, address, incarnation } = update;
        this.#merge({ id, address, state: 'suspect', incarnation, from: sender }, sender);
      } else {
        this.#merge(update, sender);
      }
    }
    this.#hooks.onNews();
  }

  #merge(update: GossipUpdate, sender: string | undefined): void {
    if (update.id === this.table.selfId) {
      this.#refuteIfNeeded(update);
      return;
    }
    const now = this.#clock.now();
    const known = this.table.known(update.id);
    if (
      update.state === 'suspect' &&
      known?.state === 'suspect' &&
      known.incarnation === update.incarnation
    ) {
      this.#confirmed(toWire(update), sender);
      return;
    }
    if (known !== undefined) {
      const order = compareUpdates(update, known);
      if (order === 0 && !isLive(known.state)) this.#heardAgain(known);
      if (order <= 0) return; // old news: most of what arrives
    }
    const result = this.table.apply(update, now);
    if (result === undefined) return;
    this.#onChange(result, update.state === 'suspect' ? (update.from ?? sender) : undefined);
  }

  /**
   * The suspicion we hold, claimed again (by `wire`'s suspecter, or else its sender): a Lifeguard
   * confirmation, worth passing on if it is a new confirmer.
   */
  #confirmed(wire: WireUpdate, sender: string | undefined): void {
    const from = wire[4] !== '' ? wire[4] : sender;
    if (from !== undefined && this.#suspicions.get(wire[0])?.confirm(from)) {
      this.#queue.amend(wire[0], [wire[0], wire[1], wire[2], wire[3], from]);
    }
  }

  /**
   * Someone told us what we already believe. If we are still spreading that very claim, count it
   * as one of our sends (Demers et al.'s feedback counter): once most nodes know a piece of news,
   * duplicates pour in and the news stops being sent, instead of every node sending it its full
   * `limit` times to nodes that already have it. Only for deaths and leaves: a suspicion must reach
   * the suspect and a refutation every suspecter, and in a small cluster duplicates arrive so early
   * that damping those made refutations arrive too late (a test at 5 % loss caught it). A death
   * that fails to reach someone is found again by that node's own probes.
   */
  #heardAgain(known: Member): void {
    const state = MEMBER_STATES.indexOf(known.state);
    this.#queue.countAsSent(
      known.id,
      (queued) => queued[2] === state && queued[3] === known.incarnation,
      this.#retransmitLimit(),
    );
  }

  #onChange(result: MergeResult, suspecter: string | undefined): void {
    const { member, previous } = result;
    const { id, address, state, incarnation } = member;
    this.#queue.enqueue(id, [
      id,
      address,
      MEMBER_STATES.indexOf(state),
      incarnation,
      suspecter ?? '',
    ]);
    this.#suspicions.get(id)?.cancel();
    this.#suspicions.delete(id);
    if (state === 'suspect') this.#startSuspicion(member, suspecter ?? this.table.selfId);
    const wasLive = previous !== undefined && isLive(previous.state) && !result.added;
    if (state === 'alive' && !wasLive) this.#hooks.onRevived(id);
    this.#emitChange(member, previous, wasLive);
  }

  #emitChange(member: Member, previous: Member | undefined, wasLive: boolean): void {
    switch (member.state) {
      case 'alive':
        if (!wasLive) this.#hooks.emit('join', member);
        else if (previous?.state === 'suspect') this.#hooks.emit('alive', member);
        break;
      case 'suspect':
        this.#hooks.emit('suspect', member);
        break;
      case 'dead':
        this.#hooks.log.info({ id: member.id, incarnation: member.incarnation }, 'member dead');
        this.#hooks.emit('dead', member);
        break;
      case 'left':
        this.#hooks.emit('leave', member);
        break;
    }
    this.#hooks.emit('update', member, previous);
  }

  #startSuspicion(member: Member, from: string): void {
    const bounds = suspicionBounds({
      clusterSize: this.clusterSize(),
      probeIntervalMs: this.#config.probeIntervalMs,
      suspicionMult: this.#config.suspicionMult,
      suspicionMaxMult: this.#config.suspicionMaxMult,
      confirmationsWanted: this.#config.suspicionConfirmations,
    });
    const suspicion = new Suspicion({
      clock: this.#deadlines,
      bounds,
      from,
      onExpire: () => {
        this.#suspicions.delete(member.id);
        if (this.#closed) return;
        const { id, address, incarnation } = member;
        this.#merge({ id, address, state: 'dead', incarnation }, this.table.selfId);
        this.#hooks.onNews();
      },
    });
    this.#suspicions.set(member.id, suspicion);
  }

  /**
   * Someone claims something about this node. A suspicion or death at our incarnation or above (or
   * an alive claim above it, from a previous life) is refuted by moving past it; older claims were
   * already refuted. A leaving node refutes nothing.
   */
  #refuteIfNeeded(update: MemberUpdate): void {
    if (this.#hooks.isLeaving()) return;
    const stale =
      update.incarnation < this.#incarnation ||
      (update.incarnation === this.#incarnation && update.state === 'alive');
    if (stale) return;
    this.#incarnation = update.incarnation + 1;
    const alive = this.selfUpdate('alive');
    const result = this.table.apply(alive, this.#clock.now());
    this.#queue.enqueue(alive.id, toWire(alive));
    this.#hooks.log.info(
      { claimed: update.state, incarnation: this.#incarnation },
      'refuting a claim about this node',
    );
    if (result) this.#hooks.emit('update', result.member, result.previous);
  }

  selfUpdate(state: 'alive' | 'left'): MemberUpdate {
    return {
      id: this.table.selfId,
      address: this.#address(),
      state,
      incarnation: this.#incarnation,
    };
  }

  /** Updates for one outgoing message. */
  piggyback(): WireUpdate[] {
    return this.#queue.take(this.#config.maxUpdatesPerMessage, this.#retransmitLimit());
  }

  #retransmitLimit(): number {
    return this.#config.retransmitMult * Math.ceil(Math.log10(this.clusterSize() + 1));
  }

  /** Live members, self included: what timeouts and retransmissions scale with. */
  clusterSize(): number {
    return Math.max(1, this.table.liveCount);
  }
}
