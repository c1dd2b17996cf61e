import { expect, test, type Page } from '@playwright/test';
import { accept, createTeam, inviteLead, openHydrated, registerWithResilience, signIn, snapshot, unique, watchConsole } from './helpers';

// A lead records a "launch review" milestone, the team changes two items,
// and the compare page shows one improved and one regressed.

const checklist = 'Operational resilience review';
const items = {
  // Both need a link and one approval.
  retries: 'Retries are bounded, spaced with backoff and jitter, and cannot amplify load',
  queues: 'Queues are bounded and shed or push back load when full',
};

async function openItem(page: Page, slug: string, title: string) {
  await openHydrated(page, `/services/${slug}`);
  await page.getByRole('region', { name: checklist }).getByRole('link', { name: title }).click();
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
}

/** As `page` (a team member): marks the item done and backs it with a link. */
async function doneWithLink(page: Page, slug: string, title: string, url: string) {
  await openItem(page, slug, title);
  await page.getByLabel('Status', { exact: true }).selectOption({ label: 'Done' });
  await page.getByRole('button', { name: 'Save status' }).click();
  await expect(page.getByText('No evidence: needs a link')).toBeVisible();
  const form = page.getByRole('form', { name: 'Add a link' });
  await form.getByLabel('Link').fill(url);
  await form.getByRole('button', { name: 'Add link' }).click();
  await expect(page.getByText('Awaiting 1 more approval')).toBeVisible();
}

/** As `page` (the admin, who did not do the work): approves the item. */
async function approve(page: Page, slug: string, title: string) {
  await openItem(page, slug, title);
  await page.getByLabel('Decision', { exact: true }).selectOption({ label: 'Approve' });
  await page.getByRole('button', { name: 'Record decision' }).click();
  await expect(page.getByText('Satisfied', { exact: true })).toBeVisible();
}

test('a lead records a launch review, the team changes items, and the comparison shows what improved and regressed', async ({ page, browser }, testInfo) => {
  // The admin builds a team with a lead.
  await signIn(page);
  const team = unique('Billing');
  const teamPath = await createTeam(page, team);
  const leadName = unique('Mila Milestone');
  const leadEmail = `${leadName.split(' ').pop()}-milestone@example.com`;
  const link = await inviteLead(page, teamPath, leadName, leadEmail);

  const mila = await accept(browser, link, 'mila keeps the milestones');
  const lead = mila.page;
  const errors = watchConsole(lead);

  // The lead registers the service and applies the resilience checklist.
  const { name, slug } = await registerWithResilience(lead, unique('Billing API'), team);

  // Before the review the retries item is done, backed and approved.
  await doneWithLink(lead, slug, items.retries, 'https://git.example.com/billing/blob/main/src/retry.rs');
  await approve(page, slug, items.retries);

  // The review: a name is required, then the milestone is listed.
  await openHydrated(lead, `/services/${slug}`);
  const milestones = lead.getByRole('region', { name: 'Milestones' });
  await expect(milestones.getByText('No milestone yet.')).toBeVisible();
  const form = lead.getByRole('form', { name: 'Record a milestone' });
  await form.getByRole('button', { name: 'Record milestone' }).click();
  await expect(form.getByText('Name the milestone, e.g. launch review.')).toBeVisible();
  await form.getByLabel('Milestone name').fill('launch review');
  await form.getByLabel('Note (optional)').fill('Go/no-go with the billing leads.');
  await form.getByRole('button', { name: 'Record milestone' }).click();
  await expect(milestones.getByRole('link', { name: 'launch review' })).toBeVisible();
  // The same name again (case ignored) is refused beside the field.
  await form.getByLabel('Milestone name').fill('Launch Review');
  await form.getByRole('button', { name: 'Record milestone' }).click();
  await expect(form.getByText('This service already has a milestone with this name')).toBeVisible();

  // After it: the queues item is completed, the retries item reopened.
  await doneWithLink(lead, slug, items.queues, 'https://git.example.com/billing/blob/main/src/queue.rs');
  await approve(page, slug, items.queues);
  await openItem(lead, slug, items.retries);
  await lead.getByLabel('Status', { exact: true }).selectOption({ label: 'In progress' });
  await lead.getByRole('button', { name: 'Save status' }).click();
  await expect(lead.getByText('In progress', { exact: true }).first()).toBeVisible();

  // The comparison: regressed first, then improved, each linking its item.
  await openHydrated(lead, `/services/${slug}`);
  await lead.getByRole('region', { name: 'Milestones' }).getByRole('link', { name: 'launch review' }).click();
  await expect(lead.getByRole('heading', { level: 1, name: 'launch review' })).toBeVisible();
  await expect(lead.getByRole('heading', { name: 'Then and now' })).toBeVisible();
  const regressed = lead.getByRole('list', { name: 'Regressed' });
  const improved = lead.getByRole('list', { name: 'Improved' });
  await expect(regressed.getByRole('link', { name: items.retries })).toBeVisible();
  await expect(improved.getByRole('link', { name: items.queues })).toBeVisible();
  await expect(improved).toContainText('Evidence added: https://git.example.com/billing/blob/main/src/queue.rs');
  await expect(improved).toContainText('Approved by');
  await expect(lead.getByRole('heading', { name: 'Unchanged (11)' })).toBeVisible();
  await snapshot(lead, testInfo, 'milestone-compare');
  await lead.setViewportSize({ width: 390, height: 844 });
  await snapshot(lead, testInfo, 'milestone-compare-phone');

  await improved.getByRole('link', { name: items.queues }).click();
  await expect(lead.getByRole('heading', { level: 1, name: items.queues })).toBeVisible();
  await mila.context.close();
  expect(errors.filter((e) => !e.includes('422'))).toEqual([]);
});
