/**
 * Builds the dashboard into dist/: src/main.ts and src/style.css bundled and minified by esbuild
 * into dist/ui/ with a content hash in each name, index.html pointing at them, and a Brotli and a
 * gzip copy of every file beside it (the node serves whichever the browser accepts). Prints the
 * compressed size of a first load, and fails when it passes the budget.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const dist = path.join(root, 'dist');
/** First load (index.html + script + stylesheet), Brotli-compressed. */
const BUDGET_BYTES = 200 * 1024;

await rm(dist, { recursive: true, force: true });
const result = await build({
  entryPoints: [path.join(root, 'src/main.ts'), path.join(root, 'src/style.css')],
  outdir: path.join(dist, 'ui'),
  entryNames: '[name]-[hash]',
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome109', 'firefox115', 'safari16'],
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});
const outputs = Object.keys(result.metafile.outputs).map((file) => path.relative(dist, file));
const script = outputs.find((file) => file.endsWith('.js'));
const style = outputs.find((file) => file.endsWith('.css'));
if (!script || !style) throw new Error(`esbuild wrote no script or stylesheet: ${outputs}`);
const html = (await readFile(path.join(root, 'src/index.html'), 'utf8'))
  .replace('__SCRIPT__', `/${script}`)
  .replace('__STYLE__', `/${style}`);
await writeFile(path.join(dist, 'index.html'), html);

let firstLoad = 0;
for (const file of ['index.html', script, style]) {
  const body = await readFile(path.join(dist, file));
  const br = brotliCompressSync(body, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
    },
  });
  await writeFile(path.join(dist, `${file}.br`), br);
  await writeFile(path.join(dist, `${file}.gz`), gzipSync(body, { level: 9 }));
  firstLoad += br.length;
}
await mkdir(dist, { recursive: true });
console.log(
  `dashboard: first load ${(firstLoad / 1024).toFixed(1)} KiB with Brotli (${script}, ${style})`,
);
if (firstLoad > BUDGET_BYTES) {
  throw new Error(`first load ${firstLoad} bytes is over the ${BUDGET_BYTES}-byte budget`);
}
