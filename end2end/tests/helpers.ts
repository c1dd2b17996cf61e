import { expect, type Page, type TestInfo } from '@playwright/test';
import * as path from 'node:path';

/** Collects console errors and uncaught exceptions for the whole test. */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}

/** Opens a page and waits until the WebAssembly bundle has hydrated it. */
export async function openHydrated(page: Page, url: string) {
  const response = await page.goto(url);
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');
  return response;
}

/** Saves a full-page screenshot under test-results/screenshots/. */
export async function snapshot(page: Page, testInfo: TestInfo, name: string) {
  const file = path.join('test-results', 'screenshots', `${testInfo.project.name}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
}
