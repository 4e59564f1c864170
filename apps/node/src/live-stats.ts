/**
 * This node's own figures for the live event stream's `stats` messages (`LiveStats`, docs/api.md):
 * what it holds, free disk, transfers in flight, its pull backlog and byte counters since start.
 * Read from the replication engine's stats, the HTTP byte counter and `fs.statfs` on the data
 * directory, all local and cheap.
 */
import { statfs } from 'node:fs/promises';
import type { LiveStats } from '@dfs/api';
import type { ReplicationStats } from '@dfs/replication';
import type { Clock } from '@dfs/transport';
import type { NodeMetrics } from './metrics.js';

export interface LiveStatsSources {
  dataDir: string;
  clock: Clock;
  /** When the node started (clock ms). */
  startedAt: number;
  files: { localStats(): { files: number; bytes: number }; stats(): ReplicationStats };
  metrics: Pick<NodeMetrics, 'httpBytes'>;
}

export async function readLiveStats(
  sources: LiveStatsSources,
): Promise<{ stats: LiveStats; underReplicated: number }> {
  const { files, metrics } = sources;
  const local = files.localStats();
  const replication = files.stats();
  const disk = await statfs(sources.dataDir);
  const http = await metrics.httpBytes.get();
  const httpBytes = (direction: string): number =>
    http.values.find((v) => v.labels.direction === direction)?.value ?? 0;
  return {
    stats: {
      files: local.files,
      bytes: local.bytes,
      diskFree: disk.bavail * disk.bsize,
      diskTotal: disk.blocks * disk.bsize,
      transfersIn: replication.activeTransfers,
      // Bodies served to peers are counted when they start only; in-flight serves are not kept.
      transfersOut: 0,
      backlog: replication.queuedTransfers,
      bytesIn: replication.bytesPulled + replication.bytesPushedIn + httpBytes('in'),
      bytesOut: replication.bytesServed + httpBytes('out'),
      uptime: Math.max(0, sources.clock.now() - sources.startedAt),
    },
    underReplicated: replication.underReplicatedFiles,
  };
}
