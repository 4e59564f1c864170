#!/usr/bin/env node
// The `dfs` bin: run the CLI against the real process, then exit with its code once stdout has
// drained (idle keep-alive sockets must not hold the process open).
import { runCli } from './cli.js';
import { processIo } from './io.js';

// A reader that went away (`dfs get x - | head`) is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const code = await runCli(process.argv.slice(2), processIo());
process.stdout.write('', () => process.exit(code));
