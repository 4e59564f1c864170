#!/usr/bin/env node
// Sums the vitest JSON reports every workspace package wrote (test-results.json) into one closing
// line, "N passed, N failed, N skipped", and exits 1 when any test failed or a package that has a
// test script wrote no report (its run crashed before reporting).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const listing = execFileSync('pnpm', ['-r', 'ls', '--depth', '-1', '--json'], {
  cwd: root,
  encoding: 'utf8',
});
const projects = JSON.parse(listing);
const extra = (flag) => {
  const i = process.argv.indexOf(flag);
  return i < 0 ? 0 : Number(process.argv[i + 1]);
};
let passed = extra('--extra-passed');
let failed = extra('--extra-failed');
let skipped = 0;
const missing = [];
for (const project of projects) {
  if (join(project.path, '/') === join(root, '/')) continue; // the root's test script is turbo itself
  const manifest = JSON.parse(readFileSync(join(project.path, 'package.json'), 'utf8'));
  if (!manifest.scripts?.test) continue;
  const report = join(project.path, 'test-results.json');
  if (!existsSync(report)) {
    missing.push(project.name);
    continue;
  }
  const result = JSON.parse(readFileSync(report, 'utf8'));
  passed += result.numPassedTests;
  failed += result.numFailedTests;
  skipped += result.numPendingTests + (result.numTodoTests ?? 0);
  if (!result.success && result.numFailedTests === 0) failed += 1; // a suite failed to load
  process.stdout.write(
    `  ${project.name}: ${result.numPassedTests} passed, ${result.numFailedTests} failed\n`,
  );
}
for (const name of missing)
  process.stdout.write(`  ${name}: no test report (the run did not finish)\n`);
process.stdout.write(`${passed} passed, ${failed + missing.length} failed, ${skipped} skipped\n`);
process.exit(failed + missing.length > 0 ? 1 : 0);
