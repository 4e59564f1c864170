/**
 * Keeps V8's young generation at its initial size (1 MiB semi-spaces) for the node's lifetime.
 *
 * Why: a body moving through a node allocates little JS but many Buffers (a socket read, a frame,
 * a store batch per 64 KiB), and a Buffer's memory is freed only when the scavenge that finds its
 * JS handle dead runs. By default V8 doubles the semi-spaces whenever enough survives scavenges —
 * which a long transfer always does — up to 16 MiB each. Measured on 3 nodes moving 512 MiB
 * (docs/performance.md, issue 13): that grows the young generation to 32 MiB of committed heap and
 * lets ~35 MiB of dead Buffers pile up between scavenges, so a node peaks at ~110–117 MiB RSS
 * against ~70–80 MiB idle. Pinned at 1 MiB, scavenges come ~16x as often (each still costs only
 * its survivors, a few in-flight chunks), peaks drop to ~84–91 MiB, and neither throughput nor
 * CPU per byte moved beyond the run-to-run noise.
 *
 * How: `--max-semi-space-size` only works on the command line, and a node is started many ways
 * (`node dist/main.js`, the `dfs-node` bin, `pnpm start`, tests). The growth factor, unlike the
 * size limits, is read each time V8 considers growing the space, so setting it at run time takes
 * effect — but only on growth still to come, and merely parsing the node's modules grows it to
 * 8 MiB semi-spaces, so main.ts calls this before it loads anything else. An operator who sizes
 * the young generation explicitly (`--max-semi-space-size`, in argv or NODE_OPTIONS) keeps their
 * choice.
 */
import v8 from 'node:v8';

/** V8 options that size the young generation; when one is given, we leave it alone. */
const SIZING_OPTIONS = /--((max|min)[-_])?semi[-_]space[-_](size|growth[-_]factor)/;

/**
 * Stops the young generation from growing, unless `execArgv` or `nodeOptions` already size it.
 * Returns whether it changed the setting.
 */
export function pinYoungGeneration(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env['NODE_OPTIONS'] ?? '',
): boolean {
  if (execArgv.some((arg) => SIZING_OPTIONS.test(arg)) || SIZING_OPTIONS.test(nodeOptions)) {
    return false;
  }
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  return true;
}
