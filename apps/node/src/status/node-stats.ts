/**
 * What this node says about itself in `GET /v1/status` (`NodeStats`): files and bytes it holds,
 * free and total disk of its data directory's filesystem, transfers in flight and queued, byte
 * counters since start, and uptime. Read from the parts that already count these: the replication
 * engine (files, transfers, backlog), the peer transport and the HTTP front (bytes), `statfs` (disk).
 */
import { statfs } from 'node:fs/promises';
import type { NodeStats } from '@dfs/api';
import type { Clock } from '@dfs/transport';

export interface NodeStatsSources {
  /** The data directory (its filesystem is the one that fills up). */
  dataDir: string;
  clock: Clock;
  /** `clock.now()` when the node started. */
  startedAt: number;
  localStats(): { files: number; bytes: number };
  replication(): { activeTransfers: number; queuedTransfers: number; servesInFlight: number };
  /** Peer-protocol bytes on the wire since start. */
  transportBytes(): { bytesIn: number; bytesOut: number };
  /** File body bytes through the HTTP API since start. */
  httpBytes(): { in: number; out: number };
}

/** Returns a reader of this node's stats; each call reads fresh values (one `statfs`). */
export function nodeStatsReader(sources: NodeStatsSources): () => Promise<NodeStats> {
  return async () => {
    const disk = await statfs(sources.dataDir);
    const local = sources.localStats();
    const replication = sources.replication();
    const wire = sources.transportBytes();
    const http = sources.httpBytes();
    return {
      files: local.files,
      bytes: local.bytes,
      diskFree: whole(disk.bavail * disk.bsize),
      diskTotal: whole(disk.blocks * disk.bsize),
      // Pushes received run in the same transfer queue as pulls, so `activeTransfers` counts both.
      transfersIn: replication.activeTransfers,
      transfersOut: replication.servesInFlight,
      backlog: replication.queuedTransfers,
      bytesIn: whole(wire.bytesIn + http.in),
      bytesOut: whole(wire.bytesOut + http.out),
      uptime: whole(sources.clock.now() - sources.startedAt),
    };
  };
}

/** A whole number in 0…MAX_SAFE_INTEGER, as the schema wants (a filesystem may report more). */
function whole(n: number): number {
  if (!Number.isFinite(n) || n < 0) return 0;
  return Math.min(Math.floor(n), Number.MAX_SAFE_INTEGER);
}
