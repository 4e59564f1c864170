#!/usr/bin/env node
// The `dfs` bin: run the CLI against the real process, then exit with its code once stdout has
// drained (idle keep-alive sockets must not hold the process open). `dfs --version` alone answers
// before even the argument parser loads: it is what scripts and shells call most to probe for dfs.
import { readVersion } from './version.js';

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${readVersion()}\n`, () => process.exit(0));
} else {
  await run();
}

async function run(): Promise<void> {
  const [{ runCli }, { processIo }] = await Promise.all([import('./cli.js'), import('./io.js')]);

  // A reader that went away (`dfs get x - | head`) is not an error worth a stack trace.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });

  // The first Ctrl-C aborts the transfer so temporary files are removed; a second one exits at once.
  const interrupt = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (interrupt.signal.aborted) process.exit(130);
      interrupt.abort(new Error(`${signal} received`));
    });
  }

  const code = await runCli(args, processIo(interrupt.signal));
  process.stdout.write('', () => process.exit(code));
}
