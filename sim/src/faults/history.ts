/**
 * What the simulation records: every client operation with its outcome, and a trace of every event
 * in virtual time. The trace is the replay contract: the same seed and options give the same trace,
 * line for line (the runner prints its hash, and the determinism test compares whole traces).
 */
import type { Incarnation } from './incarnation.js';

export type OpKind = 'put' | 'delete' | 'read';

/**
 * `ok`: acknowledged. `failed`: the caller got an error. `noop`: a delete answered false (unknown
 * or already deleted). `unknown`: the node died before answering (the caller cannot know).
 */
export type OpOutcome = 'pending' | 'ok' | 'failed' | 'noop' | 'unknown';

export interface OpRecord {
  readonly id: number;
  readonly kind: OpKind;
  readonly node: string;
  readonly name: string;
  readonly startedAt: number;
  /** The life the op was issued to: an answer after it died is not an acknowledgement. */
  readonly life: Incarnation;
  /** put: sha256 of the body sent, and the body (small) so ranged reads can be checked. */
  readonly sha256?: string;
  readonly body?: Buffer;
  /** read: the byte range asked for, if any. */
  readonly range?: { start: number; end: number };
  outcome: OpOutcome;
  settledAt?: number;
  /** put: the version acknowledged; delete: the tombstone's version when it could be read back. */
  version?: string;
  /** read: sha256 of the bytes that arrived before a clean end (`version` is the one served). */
  readSha256?: string;
  /** put and read: the sha256 the node reported in its FileInfo. */
  infoSha256?: string;
  code?: string;
}

export class History {
  readonly ops: OpRecord[] = [];
  readonly trace: string[] = [];
  readonly #now: () => number;
  readonly #echo: ((line: string) => void) | undefined;
  readonly #start: number;

  constructor(now: () => number, echo?: (line: string) => void) {
    this.#now = now;
    this.#start = now();
    this.#echo = echo;
  }

  /** Virtual ms since the run started. */
  elapsed(): number {
    return this.#now() - this.#start;
  }

  note(line: string): void {
    const entry = `${String(this.elapsed()).padStart(7)} ${line}`;
    this.trace.push(entry);
    this.#echo?.(entry);
  }

  begin(op: Omit<OpRecord, 'id' | 'outcome' | 'startedAt'>): OpRecord {
    const record: OpRecord = {
      ...op,
      id: this.ops.length,
      outcome: 'pending',
      startedAt: this.elapsed(),
    };
    this.ops.push(record);
    const detail = op.sha256 === undefined ? '' : ` sha=${op.sha256.slice(0, 8)}`;
    this.note(`op#${record.id} ${op.kind} ${op.name} @${op.node}${detail}`);
    return record;
  }

  settle(op: OpRecord, outcome: Exclude<OpOutcome, 'pending'>, detail: Partial<OpRecord>): void {
    if (op.outcome !== 'pending') return;
    Object.assign(op, detail);
    op.outcome = !op.life.alive && outcome !== 'unknown' ? 'unknown' : outcome;
    op.settledAt = this.elapsed();
    const parts = [`op#${op.id} ${op.outcome}`];
    if (op.version !== undefined) parts.push(`v=${op.version}`);
    if (op.code !== undefined) parts.push(`code=${op.code}`);
    if (op.readSha256 !== undefined) parts.push(`read=${op.readSha256.slice(0, 8)}`);
    this.note(parts.join(' '));
  }

  /** Operations still unanswered whose node died: the caller can never know their outcome. */
  closeDeadOps(): void {
    for (const op of this.ops) {
      if (op.outcome === 'pending' && !op.life.alive) this.settle(op, 'unknown', {});
    }
  }
}
