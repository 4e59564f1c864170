/**
 * A real headless Chromium for the dashboard tests, driven by puppeteer-core: the Debian
 * `chromium` package (`.ci/run` installs it), found through `CHROME_PATH` or the PATH. Each page
 * records its console errors and uncaught exceptions so a test can assert there were none.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** The Chromium executable, or undefined when none is installed. */
export function findChromium(): string | undefined {
  const fromEnv = process.env.CHROME_PATH;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  for (const name of CANDIDATES) {
    try {
      const found = execFileSync('which', [name], { encoding: 'utf8' }).trim();
      if (found) return found;
    } catch {
      // Not this one.
    }
  }
  return undefined;
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  if (executablePath === undefined) {
    throw new Error(
      'no Chromium found: install it (apt-get install chromium; .ci/run does) or set CHROME_PATH',
    );
  }
  return puppeteer.launch({
    executablePath,
    headless: true,
    // Root in CI containers cannot use Chromium's sandbox; the pages are our own dashboard.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
}

/** A new page that collects console errors and page errors into `problems`. */
export async function watchedPage(browser: Browser, problems: string[]): Promise<Page> {
  const page = await browser.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') {
      problems.push(`console: ${message.text()} (${message.location().url ?? ''})`);
    }
  });
  page.on('pageerror', (error) => problems.push(`page error: ${String(error)}`));
  return page;
}
