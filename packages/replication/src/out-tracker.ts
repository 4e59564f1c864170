/**
 * Who is up, who is down since when, and who is out (docs: design/partial-replication.md §2).
 *
 * Up means SWIM alive or suspect; this node is always up. A member with a row that is dead, left or
 * missing from the SWIM view is *down* from the first local moment it was seen so (rows loaded at
 * start count from then). A member down continuously for `outAfterMs` is marked *out* — but only
 * while the brake is off: while fewer than `minUpRatio` of the members that are not out (nor
 * removed) are up, nothing is marked out, so a partition or a mass failure moves no data. A member
 * that comes back up is in again at once.
 *
 * Times are the local clock's: a peer cannot make anything go out sooner.
 */

export type SwimState = 'alive' | 'suspect' | 'dead' | 'left';

export interface OutTrackerOptions {
  readonly selfId: string;
  readonly outAfterMs: number;
  readonly minUpRatio: number;
}

export class OutTracker {
  private readonly options: OutTrackerOptions;
  private swim = new Map<string, SwimState>();
  private readonly downSince = new Map<string, number>();
  private readonly out = new Set<string>();
  private brake = false;

  constructor(options: OutTrackerOptions) {
    this.options = options;
  }

  /** Replaces the SWIM view (every member SWIM knows, with its state). */
  setView(members: Iterable<{ id: string; state: SwimState }>): void {
    const view = new Map<string, SwimState>();
    for (const member of members) view.set(member.id, member.state);
    this.swim = view;
  }

  isUp(id: string): boolean {
    if (id === this.options.selfId) return true;
    const state = this.swim.get(id);
    return state === 'alive' || state === 'suspect';
  }

  /** Ids SWIM reports up (this node included). */
  upIds(): string[] {
    const ids = [this.options.selfId];
    for (const [id, state] of this.swim) {
      if (id !== this.options.selfId && (state === 'alive' || state === 'suspect')) ids.push(id);
    }
    return ids;
  }

  isOut(id: string): boolean {
    return this.out.has(id);
  }

  downSinceOf(id: string): number | undefined {
    return this.downSince.get(id);
  }

  /** True while the brake holds (as of the last `update`). */
  get paused(): boolean {
    return this.brake;
  }

  /**
   * Brings the down clocks up to date for the members with rows (`ids`; removed ones excluded),
   * then marks out those down for `outAfterMs` if the brake allows it.
   */
  update(ids: readonly string[], now: number): void {
    const current = new Set(ids);
    for (const id of this.downSince.keys()) if (!current.has(id)) this.downSince.delete(id);
    for (const id of this.out) if (!current.has(id)) this.out.delete(id);
    for (const id of ids) {
      if (this.isUp(id)) {
        this.downSince.delete(id);
        this.out.delete(id);
      } else if (!this.downSince.has(id)) {
        this.downSince.set(id, now);
      }
    }
    this.brake = this.brakeHolds(ids);
    if (this.brake) return;
    for (const id of ids) {
      const since = this.downSince.get(id);
      if (since !== undefined && now - since >= this.options.outAfterMs) this.out.add(id);
    }
  }

  private brakeHolds(ids: readonly string[]): boolean {
    let members = 0;
    let up = 0;
    for (const id of ids) {
      if (this.out.has(id)) continue;
      members++;
      if (this.isUp(id)) up++;
    }
    return members > 0 && up / members < this.options.minUpRatio;
  }
}
