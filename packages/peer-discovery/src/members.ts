/**
 * The membership state machine: what this node believes about every member, and how a received
 * update changes that belief. No I/O and no timers: callers pass `now` in. This is the part whose
 * correctness everything else rests on, so it is small and property-tested.
 *
 * The merge is a join-semilattice. Every update for one member is ordered by (incarnation, state
 * rank, address) and the view keeps the greatest one seen. Taking a maximum is commutative,
 * associative and idempotent, so nodes that receive the same updates in any order, any number of
 * times, end with the same view. This order is exactly SWIM's precedence rules:
 *
 * - `alive(i)` overrides anything with a lower incarnation; only the member itself raises its
 *   incarnation, so only it can refute a suspicion or come back from the dead.
 * - `suspect(i)` overrides `alive(i)`; `dead(i)` overrides both; `left(i)` overrides `dead(i)` so a
 *   member that said goodbye is shown as left even if someone declared it dead meanwhile.
 * - The address only breaks ties, so a member's address changes together with a new incarnation.
 */

export type MemberState = 'alive' | 'suspect' | 'dead' | 'left';

export const MEMBER_STATES: readonly MemberState[] = ['alive', 'suspect', 'dead', 'left'];

const RANK: Readonly<Record<MemberState, number>> = { alive: 0, suspect: 1, dead: 2, left: 3 };

/** What one node claims about one member; the unit of gossip. */
export interface MemberUpdate {
  readonly id: string;
  readonly address: string;
  readonly state: MemberState;
  readonly incarnation: number;
}

/** One member as this node sees it. */
export interface Member extends MemberUpdate {
  /**
   * Local clock time of the last evidence this member was alive (an ack, a message, news). The one
   * field updated in place: a member object is a snapshot of its state, incarnation and address
   * (any change of those makes a new object), while `lastSeen` stays current.
   */
  readonly lastSeen: number;
  /** Local clock time this member's state last changed here; drives reaping. */
  readonly since: number;
}

/** Negative when `a` is older than `b`, positive when newer, 0 when the same claim. */
export function compareUpdates(a: MemberUpdate, b: MemberUpdate): number {
  if (a.incarnation !== b.incarnation) return a.incarnation < b.incarnation ? -1 : 1;
  const rank = RANK[a.state] - RANK[b.state];
  if (rank !== 0) return rank;
  return a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
}

/** True when `update` would change a view that currently holds `current`. */
export function supersedes(update: MemberUpdate, current: MemberUpdate | undefined): boolean {
  return current === undefined || compareUpdates(update, current) > 0;
}

export function isLive(state: MemberState): boolean {
  return state === 'alive' || state === 'suspect';
}

/** The table's own copy: `lastSeen` is the one field it changes in place. */
type MemberRecord = { -readonly [K in keyof Member]: Member[K] };

export interface MergeResult {
  /** The member after the merge. */
  readonly member: Member;
  /** What it was before, when known (a reaped member's tombstone counts as known). */
  readonly previous: Member | undefined;
  /** True when the visible member was absent or reaped before this update. */
  readonly added: boolean;
}

/**
 * The view: visible members plus tombstones of reaped ones. A tombstone keeps a reaped member's
 * last claim so that older gossip about it changes nothing; only a newer incarnation re-adds it.
 * The local member is tracked like any other.
 */
export class MemberTable {
  /** The local member's id: tracked like the others, but never one of its own peers. */
  readonly selfId: string;
  readonly #visible = new Map<string, MemberRecord>();
  readonly #tombstones = new Map<string, MemberRecord>();
  /** Cached `livePeers()`; dropped on any change of state (not on a new `lastSeen`). */
  #livePeers: Member[] | undefined;
  /**
   * Ids of live peers, kept incrementally (swap-remove through `#livePeerIndex`): hot paths such as
   * choosing gossip targets read it many times per probe period, while states change constantly
   * in a large cluster, so neither rebuilding nor caching it would be cheap.
   */
  readonly #livePeerIds = new IdList();
  /** Ids of visible dead members (reconnect picks from them), kept the same way. */
  readonly #deadIds = new IdList();
  #version = 0;
  /** Live members, self included; kept incrementally because cluster size is read constantly. */
  #liveCount = 0;

  constructor(selfId: string) {
    this.selfId = selfId;
  }

  /**
   * Merge one update. Returns undefined when it changes nothing (the claim is not newer than what
   * is known), which is also the signal to stop gossiping it.
   */
  apply(update: MemberUpdate, now: number): MergeResult | undefined {
    const visible = this.#visible.get(update.id);
    const known = visible ?? this.#tombstones.get(update.id);
    if (!supersedes(update, known)) return undefined;
    const alive = isLive(update.state);
    const member: MemberRecord = {
      id: update.id,
      address: update.address,
      state: update.state,
      incarnation: update.incarnation,
      lastSeen: alive ? now : (known?.lastSeen ?? now),
      since: known !== undefined && known.state === update.state ? known.since : now,
    };
    if (visible === undefined) this.#tombstones.delete(update.id);
    const wasAlive = visible !== undefined && isLive(visible.state);
    this.#liveCount += (alive ? 1 : 0) - (wasAlive ? 1 : 0);
    if (update.id !== this.selfId) {
      if (alive) this.#livePeerIds.add(update.id);
      else this.#livePeerIds.delete(update.id);
      if (update.state === 'dead') this.#deadIds.add(update.id);
      else this.#deadIds.delete(update.id);
    }
    this.#visible.set(update.id, member);
    this.#changed();
    return { member, previous: known, added: visible === undefined };
  }

  /** Record evidence that a member is alive without changing its state. */
  touch(id: string, now: number): void {
    const member = this.#visible.get(id);
    // In place: acks arrive constantly, and a new object each time would also void every cache.
    if (member !== undefined && member.lastSeen < now) member.lastSeen = now;
  }

  get(id: string): Member | undefined {
    return this.#visible.get(id);
  }

  /** The latest claim known about `id`, including a reaped member's tombstone. */
  known(id: string): Member | undefined {
    return this.#visible.get(id) ?? this.#tombstones.get(id);
  }

  get size(): number {
    return this.#visible.size;
  }

  /** Alive and suspect members, self included: the cluster size the protocol scales with. */
  get liveCount(): number {
    return this.#liveCount;
  }

  /** Bumped on every change; lets callers cache derived lists. */
  get version(): number {
    return this.#version;
  }

  all(): Member[] {
    return [...this.#visible.values()];
  }

  /** Alive and suspect members but self (a suspect may well be alive), as a shared array. */
  livePeers(): readonly Member[] {
    this.#livePeers ??= [...this.#visible.values()].filter(
      (m) => isLive(m.state) && m.id !== this.selfId,
    );
    return this.#livePeers;
  }

  /** The ids of `livePeers()`, in no particular order. A live view: copy it to keep it. */
  livePeerIds(): readonly string[] {
    return this.#livePeerIds.items;
  }

  /** Ids of visible members in state dead, in no particular order. A live view. */
  deadIds(): readonly string[] {
    return this.#deadIds.items;
  }

  /** Every visible member as an update, e.g. for a full-state exchange. */
  updates(): MemberUpdate[] {
    const out: MemberUpdate[] = [];
    for (const m of this.#visible.values()) {
      out.push({ id: m.id, address: m.address, state: m.state, incarnation: m.incarnation });
    }
    return out;
  }

  /**
   * Move dead and left members whose state is older than `reapAfterMs` to tombstones, and forget
   * tombstones older than `tombstoneTtlMs`. Returns the members reaped now.
   */
  reap(now: number, reapAfterMs: number, tombstoneTtlMs: number): Member[] {
    const reaped: Member[] = [];
    for (const member of this.#visible.values()) {
      if (isLive(member.state) || now - member.since < reapAfterMs) continue;
      this.#visible.delete(member.id);
      this.#deadIds.delete(member.id);
      this.#tombstones.set(member.id, { ...member, since: now });
      reaped.push(member);
    }
    for (const tombstone of this.#tombstones.values()) {
      if (now - tombstone.since >= tombstoneTtlMs) this.#tombstones.delete(tombstone.id);
    }
    if (reaped.length > 0) this.#changed();
    return reaped;
  }

  #changed(): void {
    this.#livePeers = undefined;
    this.#version++;
  }
}

/** A set of ids that is also an array (for O(1) random choice), with O(1) add and delete. */
class IdList {
  readonly items: string[] = [];
  readonly #index = new Map<string, number>();

  add(id: string): void {
    if (this.#index.has(id)) return;
    this.#index.set(id, this.items.length);
    this.items.push(id);
  }

  delete(id: string): void {
    const at = this.#index.get(id);
    if (at === undefined) return;
    const last = this.items.pop() as string;
    this.#index.delete(id);
    if (last !== id) {
      this.items[at] = last;
      this.#index.set(last, at);
    }
  }
}
