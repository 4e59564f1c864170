#!/usr/bin/env node
/**
 * Rewrites the tunables table in docs/operations.md (between its `tunables` markers) from
 * src/config.ts, via the build in dist/. Run after changing a tunable:
 *
 *     pnpm --filter apps/node build && pnpm --filter apps/node docs:tunables
 *
 * test/config.test.ts fails while the table and the module differ.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderTunablesTable, TUNABLES_BEGIN, TUNABLES_END } from '../dist/config.js';

const doc = fileURLToPath(new URL('../../../docs/operations.md', import.meta.url));
const text = readFileSync(doc, 'utf8');
const begin = text.indexOf(TUNABLES_BEGIN);
const end = text.indexOf(TUNABLES_END);
if (begin < 0 || end < begin) {
  throw new Error(`${doc} has no ${TUNABLES_BEGIN} … ${TUNABLES_END} markers`);
}
const table = renderTunablesTable();
writeFileSync(
  doc,
  `${text.slice(0, begin + TUNABLES_BEGIN.length)}\n\n${table}\n\n${text.slice(end)}`,
);
execFileSync('npx', ['prettier', '--write', doc], { stdio: 'inherit' });
