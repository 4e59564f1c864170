#!/usr/bin/env node
// Writes the first ```js block of each package README to <out>/<package>.mjs, so pack-check can run
// every README example against the packed tarballs: a README whose example no longer runs fails CI.
// An example that needs running nodes says so on its first line ("// Needs running nodes") and is
// skipped; that package covers its example with a smoke program in scripts/pack-smoke instead.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [packagesDir, outDir] = process.argv.slice(2);
mkdirSync(outDir, { recursive: true });
for (const name of readdirSync(packagesDir)) {
  let readme;
  try {
    readme = readFileSync(join(packagesDir, name, 'README.md'), 'utf8');
  } catch {
    continue;
  }
  const match = /```js\n([\s\S]*?)```/.exec(readme);
  if (match && !match[1].startsWith('// Needs running nodes'))
    writeFileSync(join(outDir, `${name}.mjs`), match[1]);
}
