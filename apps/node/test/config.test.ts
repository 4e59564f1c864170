/**
 * The tunables module against what depends on it: the docs table generated from it, the options
 * documentation against `--help`, the shutdown budget its defaults must keep, and overrides.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseArguments } from '../src/cli/options.js';
import {
  DEFAULT_TUNABLES,
  START_OPTIONS,
  TUNABLES,
  TUNABLES_BEGIN,
  TUNABLES_END,
  formatTunable,
  renderTunablesTable,
  resolveTunables,
  type Tunable,
} from '../src/config.js';
import { worstCaseShutdownMs } from '../src/shutdown.js';
import { parseDuration, parseSize } from '../src/units.js';

const operationsDoc = readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8');
const nodeReadme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** Rows of the Markdown table starting at the first line after `from`, as trimmed cells. */
function tableRows(markdown: string, from: string): string[][] {
  const start = markdown.indexOf(from);
  expect(start).toBeGreaterThanOrEqual(0);
  const lines = markdown.slice(start + from.length).split('\n');
  const first = lines.findIndex((line) => line.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first)) {
    if (!line.startsWith('|')) break;
    // Split on pipes that are not escaped (`json\|pretty`).
    const cells = line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim());
    if (cells.every((cell) => /^-+$/.test(cell))) continue;
    rows.push(cells);
  }
  return rows.slice(1);
}

function helpText(): string {
  const result = parseArguments(['--help'], { env: {}, cwd: '/', stderrIsTty: false });
  if (result.kind !== 'exit') throw new Error('--help did not exit');
  return result.stdout.replace(/\s+/g, ' ');
}

const flagsIn = (text: string): string[] =>
  [...text.matchAll(/--[a-z][a-z-]+/g)].map((match) => match[0]);

describe('docs/operations.md', () => {
  it('carries the tunables table generated from config.ts', () => {
    const begin = operationsDoc.indexOf(TUNABLES_BEGIN);
    const end = operationsDoc.indexOf(TUNABLES_END);
    expect(begin).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(begin);
    const inDocs = tableRows(operationsDoc.slice(begin, end), TUNABLES_BEGIN);
    const generated = tableRows(renderTunablesTable(), '');
    expect(inDocs, 'run `pnpm --filter apps/node docs:tunables` after a build').toEqual(generated);
  });

  it('documents every tunable of the module and nothing else', () => {
    const begin = operationsDoc.indexOf(TUNABLES_BEGIN);
    const documented = tableRows(operationsDoc.slice(begin), TUNABLES_BEGIN).map((row) => row[0]);
    const names = Object.entries(TUNABLES).flatMap(([group, tunables]) =>
      Object.keys(tunables).map((name) => `\`${group}.${name}\``),
    );
    expect(documented).toEqual(names);
  });
});

describe('option docs match --help', () => {
  const help = helpText();
  const helpFlags = new Set(flagsIn(help).filter((flag) => flag !== '--help'));

  it.each([
    ['docs/operations.md', operationsDoc],
    ['apps/node/README.md', nodeReadme],
  ])('%s lists exactly the flags --help lists', (_, markdown) => {
    const rows = tableRows(markdown, '## Options');
    const documented = new Set(rows.flatMap((row) => flagsIn(row[0] ?? '')));
    expect([...documented].sort()).toEqual([...helpFlags].sort());
  });

  it.each(Object.values(START_OPTIONS))(
    '$flag shows the default from config.ts in --help and in both docs',
    (option) => {
      const shown = formatTunable(option.default, option.unit);
      const afterFlag = help.slice(help.indexOf(`${option.flag} `));
      expect(afterFlag).toMatch(new RegExp(`^[^(]*\\(default: ${shown}\\)`));
      for (const markdown of [operationsDoc, nodeReadme]) {
        const row = tableRows(markdown, '## Options').find((cells) =>
          flagsIn(cells[0] ?? '').includes(option.flag),
        );
        expect(row?.[1]).toBe(shown);
      }
    },
  );
});

describe('defaults', () => {
  it('the stop ends within its deadlines before the forced exit, and that before 5 s', () => {
    const worst = worstCaseShutdownMs(DEFAULT_TUNABLES);
    expect(worst).toBe(4_000);
    expect(worst).toBeLessThan(DEFAULT_TUNABLES.shutdown.forcedExitMs);
    expect(DEFAULT_TUNABLES.shutdown.forcedExitMs).toBeLessThan(5_000);
  });

  it('every default reads back to itself as an operator would write it', () => {
    const all: Tunable[] = [
      ...Object.values(START_OPTIONS),
      ...Object.values(TUNABLES).flatMap((group) => Object.values(group) as Tunable[]),
    ];
    for (const tunable of all) {
      const written = formatTunable(tunable.default, tunable.unit);
      if (tunable.unit === 'ms') expect(parseDuration(written)).toBe(tunable.default);
      if (tunable.unit === 'bytes') expect(parseSize(written)).toBe(tunable.default);
    }
  });

  it('an override replaces one tunable and keeps every other default', () => {
    const tunables = resolveTunables({ http: { headersTimeoutMs: 1 } });
    expect(tunables.http).toEqual({ ...DEFAULT_TUNABLES.http, headersTimeoutMs: 1 });
    expect({ ...tunables, http: DEFAULT_TUNABLES.http }).toEqual(DEFAULT_TUNABLES);
  });
});
