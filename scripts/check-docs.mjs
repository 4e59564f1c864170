#!/usr/bin/env node
// Keeps the docs true as code moves. In every Markdown file it checks:
// - each backticked path (`packages/store/src/store.ts`, `src/engine.ts`, `scripts/x.mjs`) names a
//   file or folder that exists: from the repository root, from the Markdown file's folder, or (for
//   a short path such as `test/cluster.ts`) as the end of some file's path in the repository;
// - each backticked bare file name (`decide.ts`) is the name of some file in the repository;
// - each relative link ([api.md](api.md)) points at a file that exists, and no link leaves the
//   repository (http, https);
// - in docs/architecture.md's walk of one PUT, each backticked call (`putFile()`,
//   `FileIndex.set()`, `SharedListener.#sniff()`) is found in a file named in the same step;
// - docs/architecture.md's package graph lists every workspace package with exactly the @dfs
//   packages its package.json depends on (and, in parentheses, those only its tests use).
// Usage: node scripts/check-docs.mjs [root]   (run by `pnpm lint`; takes well under a second)
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
const SKIP = new Set([
  'node_modules',
  'dist',
  '.turbo',
  'coverage',
  'results',
  '.git',
  '.dfs-data',
]);
/** Names the docs mention that exist only once something ran or the reader made them. */
const GENERATED = new Set(['test-results.json', 'example.mjs']);
/** The section whose calls are checked against the files named beside them. */
const WALK = { file: 'docs/architecture.md', heading: '## One PUT, from the socket to every disk' };

function walk(dir, out = []) {
  for (const entry of readdirSync(dir)) {
    if (SKIP.has(entry)) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(relative(root, path).split('\\').join('/'));
  }
  return out;
}

const files = walk(root);
const names = new Set(files.map((f) => basename(f)));
const markdown = files.filter(
  (f) => f.endsWith('.md') && !f.startsWith('.changeset/') && !basename(f).startsWith('CHANGELOG'),
);

const FILE_EXT = /\.(ts|mts|mjs|js|json|md|sh|yml|yaml)$/;
const PATH = /^\.?[A-Za-z0-9_@.-]+(\/[A-Za-z0-9_@.*-]+)+\/?$/;
const BARE_FILE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\.(ts|mts|mjs|md|sh)$/;
const CALL = /^[#A-Za-z_$][\w$]*(\.#?[\w$]+)*\(\)$/;

/**
 * Inline code spans outside code blocks (fenced, or indented outside a list), each with its line
 * number.
 */
function codeSpans(text) {
  const spans = [];
  let fenced = false;
  let inList = false;
  text.split('\n').forEach((line, i) => {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (/^\s*([-*+]|\d+\.)\s/.test(line)) inList = true;
    else if (/^\S/.test(line)) inList = false;
    if (fenced || (!inList && /^( {4}|\t)/.test(line))) return;
    for (const match of line.matchAll(/`([^`]+)`/g)) spans.push({ code: match[1], line: i + 1 });
  });
  return spans;
}

function pathExists(code, mdFile) {
  const path = code.replace(/\/$/, '');
  if (path.includes('*')) return true; // a glob, not a file
  // Build and bench output (`apps/node/dist/main.js`, `bench/results/…`) exists only after a run.
  if (path.split('/').some((segment) => SKIP.has(segment))) return true;
  if (existsSync(join(root, path)) || existsSync(join(root, dirname(mdFile), path))) return true;
  return files.some((f) => f.endsWith(`/${path}`) || f.startsWith(`${path}/`));
}

const problems = [];
const checked = { paths: 0, calls: 0 };

for (const mdFile of markdown) {
  const text = readFileSync(join(root, mdFile), 'utf8');
  for (const { code, line } of codeSpans(text)) {
    const where = `${mdFile}:${line}`;
    if (PATH.test(code) && (FILE_EXT.test(code) || code.endsWith('/'))) {
      checked.paths++;
      if (!pathExists(code, mdFile)) problems.push(`${where}: no such path \`${code}\``);
    } else if (BARE_FILE.test(code) && !GENERATED.has(code) && !names.has(code)) {
      problems.push(`${where}: no file named \`${code}\``);
    }
  }
  for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = match[1];
    const line = text.slice(0, match.index).split('\n').length;
    if (/^[a-z]+:/i.test(target)) {
      problems.push(`${mdFile}:${line}: link leaves the repository: ${target}`);
      continue;
    }
    const path = target.split('#')[0];
    if (path !== '' && !existsSync(join(root, dirname(mdFile), path))) {
      problems.push(`${mdFile}:${line}: broken link ${target}`);
    }
  }
}

// The walk: each step (a numbered item and its continuation lines) names files and calls.
const walkText = readFileSync(join(root, WALK.file), 'utf8');
const start = walkText.indexOf(`${WALK.heading}\n`);
if (start < 0) {
  problems.push(`${WALK.file}: section "${WALK.heading}" is missing`);
} else {
  const end = walkText.indexOf('\n## ', start + WALK.heading.length);
  const section = walkText.slice(start, end < 0 ? undefined : end);
  const firstLine = walkText.slice(0, start).split('\n').length;
  const steps = [];
  section.split('\n').forEach((line, i) => {
    if (/^\d+\. /.test(line)) steps.push({ line: firstLine + i, text: line });
    else if (steps.length > 0 && /^\s+\S/.test(line)) steps[steps.length - 1].text += `\n${line}`;
    else if (line.trim() !== '' && steps.length > 0) steps.push({ line: firstLine + i, text: '' });
  });
  for (const step of steps) {
    const spans = codeSpans(step.text).map((s) => s.code);
    const named = spans.filter(
      (c) => PATH.test(c) && FILE_EXT.test(c) && existsSync(join(root, c)),
    );
    const sources = named.map((f) => readFileSync(join(root, f), 'utf8'));
    for (const call of spans.filter((c) => CALL.test(c))) {
      // `Owner.member()`: one named file must mention both the owner and the member.
      checked.calls++;
      const parts = call.slice(0, -2).split('.');
      const words = parts.map((part) => {
        const escaped = part.replace(/[$#]/g, '\\$&');
        return new RegExp(`(^|[^\\w$#])${escaped}\\b`);
      });
      if (!sources.some((source) => words.every((word) => word.test(source)))) {
        problems.push(
          `${WALK.file}:${step.line}: \`${call}\` is in none of this step's files (${named.join(', ') || 'none named'})`,
        );
      }
    }
  }
  if (steps.length === 0) problems.push(`${WALK.file}: the walk has no numbered steps`);
}

// The package graph: `    <package>   -> a, b (c in its tests): what it is`, or `leaf:`.
const GRAPH = { file: 'docs/architecture.md', heading: '## Package graph' };
// The workspace, as pnpm-workspace.yaml lists it.
const manifests = files.filter((f) =>
  /^((packages|apps)\/[^/]+|e2e|bench|sim)\/package\.json$/.test(f),
);
const workspace = new Map(
  manifests.map((f) => [dirname(f), JSON.parse(readFileSync(join(root, f), 'utf8'))]),
);
const byName = new Map([...workspace].map(([dir, manifest]) => [manifest.name, dir]));
const graphText = readFileSync(join(root, GRAPH.file), 'utf8');
const graphAt = graphText.indexOf(`${GRAPH.heading}\n`);
const listed = new Set();
const dfsDeps = (deps) =>
  Object.keys(deps ?? {})
    .filter((d) => d.startsWith('@dfs/'))
    .sort();
const graphLines = graphText
  .slice(graphAt)
  .split('\n')
  .map((text, i) => ({ text, line: graphText.slice(0, graphAt).split('\n').length + i }))
  .filter(({ text }) => /^ {4}\S+\s{2,}(leaf|->|no package imports)/.test(text));
if (graphAt < 0 || graphLines.length === 0) problems.push(`${GRAPH.file}: no package graph found`);
for (const { text, line } of graphLines) {
  const [, label, rest] = /^ {4}(\S+)\s+(.*)$/.exec(text);
  const dir = byName.get(label) ?? (workspace.has(label) ? label : undefined);
  if (dir === undefined) {
    problems.push(`${GRAPH.file}:${line}: \`${label}\` is no workspace package`);
    continue;
  }
  listed.add(dir);
  const arrow = /^->\s*([^:(]*)(?:\(([^)]*) in its tests\))?/.exec(rest);
  const dfsNames = (list) =>
    (list ?? '')
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n !== '')
      .map((n) => `@dfs/${n}`)
      .sort();
  const claimed = arrow ? dfsNames(arrow[1]) : [];
  const claimedDev = arrow ? dfsNames(arrow[2]) : [];
  const manifest = workspace.get(dir);
  const actual = dfsDeps(manifest.dependencies);
  const actualDev = dfsDeps(manifest.devDependencies);
  if (claimed.join() !== actual.join() || claimedDev.join() !== actualDev.join()) {
    problems.push(
      `${GRAPH.file}:${line}: ${label} depends on ${actual.join(', ') || 'nothing'}` +
        (actualDev.length > 0 ? ` (tests: ${actualDev.join(', ')})` : '') +
        `, not what the graph says`,
    );
  }
}
for (const dir of workspace.keys()) {
  if (!listed.has(dir)) problems.push(`${GRAPH.file}: package graph lacks ${dir}`);
}

if (problems.length > 0) {
  console.error(`docs name what does not exist (${problems.length}):`);
  for (const problem of problems) console.error(`  ${problem}`);
  process.exit(1);
}
console.log(
  `check-docs: ${checked.paths} paths in ${markdown.length} docs, ${checked.calls} calls in the PUT walk, ${listed.size} packages in the graph`,
);
