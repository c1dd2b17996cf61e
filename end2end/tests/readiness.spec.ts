import { expect, test } from '@playwright/test';
import { openHydrated, signIn, snapshot, unique, watchConsole } from './helpers';

test.describe.configure({ mode: 'serial' });

test('a service is registered, gets the web-app checklist and is worked item by item', async ({ page }, testInfo) => {
  const errors = watchConsole(page);
  await signIn(page);
  const team = unique('Checkout');
  await openHydrated(page, '/teams');
  await page.getByLabel('Team name').fill(team);
  await page.getByRole('button', { name: 'Create team' }).click();
  await expect(page.getByRole('link', { name: team })).toBeVisible();

  // Register: every problem is named next to its field, nothing is lost.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Services' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Services' })).toBeVisible();
  await page.getByRole('link', { name: 'Register a service' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Register a service' })).toBeVisible();
  const name = unique('Checkout API');
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Short name for links').fill('Not A Slug');
  await page.getByLabel('Repository link').fill('javascript:alert(1)');
  await page.getByRole('button', { name: 'Register service' }).click();
  await expect(page.getByText('Use at most 60 lower-case letters')).toBeVisible();
  await expect(page.getByLabel('Name', { exact: true })).toHaveValue(name);
  await page.getByLabel('Short name for links').fill(slug);
  await page.getByRole('button', { name: 'Register service' }).click();
  await expect(page.getByText('Choose the owning team.')).toBeVisible();
  await page.getByLabel('Owning team').selectOption({ label: team });
  await page.getByRole('button', { name: 'Register service' }).click();
  await expect(page.getByText('Enter a link starting with http:// or https://.')).toBeVisible();
  await page.getByLabel('Repository link').fill('https://git.example.com/checkout');
  await page.getByLabel('Tier').selectOption({ label: 'Tier 1 · critical' });
  await page.getByLabel('Target launch date').fill('2027-06-30');
  await page.getByRole('button', { name: 'Register service' }).click();

  // The service page leads with the gate.
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Launch gate' })).toBeVisible();
  await expect(page.getByText('No checklist applied yet')).toBeVisible();
  await page.getByLabel('Checklist', { exact: true }).selectOption({ label: 'Web application production readiness (23 items)' });
  await page.getByRole('button', { name: 'Apply checklist' }).click();
  const blocking = page.getByRole('list', { name: 'Blocking items' });
  await expect(blocking.getByRole('listitem')).not.toHaveCount(0);
  const before = await blocking.getByRole('listitem').count();
  await expect(page.getByRole('region', { name: 'Web application production readiness' })).toBeVisible();
  await snapshot(page, testInfo, 'service-page');

  // Work an item: not applicable needs a written justification.
  await blocking.getByRole('link', { name: 'Repeated failed logins are throttled or temporarily locked' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Repeated failed logins are throttled or temporarily locked' })).toBeVisible();
  await expect(page.getByText('Not started', { exact: true }).first()).toBeVisible();
  await page.getByLabel('Status', { exact: true }).selectOption({ label: 'Not applicable' });
  await page.getByRole('button', { name: 'Save status' }).click();
  await expect(page.getByText('Say why this item does not apply')).toBeVisible();
  await page.getByLabel('Why it does not apply').fill('Sign-in is delegated to the company SSO, which throttles.');
  await page.getByRole('button', { name: 'Save status' }).click();
  await expect(page.getByText('Not applicable, awaiting an auditor’s acceptance', { exact: false }).or(page.getByText("Not applicable, awaiting an auditor's acceptance"))).toBeVisible();
  await expect(page.getByText('Awaiting an auditor')).toBeVisible();

  // The thread.
  await page.getByLabel('Add a comment').fill('SSO contract attached next week.');
  await page.getByRole('button', { name: 'Post comment' }).click();
  await expect(page.getByRole('list').getByText('SSO contract attached next week.')).toBeVisible();
  await snapshot(page, testInfo, 'item-page');

  // Still blocking until an auditor accepts it; the activity says what happened.
  await page.getByRole('navigation', { name: 'Breadcrumb' }).getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  await expect(blocking.getByRole('listitem')).toHaveCount(before);
  await expect(page.getByRole('region', { name: 'Recent activity' }).getByText('changed an item’s status').or(page.getByRole('region', { name: 'Recent activity' }).getByText("changed an item's status"))).toBeVisible();

  // The list finds it by name and team, and reads well at phone width.
  await openHydrated(page, `/services?q=${encodeURIComponent(name.split(' ').pop()!)}`);
  await expect(page.getByRole('row', { name: new RegExp(name) })).toContainText('Not ready');
  await page.setViewportSize({ width: 390, height: 844 });
  await openHydrated(page, '/services');
  await snapshot(page, testInfo, 'services-phone');
  await page.goto(`/services/${slug}`);
  await snapshot(page, testInfo, 'service-phone');
  await page.setViewportSize({ width: 1280, height: 800 });
  expect(errors).toEqual([]);
});
