/**
 * `dfs-node <listen host:port> [peer host:port ...] [options]` — the start command (entered
 * through main.ts).
 *
 * stdout carries exactly one line, `ready <id> <address> api=<address>`, once the node accepts
 * traffic; logs go to stderr. Bad arguments: one line on stderr, exit 2; so is a `--replicas` that
 * differs from the cluster's (found after the join; logged, then a clean stop). SIGINT/SIGTERM:
 * graceful stop, exit 0 within 5 s (forced at 4.5 s if something hangs).
 */
import { parseArguments } from './cli/options.js';
import { DEFAULT_TUNABLES } from './config.js';
import { createLogger } from './logger.js';
import { startNode, type RunningNode } from './node.js';

async function main(): Promise<void> {
  const parsed = parseArguments(process.argv.slice(2), {
    env: process.env,
    // pnpm runs scripts inside apps/node; INIT_CWD is where the user typed the command.
    cwd: process.env.INIT_CWD || process.cwd(),
    stderrIsTty: process.stderr.isTTY === true,
  });
  if (parsed.kind === 'exit') {
    process.stdout.write(parsed.stdout);
    process.stderr.write(parsed.stderr);
    process.exitCode = parsed.code;
    return;
  }
  const { config } = parsed;
  const logger = await createLogger(config.logLevel, config.logFormat);

  // A signal during startup waits for the start to finish (or fail) and then closes the node, so
  // the data lock, store and index are released as on any other stop.
  let starting: Promise<RunningNode | undefined> = Promise.resolve(undefined);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    const began = performance.now();
    logger.info({ signal }, 'stopping');
    // The backstop, not the normal path: close() bounds every step well inside it. `path` in the
    // final log line says which way the process left (tests and operators check it).
    setTimeout(() => {
      logger.warn(
        { path: 'forced', ms: Math.round(performance.now() - began) },
        'shutdown took too long; exiting anyway',
      );
      process.exit(0);
    }, DEFAULT_TUNABLES.shutdown.forcedExitMs);
    // Deliberately not unref'd: it also keeps the process alive while close() waits on timers of
    // the (unref'd) system clock after every socket has closed; without it the event loop could
    // drain mid-shutdown and the process exit 0 before the last steps and the final log line.
    void starting
      .then(async (node) => {
        await node?.close();
        return node;
      })
      .then(
        (node) => {
          const report = node?.shutdownReport();
          logger.info(
            {
              path: 'graceful',
              ms: Math.round(performance.now() - began),
              overran: report?.overran ?? [],
            },
            'stopped',
          );
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error, path: 'error' }, 'error while stopping');
          process.exit(0);
        },
      );
  };
  // A bug that escapes every handler: record it in the log (not only as a raw stack on stderr),
  // then exit non-zero so a supervisor restarts the node; state on disk is crash-safe.
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception; exiting');
    process.exit(70);
  });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled rejection; exiting');
    process.exit(70);
  });
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  const started = startNode({ config, logger });
  starting = started.catch(() => undefined);
  let node: RunningNode;
  try {
    node = await started;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    logger.debug({ err: error }, 'start failed');
    process.stderr.write(`dfs-node: could not start: ${message}\n`);
    process.exit(stopping ? 0 : 1);
  }
  // Stopped while starting: stop() is closing the node; no ready line.
  if (stopping) return;
  // The node stopped itself (its --replicas differs from the cluster's; it logged why): exit with
  // the code it asked for once it has closed.
  void node.exitRequest.then((code) => {
    if (stopping) return;
    stopping = true;
    process.exit(code);
  });
  logger.info(
    {
      id: node.id,
      address: node.address,
      api: node.apiAddress,
      ...(node.s3Address === undefined ? {} : { s3: node.s3Address }),
      data: config.dataDir,
      incarnation: node.incarnation,
    },
    'ready',
  );
  const s3 = node.s3Address === undefined ? '' : ` s3=${node.s3Address}`;
  process.stdout.write(`ready ${node.id} ${node.address} api=${node.apiAddress}${s3}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`dfs-node: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
