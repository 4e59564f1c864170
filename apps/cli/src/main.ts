#!/usr/bin/env node
process.stdout.write('dfs: not yet implemented\n');
