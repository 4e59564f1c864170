/**
 * SWIM wired to a Transport: the probe loop, gossip of membership news, and the join / leave /
 * reconnect procedures. Decisions live in members.ts (the merge), suspicion.ts (timeouts), probe.ts
 * (order and the probe itself) and broadcasts.ts (what to say next); the request and handler of
 * each exchange live in exchanges.ts. This file drives them and owns every timer, all on the
 * injected clock.
 */
import { backoffDelay } from '@dfs/base';
import {
  delay,
  randomInt,
  systemClock,
  systemRandom,
  type Clock,
  type Random,
  type Timer,
  type Transport,
} from '@dfs/transport';
import { resolveConfig, type MembershipConfig } from './defaults.js';
import { DiscoveryError } from './errors.js';
import { TypedEmitter, type MembershipEvents, type MembershipLogger } from './events.js';
import { isLive, type Member, type MemberTable, type MemberUpdate } from './members.js';
import { SwimExchanges } from './exchanges.js';
import { PROTOCOL, toWire } from './messages.js';
import { pickDistinct } from './pick.js';
import { probeMember, ProbeOrder } from './probe.js';
import { MembershipView } from './view.js';

const silentLogger: MembershipLogger = { debug() {}, info() {}, warn() {} };

export interface MembershipOptions {
  /** Carries every message; this node's id and address are the transport's. */
  transport: Transport;
  /** Default: the system clock. Tests and the simulator pass a virtual one. */
  clock?: Clock;
  /** Default: Math.random. Pass a seeded one for reproducible runs. */
  random?: Random;
  /** Addresses to join through. Empty (the default) starts a new cluster. Our own address is skipped. */
  seeds?: readonly string[];
  /**
   * Starting incarnation (default 0). A restarted node that remembers its previous incarnation
   * starts above it; one that does not is refuted into a higher one as soon as it hears its old
   * state, so this only saves a round trip.
   */
  incarnation?: number;
  /** Members to start with (e.g. the last view saved before a restart); no gossip is sent for them. */
  knownMembers?: readonly MemberUpdate[];
  /** Protocol tunables; see defaults.ts for each default and trade-off. */
  config?: Partial<MembershipConfig>;
  logger?: MembershipLogger;
}

type Phase = 'idle' | 'running' | 'leaving' | 'left' | 'stopped';

export class Membership extends TypedEmitter<MembershipEvents> {
  readonly #transport: Transport;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #seeds: readonly string[];
  readonly #config: MembershipConfig;
  readonly #log: MembershipLogger;
  readonly #view: MembershipView;
  /** The view's member table (read here for probing, gossip targets and the public lists). */
  readonly #table: MemberTable;
  readonly #order: ProbeOrder;
  /** Both sides of ping, ping-req, sync and gossip over the transport. */
  readonly #exchanges: SwimExchanges;
  readonly #timers = new Set<Timer>();
  /** Aborts a join in progress and a leave's wait when stop() is called. */
  readonly #abort = new AbortController();
  #gossipTimer: Timer | undefined;
  #phase: Phase = 'idle';
  #probing = false;
  #leaving: Promise<void> | undefined;

  constructor(options: MembershipOptions) {
    super((error) => this.#log.warn({ err: error }, 'membership event listener threw'));
    this.#transport = options.transport;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? systemRandom;
    this.#config = resolveConfig(
      options.config,
      (message) => new DiscoveryError('ERR_INVALID_CONFIG', message),
    );
    this.#log = options.logger ?? silentLogger;
    this.#seeds = (options.seeds ?? []).filter((seed) => seed !== options.transport.address);
    const incarnation = options.incarnation ?? 0;
    if (!Number.isSafeInteger(incarnation) || incarnation < 0) {
      throw new DiscoveryError('ERR_INVALID_CONFIG', 'incarnation must be an integer >= 0');
    }
    this.#order = new ProbeOrder(this.#random);
    this.#view = new MembershipView({
      selfId: options.transport.id,
      address: () => this.#transport.address,
      incarnation,
      clock: this.#clock,
      config: this.#config,
      hooks: {
        emit: (event, ...args) => this.emit(event, ...args),
        onNews: () => this.#armGossip(),
        onRevived: (id) => this.#order.add(id),
        isLeaving: () => this.#phase === 'leaving' || this.#phase === 'left',
        log: this.#log,
      },
    });
    this.#table = this.#view.table;
    this.#exchanges = new SwimExchanges({
      transport: this.#transport,
      clock: this.#clock,
      config: this.#config,
      log: this.#log,
      view: this.#view,
      signal: this.#abort.signal,
    });
    const now = this.#clock.now();
    // Not gossiped: joining sends it in the member list, and known members already have it.
    this.#table.apply(this.#view.selfUpdate('alive'), now);
    for (const update of options.knownMembers ?? []) {
      if (update.id !== this.#table.selfId) this.#table.apply(update, now);
    }
  }

  /** This node as its peers see it. */
  get self(): Member {
    return this.#table.get(this.#table.selfId) as Member;
  }

  get config(): Readonly<MembershipConfig> {
    return this.#config;
  }

  /** Every known member, this node included, dead and left ones until they are reaped. */
  members(): Member[] {
    return this.#table.all();
  }

  /** Alive and suspect members other than this node: the peer view for gossip and replication. */
  liveMembers(): readonly Member[] {
    return this.#table.livePeers();
  }

  /** One member by id, if known. */
  member(id: string): Member | undefined {
    return this.#table.get(id);
  }

  /**
   * Register the protocol handlers, start probing, and join through the seeds. Resolves once a seed
   * answered (at once when there are none); retries with backoff until then, or rejects with
   * ERR_JOIN_TIMEOUT after `joinTimeoutMs`, or ERR_STOPPED if stopped first.
   */
  async start(): Promise<void> {
    if (this.#phase !== 'idle') {
      throw new DiscoveryError('ERR_ALREADY_STARTED', `membership is ${this.#phase}`);
    }
    this.#phase = 'running';
    this.#exchanges.registerHandlers();
    this.#startTimers();
    await this.#join();
  }

  /**
   * Tell the cluster this node is leaving: it is marked `left` (never `dead`) everywhere. Stops
   * probing; resolves once `leaveFanout` members acknowledged, or after `leaveTimeoutMs`. Call
   * stop() afterwards to release the transport handlers.
   */
  leave(): Promise<void> {
    if (this.#leaving) return this.#leaving;
    if (this.#phase !== 'running') {
      return Promise.reject(new DiscoveryError('ERR_NOT_STARTED', `membership is ${this.#phase}`));
    }
    this.#leaving = this.#announceLeave();
    return this.#leaving;
  }

  /** Stop every timer and handler; pending start() rejects with ERR_STOPPED. Idempotent. */
  async stop(): Promise<void> {
    if (this.#phase === 'stopped') return;
    const wasStarted = this.#phase !== 'idle';
    this.#phase = 'stopped';
    this.#abort.abort(new DiscoveryError('ERR_STOPPED', 'membership stopped'));
    for (const timer of this.#timers) timer.cancel();
    this.#timers.clear();
    this.#gossipTimer?.cancel();
    this.#gossipTimer = undefined;
    this.#view.close();
    if (wasStarted) {
      for (const protocol of Object.values(PROTOCOL)) this.#transport.unhandle(protocol);
    }
    await this.#leaving?.catch(() => undefined);
  }

  // ---- joining and leaving -------------------------------------------------------------------

  async #join(): Promise<void> {
    if (this.#seeds.length === 0) return;
    const startedAt = this.#clock.now();
    const { joinBackoffMs, joinBackoffMaxMs, joinTimeoutMs } = this.#config;
    for (let attempt = 0; ; attempt++) {
      if (this.#phase !== 'running') throw new DiscoveryError('ERR_STOPPED', 'membership stopped');
      const answered = await Promise.all(
        this.#seeds.map((seed) => this.#exchanges.syncWith(seed, true)),
      );
      const joined = answered.filter(Boolean).length;
      if (joined > 0) {
        // The seeds know us now; gossip it too, so the news does not depend on them alone.
        this.#view.announceSelf('alive');
        this.#armGossip();
        this.#log.info({ seeds: this.#seeds.length, joined, attempt }, 'joined the cluster');
        return;
      }
      const retry = { baseMs: joinBackoffMs, maxMs: joinBackoffMaxMs, jitter: 'equal' } as const;
      const wait = backoffDelay(attempt, { ...retry, random: () => this.#random.next() });
      if (joinTimeoutMs > 0 && this.#clock.now() - startedAt + wait > joinTimeoutMs) {
        throw new DiscoveryError('ERR_JOIN_TIMEOUT', `no seed answered within ${joinTimeoutMs} ms`);
      }
      this.#log.debug({ attempt, wait }, 'no seed answered; retrying');
      await delay(this.#clock, wait, this.#abort.signal);
    }
  }

  async #announceLeave(): Promise<void> {
    this.#phase = 'leaving';
    for (const timer of this.#timers) timer.cancel();
    this.#timers.clear();
    const left = this.#view.announceSelf('left');
    this.#armGossip();
    const targets = pickDistinct(this.#random, this.#table.livePeerIds(), this.#config.leaveFanout);
    const told = Promise.allSettled(
      targets.map((id) =>
        this.#transport.request(
          this.#addressOf(id),
          PROTOCOL.gossip,
          { updates: [toWire(left)] },
          { timeoutMs: this.#config.leaveTimeoutMs, signal: this.#abort.signal },
        ),
      ),
    );
    const deadline = delay(this.#clock, this.#config.leaveTimeoutMs, this.#abort.signal);
    await Promise.race([told, deadline.catch(() => undefined)]);
    if (this.#phase === 'leaving') this.#phase = 'left';
    this.#log.info({ told: targets.length }, 'left the cluster');
  }

  // ---- timers --------------------------------------------------------------------------------

  #startTimers(): void {
    const { probeIntervalMs, reconnectIntervalMs, deadReapMs, tombstoneTtlMs } = this.#config;
    // A random phase, so nodes started together do not probe in lockstep.
    this.#every(probeIntervalMs, () => void this.#probeNext(), this.#random.next());
    this.#every(reconnectIntervalMs, () => void this.#reconnect(), this.#random.next());
    const reapEvery = Math.max(probeIntervalMs, Math.min(deadReapMs, tombstoneTtlMs) / 10);
    this.#every(reapEvery, () => this.#reap(), 1);
    this.#schedulePushPull();
  }

  /** Run `task` every `ms`, the first time after `phase × ms`. */
  #every(ms: number, task: () => void, phase: number): void {
    const first = this.#clock.setTimeout(() => {
      this.#timers.delete(first);
      this.#timers.add(this.#clock.setInterval(task, ms));
      task();
    }, ms * phase);
    this.#timers.add(first);
  }

  /** Push-pull runs less often in big clusters: each exchange is O(n) bytes. */
  #schedulePushPull(): void {
    const n = this.#view.clusterSize();
    const scale = n <= 32 ? 1 : 1 + Math.log2(n / 32);
    const wait = this.#config.pushPullIntervalMs * scale * (0.5 + this.#random.next());
    const timer = this.#clock.setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#phase !== 'running') return;
      const ids = this.#table.livePeerIds();
      if (ids.length > 0) {
        const id = this.#pick(ids);
        void this.#exchanges.syncWith(this.#addressOf(id), false, id);
      }
      this.#schedulePushPull();
    }, wait);
    this.#timers.add(timer);
  }

  /** Gossip rounds run only while there is news, so an idle cluster has no gossip timers. */
  #armGossip(): void {
    if (this.#gossipTimer !== undefined || !this.#view.hasNews) return;
    if (this.#phase !== 'running' && this.#phase !== 'leaving') return;
    this.#gossipTimer = this.#clock.setTimeout(() => {
      this.#gossipTimer = undefined;
      this.#gossipRound();
      this.#armGossip();
    }, this.#config.gossipIntervalMs);
  }

  #gossipRound(): void {
    const ids = this.#table.livePeerIds();
    for (const id of pickDistinct(this.#random, ids, this.#config.gossipFanout)) {
      const updates = this.#view.piggyback();
      if (updates.length === 0) return;
      this.#transport
        .send(this.#addressOf(id), PROTOCOL.gossip, { updates })
        .catch(() => undefined); // loss is expected; retransmission covers it
    }
  }

  #reap(): void {
    const reaped = this.#table.reap(
      this.#clock.now(),
      this.#config.deadReapMs,
      this.#config.tombstoneTtlMs,
    );
    for (const member of reaped) this.#log.debug({ id: member.id }, 'reaped member');
  }

  // ---- probing -------------------------------------------------------------------------------

  async #probeNext(): Promise<void> {
    if (this.#probing || this.#phase !== 'running') return;
    const target = this.#order.next(
      () => this.#table.livePeerIds(),
      (id) => {
        const member = this.#table.get(id);
        return member !== undefined && isLive(member.state) ? member : undefined;
      },
    );
    if (target === undefined) return;
    this.#probing = true;
    try {
      const outcome = await probeMember<Member>(
        target,
        {
          direct: (m) => this.#exchanges.ping(m, this.#config.probeIntervalMs),
          indirect: (helper, m) => this.#exchanges.pingVia(helper, m),
          helpers: (m) => this.#helpersFor(m),
        },
        { clock: this.#clock, probeTimeoutMs: this.#config.probeTimeoutMs },
      );
      if (outcome === 'failed' && this.#phase === 'running') this.#view.suspectAfterProbe(target);
    } finally {
      this.#probing = false;
    }
  }

  #helpersFor(target: Member): Member[] {
    const ids = this.#table.livePeerIds();
    const helpers: Member[] = [];
    // A few random draws instead of filtering the whole list: cheap at any cluster size.
    for (const id of pickDistinct(this.#random, ids, this.#config.indirectChecks + 1)) {
      const member = this.#table.get(id);
      if (id !== target.id && member !== undefined && member.state === 'alive')
        helpers.push(member);
      if (helpers.length >= this.#config.indirectChecks) break;
    }
    return helpers;
  }

  /** Try one member believed dead: if it answers, the exchange heals a partition. */
  async #reconnect(): Promise<void> {
    if (this.#phase !== 'running') return;
    const dead = this.#table.deadIds();
    if (dead.length === 0) return;
    const member = this.#table.get(this.#pick(dead)) as Member;
    // A ping first: most dead members are really dead, and a full member list is O(n) bytes.
    if (!(await this.#exchanges.ping(member, this.#config.probeTimeoutMs))) return;
    if (await this.#exchanges.syncWith(member.address, false, member.id)) {
      this.#log.info({ id: member.id }, 'reached a member believed dead');
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  #addressOf(id: string): string {
    return (this.#table.get(id) as Member).address;
  }

  #pick(ids: readonly string[]): string {
    return ids[randomInt(this.#random, ids.length)] as string;
  }
}

/** Create a membership instance; call `start()` to join. */
export function createMembership(options: MembershipOptions): Membership {
  return new Membership(options);
}
