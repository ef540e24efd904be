import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { chromium, type Browser, type Page } from 'playwright-core';

/** Where the tests leave a screenshot of each page (committed, shown in the README). */
export const SCREENSHOT_DIR = resolve(__dirname, '..', '..', 'docs', 'screenshots');

/** Debian's Chromium (`apt-get install chromium`), or CHROMIUM_PATH. */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(`No Chromium at ${path}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  return path;
}

/** Headless Chromium; --no-sandbox because CI runs as root, where Chromium's sandbox refuses to start. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox'] });
}

/**
 * The page's console errors and uncaught exceptions. The browser's own "Failed to load resource" lines are
 * left out: they report an HTTP status the console asked for and shows as a problem (a refused switch's
 * 409), not a fault of the page.
 */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      errors.push(message.text());
    }
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

/** A full-page screenshot into docs/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true, animations: 'disabled' });
}
