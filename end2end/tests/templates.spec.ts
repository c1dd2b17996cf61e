import { expect, test } from '@playwright/test';
import { openHydrated, signIn, snapshot, watchConsole } from './helpers';

test('an admin builds a template in the form, is shown each problem by its field, and saves it', async ({ page }, testInfo) => {
  const errors = watchConsole(page);
  await signIn(page);
  const run = Math.random().toString(36).slice(2, 7);
  await openHydrated(page, '/templates');
  await expect(page.getByRole('heading', { level: 1, name: 'Checklist templates' })).toBeVisible();
  await expect(page.getByRole('row', { name: /Web application production readiness/ })).toContainText('Built in');
  await page.getByRole('link', { name: 'New template' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'New template' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('data-hydrated', 'true');

  await page.getByLabel('Template id').fill(`payments-${run}`);
  await page.getByLabel('Template name').fill(`Payments readiness ${run}`);
  await page.getByLabel('Section id').fill('pci');
  await page.getByLabel('Section name').fill('Card data');
  await page.getByLabel('Item id (section.slug)').fill('pci.scope');
  await page.getByLabel('Title').fill('Card data never reaches our logs');
  await page.getByLabel('Severity').selectOption('critical');
  await page.getByLabel('Approvals').fill('9');
  await page.getByLabel('Tiers (empty: all)').fill('1, 4');
  await page.getByRole('button', { name: 'Save template' }).click();
  await expect(page.getByText('at most 5 distinct reviewers')).toBeVisible();
  await expect(page.getByText('list tiers from 1 to 3, e.g. [1, 2]')).toBeVisible();
  await snapshot(page, testInfo, 'template-editor-problems');

  await page.getByLabel('Approvals').fill('2');
  await page.getByLabel('Tiers (empty: all)').fill('1, 2');
  await page.getByRole('button', { name: 'Save template' }).click();
  await page.getByRole('link', { name: 'Open the template' }).click();
  await expect(page.getByRole('heading', { level: 1, name: `Payments readiness ${run}` })).toBeVisible();
  await expect(page.getByText(`Id payments-${run} · version 1 · 1 items`)).toBeVisible();

  // An edit in the form publishes version 2.
  await page.getByLabel('Title').fill('Card data never reaches our logs or traces');
  await page.getByRole('button', { name: 'Save template' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
  await openHydrated(page, new URL(page.url()).pathname);
  await expect(page.getByRole('list', { name: 'Versions' }).getByRole('listitem')).toHaveCount(2);
  const exported = await page.request.get(`${new URL(page.url()).pathname}/export`);
  expect(await exported.text()).toContain('tiers = [1, 2]');
  await snapshot(page, testInfo, 'template-page');
  expect(errors.filter((e) => !e.includes('422'))).toEqual([]);
});
