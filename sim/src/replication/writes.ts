/**
 * The replication scenario's client side: seeded puts and deletes issued to chosen nodes without
 * waiting for each other, each outcome recorded, and the check that the newest acknowledged write
 * of every name is what every node ends up agreeing on ("last acknowledged version wins").
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ReplicationEngine } from '@dfs/replication';
import { randomInt, type Random } from '@dfs/transport';

export interface PlannedWrite {
  kind: 'put' | 'delete';
  name: string;
  body: Buffer;
}

export interface AcknowledgedWrite {
  kind: 'put' | 'delete';
  name: string;
  /** The version the write created (for a delete: read back at once; undefined if already replaced). */
  version: string | undefined;
  /** sha256 of the body (puts). */
  sha256: string;
}

/** Every write's outcome, filled in as the engines answer. */
export class WriteLog {
  readonly acknowledged: AcknowledgedWrite[] = [];
  issued = 0;
  failed = 0;
  /** Deletes of a name the node did not know (or already deleted): nothing written. */
  noops = 0;

  get pending(): number {
    return this.issued - this.acknowledged.length - this.failed - this.noops;
  }
}

/**
 * One write: a put (80 %) of a body of `minBytes`..`maxBytes` random bytes to one of `names` names,
 * or a delete of a name already written (`written`; a put when none is), so deletes delete.
 */
export function planWrite(
  random: Random,
  names: number,
  body: { minBytes: number; maxBytes: number },
  written: Set<string>,
): PlannedWrite {
  const roll = random.next();
  const pick = randomInt(random, 1 << 30);
  if (roll >= 0.8 && written.size > 0) {
    return {
      kind: 'delete',
      name: [...written][pick % written.size] as string,
      body: Buffer.alloc(0),
    };
  }
  const name = `file-${pick % names}`;
  written.add(name);
  const size = body.minBytes + randomInt(random, body.maxBytes - body.minBytes + 1);
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = randomInt(random, 256);
  return { kind: 'put', name, body: bytes };
}

const sha256Of = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Starts `write` on `engine` (node `nodeId`) and records its outcome in `log` when it settles. */
export function issueWrite(
  engine: ReplicationEngine,
  nodeId: string,
  write: PlannedWrite,
  log: WriteLog,
): void {
  log.issued++;
  const failed = (): void => {
    log.failed++;
  };
  if (write.kind === 'put') {
    const sha256 = sha256Of(write.body);
    engine.put(write.name, Readable.from([write.body])).then((info) => {
      log.acknowledged.push({ kind: 'put', name: write.name, version: info.version, sha256 });
    }, failed);
    return;
  }
  engine.delete(write.name).then((deleted) => {
    if (!deleted) {
      log.noops++;
      return;
    }
    // The tombstone's version, read back at once (the version ends in the writer's id).
    const now = engine.describe(write.name);
    const mine = now?.deleted === true && now.version.endsWith(`.${nodeId}`);
    log.acknowledged.push({
      kind: 'delete',
      name: write.name,
      version: mine ? now.version : undefined,
      sha256: '',
    });
  }, failed);
}

/** What one node's index says about a name (the view the convergence check compares). */
export interface FinalEntry {
  version: string;
  deleted: boolean;
  sha256: string;
}

export interface LostWrite {
  name: string;
  detail: string;
}

/**
 * Checks the agreed final state against the acknowledged writes: every name ends exactly at its
 * newest acknowledged version, with that write's bytes or tombstone. (Nothing in this scenario
 * crashes, so a version no client saw acknowledged winning is a violation too.)
 */
export function checkLastAcknowledgedWins(
  log: WriteLog,
  final: (name: string) => FinalEntry | undefined,
): LostWrite[] {
  const newest = new Map<string, AcknowledgedWrite>();
  for (const write of log.acknowledged) {
    if (write.version === undefined) continue;
    const current = newest.get(write.name);
    if (current?.version === undefined || current.version < write.version) {
      newest.set(write.name, write);
    }
  }
  const lost: LostWrite[] = [];
  for (const [name, write] of newest) {
    const entry = final(name);
    if (entry === undefined) {
      lost.push({
        name,
        detail: `acknowledged ${write.kind} ${write.version} but no node knows it`,
      });
    } else if (entry.version !== write.version) {
      lost.push({
        name,
        detail: `final version ${entry.version}, newest acknowledged ${write.kind} ${write.version}`,
      });
    } else if (entry.deleted !== (write.kind === 'delete')) {
      lost.push({
        name,
        detail: `final ${entry.deleted ? 'tombstone' : 'body'} at ${write.version}`,
      });
    } else if (write.kind === 'put' && entry.sha256 !== write.sha256) {
      lost.push({ name, detail: `final sha256 ${entry.sha256}, acknowledged ${write.sha256}` });
    }
  }
  return lost;
}
