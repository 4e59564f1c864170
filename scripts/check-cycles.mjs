#!/usr/bin/env node
// Fails when source files import each other in a circle (type-only imports count too: a cycle of
// types is still two files that cannot be read apart). Scans every workspace package's src/ and
// test/ for relative imports, resolves them to files and reports each strongly connected group.
// Cross-package imports go through package exports and cannot form file cycles, so they are skipped.
// Usage: node scripts/check-cycles.mjs [root]   (run by `pnpm lint`; takes well under a second)
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
const SOURCE = /\.(ts|tsx|mts|js|mjs)$/;
const SKIP = new Set(['node_modules', 'dist', '.turbo', 'coverage', 'results']);

function workspaceDirs() {
  const dirs = [];
  for (const group of ['packages', 'apps']) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base)) dirs.push(join(base, name));
  }
  for (const single of ['e2e', 'bench', 'sim']) dirs.push(join(root, single));
  return dirs.flatMap((dir) => ['src', 'test'].map((sub) => join(dir, sub))).filter(existsSync);
}

function sourceFiles(dir, out = []) {
  for (const entry of readdirSync(dir)) {
    if (SKIP.has(entry)) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (SOURCE.test(entry) && !entry.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

// Comment lines are dropped first so an example in a doc comment is not taken for an import.
const COMMENT_LINE = /^\s*(\/\/|\/?\*).*$/gm;
const SPECIFIERS = [
  /\b(?:import|export)\s[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/g,
  /\bimport\s*['"]([^'"]+)['"]/g,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
];

function resolveImport(from, specifier) {
  const base = resolve(dirname(from), specifier);
  const candidates = [
    base,
    base.replace(/\.js$/, '.ts'),
    base.replace(/\.mjs$/, '.mts'),
    `${base}.ts`,
    join(base, 'index.ts'),
  ];
  return candidates.find((path) => existsSync(path) && statSync(path).isFile());
}

function importsOf(file) {
  const text = readFileSync(file, 'utf8').replace(COMMENT_LINE, '');
  const targets = new Set();
  for (const pattern of SPECIFIERS) {
    for (const match of text.matchAll(pattern)) {
      const specifier = match[1];
      if (!specifier.startsWith('.')) continue;
      const target = resolveImport(file, specifier);
      if (target !== undefined) targets.add(target);
    }
  }
  return [...targets];
}

/** Tarjan's strongly connected components, iteratively (no recursion limit on long chains). */
function cycles(graph) {
  let next = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const found = [];
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work = [[start, 0]];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const [node, edge] = frame;
      const edges = graph.get(node) ?? [];
      if (edge < edges.length) {
        frame[1] += 1;
        const target = edges[edge];
        if (!index.has(target)) {
          index.set(target, next);
          low.set(target, next++);
          stack.push(target);
          onStack.add(target);
          work.push([target, 0]);
        } else if (onStack.has(target)) {
          low.set(node, Math.min(low.get(node), index.get(target)));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1][0];
        low.set(parent, Math.min(low.get(parent), low.get(node)));
      }
      if (low.get(node) === index.get(node)) {
        const component = [];
        let member;
        do {
          member = stack.pop();
          onStack.delete(member);
          component.push(member);
        } while (member !== node);
        const selfLoop = (graph.get(node) ?? []).includes(node);
        if (component.length > 1 || selfLoop) found.push(component.sort());
      }
    }
  }
  return found;
}

const graph = new Map();
for (const dir of workspaceDirs()) {
  for (const file of sourceFiles(dir)) graph.set(file, importsOf(file));
}
const found = cycles(graph);
if (found.length === 0) {
  console.log(`check-cycles: no import cycles in ${graph.size} files`);
} else {
  for (const component of found) {
    console.error(`check-cycles: these files import each other in a circle:`);
    for (const file of component) {
      const inCycle = graph.get(file).filter((target) => component.includes(target));
      const names = inCycle.map((target) => relative(dirname(file), target)).join(', ');
      console.error(`  ${relative(root, file)} -> ${names}`);
    }
  }
  console.error(
    `check-cycles: ${found.length} cycle(s); move what the files share into one both import`,
  );
  process.exit(1);
}
