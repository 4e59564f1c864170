#!/usr/bin/env node
/** Placeholder start command: parses `<listen host:port> [peer host:port ...]` and prints it. */
const args = process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--'));
const addr = /^[^\s:]+:\d{1,5}$/;
if (args.length === 0 || !args.every((a) => addr.test(a))) {
  process.stderr.write('usage: dfs-node <listen host:port> [peer host:port ...]\n');
  process.exit(2);
}
const [listen, ...peers] = args;
process.stdout.write(JSON.stringify({ listen, peers }) + '\n');
