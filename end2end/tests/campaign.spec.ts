import { expect, test } from '@playwright/test';
import { accept, createTeam, inviteLead, openHydrated, registerWithResilience, signIn, snapshot, unique, watchConsole } from './helpers';

/** A YYYY-MM-DD date `days` from today (UTC). */
function inDays(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

const ITEM = 'Every component has a named owning team and on-call';

test('a lead starts a campaign, sees who is behind and why, and watches it move as items are approved', async ({ page, browser }, testInfo) => {
  // The admin sets up a team with two services and makes Lou its lead.
  await signIn(page);
  const team = unique('Billing');
  const teamPath = await createTeam(page, team);
  const api = await registerWithResilience(page, unique('Billing API'), team);
  const worker = await registerWithResilience(page, unique('Billing Worker'), team);
  const leadName = unique('Lou Lead');
  const leadEmail = `${leadName.split(' ').pop()}-lou@example.com`;
  const link = await inviteLead(page, teamPath, leadName, leadEmail);

  const lou = await accept(browser, link, 'lou drives the billing team');
  const lead = lou.page;
  const errors = watchConsole(lead);

  // Start a campaign: every problem is named next to its field.
  await lead.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Campaigns' }).click();
  await expect(lead.getByRole('heading', { level: 1, name: 'Campaigns' })).toBeVisible();
  await lead.getByRole('link', { name: 'Start a campaign' }).click();
  await expect(lead.getByRole('heading', { level: 1, name: 'Start a campaign' })).toBeVisible();
  await lead.getByRole('button', { name: 'Start campaign' }).click();
  await expect(lead.getByText('Give the campaign a name.')).toBeVisible();
  const name = unique('On-call owners');
  await lead.getByLabel('Name', { exact: true }).fill(name);
  await lead.getByLabel('Deadline').fill(inDays(-2));
  await lead.getByRole('button', { name: 'Start campaign' }).click();
  await expect(lead.getByText('The deadline is in the past; choose today or a later day.')).toBeVisible();
  await expect(lead.getByLabel('Name', { exact: true })).toHaveValue(name);
  await lead.getByLabel('Deadline').fill(inDays(30));
  await lead.getByLabel('Every service satisfies chosen items').check();
  await lead.getByRole('button', { name: 'Start campaign' }).click();
  await expect(lead.getByText('Choose at least one item every service must satisfy.')).toBeVisible();
  await lead.getByText('Operational resilience review (13 items)').click();
  await lead.getByLabel(ITEM).check();
  await lead.getByLabel('Team', { exact: true }).selectOption({ label: team });
  await lead.getByRole('button', { name: 'Start campaign' }).click();

  // The campaign page: nobody meets the goal yet; both services lack the item.
  await expect(lead.getByRole('heading', { level: 1, name })).toBeVisible();
  await expect(lead.getByText('0 of 2', { exact: true })).toBeVisible();
  await expect(lead.getByRole('img', { name: /^Burn-up from / })).toBeVisible();
  const behind = lead.getByRole('region', { name: 'Services behind' });
  await expect(behind.getByRole('row')).toHaveCount(3);
  await expect(behind.getByRole('row', { name: new RegExp(api.name) })).toContainText(`${ITEM}: not started`);

  // Lou backs the item on the API with a link; the admin approves it.
  await openHydrated(lead, `/services/${api.slug}`);
  await lead.getByRole('region', { name: 'Operational resilience review' }).getByRole('link', { name: ITEM }).click();
  await expect(lead.getByRole('heading', { level: 1, name: ITEM })).toBeVisible();
  const itemPath = new URL(lead.url()).pathname;
  await lead.getByLabel('Status', { exact: true }).selectOption({ label: 'Done' });
  await lead.getByRole('button', { name: 'Save status' }).click();
  const linkForm = lead.getByRole('form', { name: 'Add a link' });
  await linkForm.getByLabel('Link').fill('https://wiki.example.com/billing/on-call');
  await linkForm.getByRole('button', { name: 'Add link' }).click();
  await expect(lead.getByText('Awaiting 1 more approval')).toBeVisible();
  await openHydrated(page, itemPath);
  await page.getByLabel('Decision', { exact: true }).selectOption({ label: 'Approve' });
  await page.getByRole('button', { name: 'Record decision' }).click();
  await expect(page.getByText('Awaiting 1 more approval')).toHaveCount(0);

  // Back on the campaign: one of two, and only the worker is behind.
  await lead.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Campaigns' }).click();
  const row = lead.getByRole('row', { name: new RegExp(name) });
  await expect(row).toContainText('1 of 2 services');
  await expect(row).toContainText('30 days left');
  await row.getByRole('link', { name }).click();
  await expect(lead.getByText('1 of 2', { exact: true })).toBeVisible();
  await expect(behind.getByRole('row')).toHaveCount(2);
  await expect(behind.getByRole('row', { name: new RegExp(worker.name) })).toContainText(`${ITEM}: not started`);
  await snapshot(lead, testInfo, 'campaign');

  // Lou started it, so Lou may end it; it stays, marked ended.
  await lead.getByRole('button', { name: 'End campaign' }).click();
  await expect(lead.getByRole('button', { name: 'End campaign' })).toHaveCount(0);
  await expect(lead.getByText('ended', { exact: true })).toBeVisible();

  await lou.context.close();
  // The refused forms answered 422; nothing else went wrong.
  expect(errors.filter((e) => !e.includes('422'))).toEqual([]);
});
