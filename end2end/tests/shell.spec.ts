import { expect, test } from '@playwright/test';
import { openHydrated, signIn, snapshot, watchConsole } from './helpers';

test.describe('app shell', () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page);
  });

  test('home page loads and hydrates without console errors', async ({ page }, testInfo) => {
    const errors = watchConsole(page);
    const response = await openHydrated(page, '/');
    expect(response?.status()).toBe(200);
    await expect(page).toHaveTitle('Overview · Preflight');
    await expect(page.getByRole('heading', { level: 1, name: 'Launch readiness at a glance' })).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' })).toHaveAttribute(
      'aria-current',
      'page',
    );
    await snapshot(page, testInfo, 'home-desktop');
    expect(errors).toEqual([]);
  });

  test('the theme switch works in the browser and is remembered', async ({ page }, testInfo) => {
    const errors = watchConsole(page);
    await openHydrated(page, '/');
    const toggle = page.getByRole('button', { name: 'Colour theme: System' });
    await toggle.click();
    await expect(page.getByRole('button', { name: 'Colour theme: Light' })).toBeVisible();
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
    await page.getByRole('button', { name: 'Colour theme: Light' }).click();
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');

    // The server renders the remembered choice on the next visit.
    await openHydrated(page, '/');
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    await expect(page.getByRole('button', { name: 'Colour theme: Dark' })).toBeVisible();
    await snapshot(page, testInfo, 'home-dark');
    expect(errors).toEqual([]);
  });

  test('navigating to system status shows the live database', async ({ page }, testInfo) => {
    const errors = watchConsole(page);
    await openHydrated(page, '/');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'System status' }).click();
    await expect(page).toHaveURL(/\/status$/);
    await expect(page.getByRole('heading', { level: 1, name: 'System status' })).toBeVisible();
    const database = testInfo.project.name === 'postgres' ? 'PostgreSQL' : 'SQLite';
    await expect(page.getByText(`${database} · Reachable`)).toBeVisible();
    await expect(page.getByText(/Version \d+ \(\d+ migrations? applied\)/)).toBeVisible();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect(page.getByText(`${database} · Reachable`)).toBeVisible();
    await snapshot(page, testInfo, 'status-desktop');
    expect(errors).toEqual([]);
  });

  test('unknown pages get a friendly 404', async ({ page }, testInfo) => {
    const errors = watchConsole(page);
    const response = await openHydrated(page, '/no/such/page');
    expect(response?.status()).toBe(404);
    await expect(page.getByRole('heading', { name: "We couldn't find that page" })).toBeVisible();
    await expect(page).toHaveTitle("We couldn't find that page · Preflight");
    await snapshot(page, testInfo, 'not-found');
    await page.getByRole('link', { name: 'Back to the overview' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Launch readiness at a glance' })).toBeVisible();
    // The browser itself logs the 404 status of the document; nothing else may fail.
    expect(errors.filter((e) => !e.includes('404'))).toEqual([]);
  });
});

test.describe('at phone width', () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  test.beforeEach(async ({ page }) => {
    await signIn(page);
  });

  test('no horizontal scroll and the menu opens', async ({ page }, testInfo) => {
    const errors = watchConsole(page);
    for (const url of ['/', '/status', '/no/such/page']) {
      await openHydrated(page, url);
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow, `horizontal overflow on ${url}`).toBeLessThanOrEqual(0);
    }

    await openHydrated(page, '/');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await expect(nav.getByRole('link', { name: 'System status' })).toBeHidden();
    await expect(page.getByRole('button', { name: 'Sign out' })).toBeHidden();
    await snapshot(page, testInfo, 'home-phone');
    const menu = page.getByRole('button', { name: 'Menu' });
    await expect(menu).toHaveAttribute('aria-expanded', 'false');
    await menu.click();
    await expect(menu).toHaveAttribute('aria-expanded', 'true');
    await expect(nav.getByRole('link', { name: 'System status' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
    await snapshot(page, testInfo, 'home-phone-menu');

    await nav.getByRole('link', { name: 'System status' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'System status' })).toBeVisible();
    await expect(menu).toHaveAttribute('aria-expanded', 'false');
    await snapshot(page, testInfo, 'status-phone');
    expect(errors.filter((e) => !e.includes('404'))).toEqual([]);
  });
});
