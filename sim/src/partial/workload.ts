/**
 * The partial replication scenario's client side: seeded puts of bodies of random sizes at chosen
 * nodes (recorded in a WriteLog, issued with replication/writes.ts's `issueWrite`), GETs from
 * random live nodes checked against the indexed sha256, and the settle check (every live file on
 * exactly its R targets, nothing anywhere else).
 */
import { createHash } from 'node:crypto';
import { randomInt, type Random } from '@dfs/transport';
import { drive } from '../faults/runner.js';
import { issueWrite, type WriteLog } from '../replication/writes.js';
import { tally, type PartialCluster } from './cluster.js';

export interface Written {
  name: string;
  size: number;
  /** When the put was issued (virtual ms). */
  at: number;
}

export class Workload {
  readonly names = new Set<string>();
  readonly #cluster: PartialCluster;
  readonly #random: Random;
  readonly #log: WriteLog;
  readonly #sizes: { min: number; max: number };
  #next = 0;

  constructor(
    cluster: PartialCluster,
    random: Random,
    log: WriteLog,
    sizes: { min: number; max: number },
  ) {
    this.#cluster = cluster;
    this.#random = random;
    this.#log = log;
    this.#sizes = sizes;
  }

  get log(): WriteLog {
    return this.#log;
  }

  /** A put of a new name (or of `name`) at node `at` (default: a random up node). */
  put(at?: number, name?: string): Written {
    const up = this.#cluster.upIndexes();
    const index = at ?? up[randomInt(this.#random, up.length)]!;
    const target = name ?? `file-${this.#next++}`;
    const size = this.#sizes.min + randomInt(this.#random, this.#sizes.max - this.#sizes.min + 1);
    const body = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4)
      body.writeUInt32LE(randomInt(this.#random, 2 ** 32) >>> 0, Math.min(i, size - 4));
    this.names.add(target);
    issueWrite(
      this.#cluster.engine(index),
      this.#cluster.nodes[index]!.id,
      { kind: 'put', name: target, body },
      this.#log,
    );
    return { name: target, size, at: this.#cluster.clock.now() };
  }

  /** `count` puts `everyMs` apart, each at a node `pick` chooses (default: any up node). */
  async puts(
    count: number,
    everyMs: number,
    pick?: () => number,
    name?: () => string,
  ): Promise<Written[]> {
    const out: Written[] = [];
    for (let i = 0; i < count; i++) {
      out.push(this.put(pick?.(), name?.()));
      // Whole milliseconds, as a wall clock gives: a placement's nodes-table stamps must be integers.
      await this.#cluster.clock.advance(Math.round(everyMs));
    }
    return out;
  }

  /** `count` new names (`prefix-0`, …) whose targets per `placement` include node `id`. */
  namesTargeting(
    id: string,
    count: number,
    placement: PartialCluster['placements'][number],
    prefix: string,
  ): string[] {
    const names: string[] = [];
    for (let i = 0; names.length < count; i++) {
      const name = `${prefix}-${i}`;
      if (placement.targets(name).includes(id)) names.push(name);
    }
    return names;
  }

  /** A name written so far, at random. */
  anyName(): string {
    const names = [...this.names];
    return names[randomInt(this.#random, names.length)]!;
  }

  /** Runs until every put answered; false if some are still pending after `timeoutMs`. */
  async acknowledged(timeoutMs: number): Promise<boolean> {
    return (await this.#cluster.until(() => this.#log.pending === 0, timeoutMs)) !== undefined;
  }

  /** Every live file on exactly its R targets (per `reference`) and on no other up node. */
  settled(reference: number): boolean {
    const t = tally(this.#cluster.copies(reference, this.names), this.#cluster.options.replicas);
    return t.exact === t.files;
  }

  /** `count` GETs of random live names from random up nodes; how many returned the right bytes. */
  async gets(count: number, reference: number): Promise<number> {
    const up = this.#cluster.upIndexes();
    const live = [...this.names].filter(
      (n) => this.#cluster.engine(reference).describe(n)?.deleted === false,
    );
    let ok = 0;
    const reads: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const engine = this.#cluster.engine(up[randomInt(this.#random, up.length)]!);
      const name = live[randomInt(this.#random, live.length)]!;
      const read = async (): Promise<void> => {
        const { info, stream } = await engine.read(name);
        const hash = createHash('sha256');
        for await (const chunk of stream as AsyncIterable<Buffer>) hash.update(chunk);
        if (hash.digest('hex') === info.sha256) ok++;
      };
      reads.push(read().catch(() => undefined));
    }
    await drive(this.#cluster.clock, Promise.all(reads), 60_000);
    return ok;
  }
}
