/**
 * The dashboard in a real headless Chromium against three real nodes with an API token: signing
 * in (a wrong token is refused with a clear message), the member table live (all alive; a killed
 * node turns dead without a reload), a file dropped on one node's page appearing on another's, a
 * delete from the page spreading, and no console errors throughout.
 */
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, watchedPage } from '../src/browser.js';
import { Cluster, eventually, type NodeProcess } from '../src/node-process.js';
import { fileUrl } from '../src/http.js';

const TOKEN = 'dashboard-e2e-token';
const FLAGS = ['--secret', 'dashboard-e2e-secret', '--api-token', TOKEN];
const AUTH = { authorization: `Bearer ${TOKEN}` };
/** Waits in the page: membership settles in seconds at the e2e probe period (200 ms). */
const PAGE_WAIT = { timeout: 30_000, polling: 100 };

/**
 * The browser globals the page callbacks below use. Those callbacks run in Chromium (puppeteer
 * sends their source), but they are type-checked here, where the DOM library is not loaded.
 */
interface PageElement {
  getAttribute(name: string): string | null;
  textContent: string | null;
  hidden: boolean;
  value: string;
  dispatchEvent(event: unknown): boolean;
}
interface PageGlobals {
  document: {
    querySelector(selector: string): PageElement | null;
    querySelectorAll(selector: string): ArrayLike<PageElement & { id: string; labels?: unknown[] }>;
    documentElement: { scrollWidth: number };
  };
  sessionStorage: { getItem(key: string): string | null };
  DataTransfer: new () => { items: { add(file: unknown): void } };
  File: new (parts: string[], name: string) => unknown;
  DragEvent: new (type: string, init: { dataTransfer: unknown; bubbles: boolean }) => unknown;
  marker?: string;
}

const cluster = new Cluster();
let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterEach(() => cluster.stopNodes());
afterAll(async () => {
  await browser?.close();
  await cluster.close();
});

async function signIn(page: Page, node: NodeProcess, hash: string, token = TOKEN): Promise<void> {
  await page.goto(`${node.url}/${hash}`);
  await page.waitForSelector('#token', { visible: true });
  await page.type('#token', token);
  await page.click('#login-form button[type=submit]');
}

/** Resolves once the page's member table shows `id` in `state`. */
function memberShown(page: Page, id: string, state: string): Promise<unknown> {
  return page.waitForFunction(
    (memberId, wanted) =>
      (globalThis as unknown as PageGlobals).document
        .querySelector(`tr[data-member-id="${memberId}"]`)
        ?.getAttribute('data-state') === wanted,
    PAGE_WAIT,
    id,
    state,
  );
}

function fileShown(page: Page, name: string, shown: boolean): Promise<unknown> {
  return page.waitForFunction(
    (file, want) =>
      ((globalThis as unknown as PageGlobals).document.querySelector(`tr[data-file="${file}"]`) !==
        null) ===
      want,
    PAGE_WAIT,
    name,
    shown,
  );
}

describe('the dashboard in a browser', () => {
  it('signs in, shows the cluster live, uploads by drop, spreads a delete, sees a death', async () => {
    const a = await cluster.start({ flags: FLAGS });
    const b = await cluster.start({ peers: [a.address], flags: FLAGS });
    const c = await cluster.start({ peers: [a.address], flags: FLAGS });
    const problems: string[] = [];

    // A wrong token is refused with a clear message, and nothing else is shown.
    const onA = await watchedPage(browser, problems);
    await signIn(onA, a, '#cluster', 'not-the-token');
    await onA.waitForFunction(
      () =>
        (globalThis as unknown as PageGlobals).document
          .querySelector('#login-error')
          ?.textContent?.includes('refused this token'),
      PAGE_WAIT,
    );
    expect(await onA.$eval('#view-cluster', (e) => (e as unknown as PageElement).hidden)).toBe(
      true,
    );
    expect(onA.url()).not.toContain('not-the-token');

    // The right one shows all three members alive.
    await onA.evaluate(() => {
      (globalThis as unknown as PageGlobals).document.querySelector('#token')!.value = '';
    });
    await onA.type('#token', TOKEN);
    await onA.click('#login-form button[type=submit]');
    for (const node of [a, b, c]) await memberShown(onA, node.id, 'alive');
    expect(await onA.$$eval('#members tbody tr', (rows) => rows.length)).toBe(3);
    expect(onA.url()).not.toContain(TOKEN);
    expect(
      await onA.evaluate(() =>
        (globalThis as unknown as PageGlobals).sessionStorage.getItem('dfs-api-token'),
      ),
    ).toBe(TOKEN);

    // B's page lists files; a file dropped on A's page appears there without a reload.
    const onB = await watchedPage(browser, problems);
    await signIn(onB, b, '#files');
    await onB.waitForSelector('#view-files:not([hidden])');
    await onA.goto(`${a.url}/#files`);
    await onA.waitForSelector('#drop-zone', { visible: true });
    await onA.evaluate(() => {
      const { document, DataTransfer, DragEvent, File } = globalThis as unknown as PageGlobals;
      const transfer = new DataTransfer();
      transfer.items.add(new File(['dropped on the dashboard'], 'dropped.txt'));
      const zone = document.querySelector('#drop-zone')!;
      zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true }));
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true }));
    });
    await onA.waitForSelector('li[data-upload="dropped.txt"][data-done="true"]', PAGE_WAIT);
    // Its progress bar went to the end.
    expect(
      await onA.$eval('li[data-upload="dropped.txt"] progress', (e) => e.getAttribute('max')),
    ).toBe('1');
    expect(
      await onA.$eval(
        'li[data-upload="dropped.txt"] progress',
        (e) => (e as unknown as { value: number }).value,
      ),
    ).toBe(1);
    // Every form field has a label, and the page fits a phone's width without sideways scrolling.
    const unlabelled = await onA.evaluate(() => {
      const { document } = globalThis as unknown as PageGlobals;
      return Array.from(document.querySelectorAll('input:not([type=hidden]):not([hidden])'))
        .filter((input) => (input.labels?.length ?? 0) === 0)
        .map((input) => input.id);
    });
    expect(unlabelled).toEqual([]);
    await onA.setViewport({ width: 360, height: 740 });
    expect(
      await onA.evaluate(
        () => (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth,
      ),
    ).toBeLessThanOrEqual(360);
    await onA.setViewport({ width: 1000, height: 740 });
    await fileShown(onA, 'dropped.txt', true);
    await fileShown(onB, 'dropped.txt', true);
    const body = await eventually(async () => {
      const res = await fetch(fileUrl(c.url, 'dropped.txt'), { headers: AUTH });
      return res.status === 200 ? res.text() : undefined;
    });
    expect(body).toBe('dropped on the dashboard');

    // A delete from B's page (two clicks: it asks once more) spreads to A's page and to C.
    const remove = 'tr[data-file="dropped.txt"] button.danger';
    await onB.click(remove);
    expect(await onB.$eval(remove, (e) => e.textContent)).toBe('Confirm delete');
    await onB.click(remove);
    await fileShown(onB, 'dropped.txt', false);
    await fileShown(onA, 'dropped.txt', false);
    await eventually(async () => {
      const res = await fetch(fileUrl(c.url, 'dropped.txt'), { method: 'HEAD', headers: AUTH });
      return res.status === 404 ? true : undefined;
    });

    // Killing C turns it dead on A's cluster page, with no reload (the same document throughout).
    await onA.goto(`${a.url}/#cluster`);
    await memberShown(onA, c.id, 'alive');
    await onA.evaluate(() => ((globalThis as unknown as PageGlobals).marker = 'same page'));
    c.kill('SIGKILL');
    await c.exited;
    await memberShown(onA, c.id, 'dead');
    expect(await onA.evaluate(() => (globalThis as unknown as PageGlobals).marker)).toBe(
      'same page',
    );
    await memberShown(onA, b.id, 'alive');

    // The only failed request allowed is the wrong token's 401, which the page turned into its
    // message above; nothing else went wrong in either page.
    const unexpected = problems.filter((p) => !/status of 401/.test(p));
    expect(unexpected).toEqual([]);
  });
});
