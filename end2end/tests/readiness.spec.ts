import { expect, test, type Page } from '@playwright/test';
import { accept, invite, openHydrated, signIn, snapshot, unique, watchConsole } from './helpers';

// Three journeys through one service, in order: the lead works it, the
// auditor reviews it, a viewer reads it.
test.describe.configure({ mode: 'serial' });

const run = Math.random().toString(36).slice(2, 7);
const people = {
  lead: { name: 'Lena Lead', email: `lena-${run}@example.com`, password: 'lena leads the checkout team' },
  auditor: { name: 'Aldo Auditor', email: `aldo-${run}@example.com`, password: 'aldo reads every report' },
  viewer: { name: 'Vic Viewer', email: `vic-${run}@example.com`, password: 'vic only looks at scores' },
};
const service = { name: `Checkout API ${run}`, slug: `checkout-api-${run}` };
const items = {
  link: 'Passwords are stored only as Argon2 or bcrypt hashes',
  pdf: 'Repeated failed logins are throttled or temporarily locked',
  waiver: 'Login and every authenticated request travel over HTTPS',
  admin: 'Session tokens expire after inactivity',
};
let blockingAtStart = 0;

/** A YYYY-MM-DD date `days` from today. */
function inDays(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

async function signInAs(page: Page, who: { email: string; password: string }) {
  await openHydrated(page, '/login');
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Launch readiness at a glance' })).toBeVisible();
}

async function openService(page: Page) {
  await openHydrated(page, `/services/${service.slug}`);
  await expect(page.getByRole('heading', { level: 1, name: service.name })).toBeVisible();
}

async function openItem(page: Page, title: string) {
  await openService(page);
  await page.getByRole('region', { name: 'Web application production readiness' }).getByRole('link', { name: title }).click();
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
}

function blocking(page: Page) {
  return page.getByRole('list', { name: 'Blocking items' }).getByRole('listitem');
}

test('the lead registers a service, applies the web-app checklist, backs items with a link and a PDF, and asks for a waiver', async ({ page, browser }, testInfo) => {
  // The admin builds the team and invites the three people.
  await signIn(page);
  const team = unique('Checkout');
  await openHydrated(page, '/teams');
  await page.getByLabel('Team name').fill(team);
  await page.getByRole('button', { name: 'Create team' }).click();
  await page.getByRole('link', { name: team }).click();
  await expect(page.getByRole('heading', { level: 1, name: team })).toBeVisible();
  const teamPath = new URL(page.url()).pathname;
  const links: Record<string, string> = {};
  for (const [key, role] of [['lead', 'member'], ['auditor', 'auditor'], ['viewer', 'viewer']] as const) {
    links[key] = await invite(page, people[key].name, people[key].email, role);
  }
  await openHydrated(page, teamPath);
  await page.getByLabel('Person').selectOption({ label: `${people.lead.name} (${people.lead.email})` });
  await page.getByLabel('Team role').selectOption({ label: 'Lead' });
  await page.getByRole('button', { name: 'Add to team' }).click();
  await expect(page.getByRole('row', { name: new RegExp(people.lead.name) })).toContainText('Lead');
  for (const key of ['auditor', 'viewer'] as const) {
    const { context } = await accept(browser, links[key], people[key].password);
    await context.close();
  }

  const lena = await accept(browser, links.lead, people.lead.password);
  const lead = lena.page;
  const errors = watchConsole(lead);

  // Register: every problem is named next to its field, nothing typed is lost.
  await lead.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Services' }).click();
  await lead.getByRole('link', { name: 'Register a service' }).click();
  await expect(lead.getByRole('heading', { level: 1, name: 'Register a service' })).toBeVisible();
  await lead.getByLabel('Name', { exact: true }).fill(service.name);
  await lead.getByLabel('Short name for links').fill('Not A Slug');
  await lead.getByLabel('Repository link').fill('javascript:alert(1)');
  await lead.getByRole('button', { name: 'Register service' }).click();
  await expect(lead.getByText('Use at most 60 lower-case letters')).toBeVisible();
  await expect(lead.getByLabel('Name', { exact: true })).toHaveValue(service.name);
  await lead.getByLabel('Short name for links').fill(service.slug);
  await lead.getByRole('button', { name: 'Register service' }).click();
  await expect(lead.getByText('Choose the owning team.')).toBeVisible();
  await lead.getByLabel('Owning team').selectOption({ label: team });
  await lead.getByRole('button', { name: 'Register service' }).click();
  await expect(lead.getByText('Enter a link starting with http:// or https://.')).toBeVisible();
  await lead.getByLabel('Repository link').fill('https://git.example.com/checkout');
  await lead.getByLabel('Tier').selectOption({ label: 'Tier 1 · critical' });
  await lead.getByLabel('Target launch date').fill('2027-06-30');
  await lead.getByRole('button', { name: 'Register service' }).click();

  // The service page leads with the gate.
  await expect(lead.getByRole('heading', { level: 1, name: service.name })).toBeVisible();
  await expect(lead.getByText('No checklist applied yet')).toBeVisible();
  await lead.getByLabel('Checklist', { exact: true }).selectOption({ label: 'Web application production readiness (23 items)' });
  await lead.getByRole('button', { name: 'Apply checklist' }).click();
  await expect(blocking(lead)).not.toHaveCount(0);
  blockingAtStart = await blocking(lead).count();
  await snapshot(lead, testInfo, 'service-page');

  // A link backs the password-hashing item.
  await openItem(lead, items.link);
  await lead.getByLabel('Status', { exact: true }).selectOption({ label: 'Done' });
  await lead.getByRole('button', { name: 'Save status' }).click();
  await expect(lead.getByText('No evidence: needs a link')).toBeVisible();
  const linkForm = lead.getByRole('form', { name: 'Add a link' });
  await linkForm.getByLabel('Link').fill('ftp://files.example.com/hashing');
  await linkForm.getByRole('button', { name: 'Add link' }).click();
  await expect(linkForm.getByText('Enter a link starting with http:// or https://.')).toBeVisible();
  await linkForm.getByLabel('Link').fill('https://git.example.com/checkout/blob/main/src/auth/hash.rs');
  await linkForm.getByRole('button', { name: 'Add link' }).click();
  await expect(lead.getByRole('list', { name: 'Evidence for this item' }).getByRole('link', { name: /hash\.rs/ })).toBeVisible();
  await expect(lead.getByText('Awaiting 1 more approval')).toBeVisible();

  // A PDF backs the throttling item; an HTML file named .pdf is refused by what it is.
  await openItem(lead, items.pdf);
  await lead.getByLabel('Status', { exact: true }).selectOption({ label: 'Done' });
  await lead.getByRole('button', { name: 'Save status' }).click();
  const upload = lead.getByRole('form', { name: 'Upload a file' });
  await upload.getByLabel('File').setInputFiles({ name: 'lockout.pdf', mimeType: 'application/pdf', buffer: Buffer.from('<!DOCTYPE html><html><script>alert(1)</script></html>') });
  await upload.getByRole('button', { name: 'Upload file' }).click();
  await expect(lead.getByText('Files of this type (HTML document) are not accepted.')).toBeVisible();
  await lead.getByRole('form', { name: 'Upload a file' }).getByLabel('Note').fill('Lockout test run, 2026-11');
  await lead.getByRole('form', { name: 'Upload a file' }).getByLabel('File').setInputFiles({
    name: 'lockout-test.pdf',
    mimeType: 'application/pdf',
    buffer: Buffer.from('%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n'),
  });
  await lead.getByRole('form', { name: 'Upload a file' }).getByRole('button', { name: 'Upload file' }).click();
  await expect(lead.getByRole('list', { name: 'Evidence for this item' }).getByRole('link', { name: 'lockout-test.pdf' })).toBeVisible();
  await expect(lead.getByText('Awaiting 1 more approval')).toBeVisible();
  await snapshot(lead, testInfo, 'item-page');

  // HTTPS is not ready for launch: ask for a waiver.
  await openItem(lead, items.waiver);
  const waiver = lead.getByRole('form', { name: 'Ask for a waiver' });
  await waiver.getByLabel('Reason').fill('The certificate for the new domain arrives next month.');
  await waiver.getByLabel('Compensating control').fill('Traffic is internal only until then; the load balancer refuses public traffic.');
  await waiver.getByLabel('Last day of the waiver').fill(inDays(400));
  await waiver.getByRole('button', { name: 'Ask for waiver' }).click();
  await expect(waiver.getByText('A waiver lasts at most 180 days')).toBeVisible();
  await waiver.getByLabel('Last day of the waiver').fill(inDays(30));
  await waiver.getByRole('button', { name: 'Ask for waiver' }).click();
  await expect(lead.getByRole('list', { name: 'Waivers of this item' })).toContainText('Requested');

  // Nothing is approved yet, so the gate list is as long as before.
  await openService(lead);
  await expect(blocking(lead)).toHaveCount(blockingAtStart);
  await lena.context.close();
  expect(errors.filter((e) => !e.includes('422'))).toEqual([]);
});

test('the auditor rejects one item, approves another, is refused approving their own work, and grants the waiver', async ({ page }, testInfo) => {
  const errors = watchConsole(page);
  // The admin ticks one item themselves (admins may work checklists and review).
  await signIn(page);
  await openItem(page, items.admin);
  await page.getByLabel('Status', { exact: true }).selectOption({ label: 'Done' });
  await page.getByRole('button', { name: 'Save status' }).click();
  await page.getByRole('form', { name: 'Add a link' }).getByLabel('Link').fill('https://git.example.com/checkout/blob/main/src/session.rs');
  await page.getByRole('form', { name: 'Add a link' }).getByRole('button', { name: 'Add link' }).click();
  await expect(page.getByText('You ticked this item or added its evidence, so another reviewer must approve it.')).toBeVisible();
  await expect(page.getByLabel('Decision', { exact: true }).getByRole('option', { name: 'Approve' })).toHaveCount(0);
  await page.getByRole('button', { name: 'Sign out' }).click();

  await signInAs(page, people.auditor);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reviews' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Review queue' })).toBeVisible();
  const queue = page.getByRole('table', { name: 'Items waiting for review' });
  const queued = (title: string) => queue.getByRole('row', { name: new RegExp(`${title}.*${service.name}`) });
  await expect(queued(items.link)).toBeVisible();
  await expect(queued(items.pdf)).toBeVisible();
  await snapshot(page, testInfo, 'review-queue');

  // The PDF is a download, never a page.
  await queued(items.pdf).getByRole('link', { name: items.pdf }).click();
  await expect(page.getByRole('heading', { level: 1, name: items.pdf })).toBeVisible();
  const href = await page.getByRole('link', { name: 'lockout-test.pdf' }).getAttribute('href');
  const file = await page.request.get(href!);
  expect(file.status()).toBe(200);
  expect(file.headers()['content-disposition']).toContain('attachment');
  expect(file.headers()['x-content-type-options']).toBe('nosniff');

  // Reject it with a comment the team will see.
  await page.getByLabel('Decision', { exact: true }).selectOption({ label: 'Reject: send back to the team' });
  await page.getByRole('button', { name: 'Record decision' }).click();
  await expect(page.getByText('Tell the team what is missing or wrong.')).toBeVisible();
  await page.getByLabel('Comment for the team').fill('The log does not show the lockout itself.');
  await page.getByRole('button', { name: 'Record decision' }).click();
  await expect(page.getByText('Rejected: The log does not show the lockout itself.')).toBeVisible();

  // Approve the hashing item.
  await openHydrated(page, '/reviews');
  await queued(items.link).getByRole('link', { name: items.link }).click();
  await page.getByLabel('Decision', { exact: true }).selectOption({ label: 'Approve' });
  await page.getByRole('button', { name: 'Record decision' }).click();
  await expect(page.getByText('Satisfied', { exact: true })).toBeVisible();

  // Grant the waiver.
  await openItem(page, items.waiver);
  await page.getByLabel('Waiver decision').selectOption({ label: 'Grant' });
  await page.getByLabel('Comment on the waiver').fill('Fine while the balancer refuses public traffic.');
  await page.getByRole('button', { name: 'Record waiver decision' }).click();
  await expect(page.getByRole('list', { name: 'Waivers of this item' })).toContainText('Granted');

  // The gate list shrank by two: one approved, one waived.
  await openService(page);
  await expect(blocking(page)).toHaveCount(blockingAtStart - 2);
  await expect(page.getByRole('list', { name: 'Waived items' })).toContainText(items.waiver);
  await snapshot(page, testInfo, 'service-after-review');
  expect(errors.filter((e) => !e.includes('422'))).toEqual([]);
});

test('a viewer reads the service and its items with no edit controls, and forged requests are refused', async ({ page, baseURL }, testInfo) => {
  const errors = watchConsole(page);
  await signInAs(page, people.viewer);
  await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reviews' })).toHaveCount(0);
  await openHydrated(page, `/services?q=${run}`);
  await expect(page.getByRole('row', { name: new RegExp(service.name) })).toContainText('Not ready');
  await expect(page.getByRole('link', { name: 'Register a service' })).toHaveCount(0);
  await page.getByRole('link', { name: service.name }).click();
  await expect(page.getByRole('heading', { level: 1, name: service.name })).toBeVisible();
  for (const control of ['Edit service']) {
    await expect(page.getByRole('link', { name: control })).toHaveCount(0);
  }
  for (const control of ['Apply checklist', 'Archive service', 'Add document']) {
    await expect(page.getByRole('button', { name: control })).toHaveCount(0);
  }
  await page.getByRole('region', { name: 'Web application production readiness' }).getByRole('link', { name: items.pdf }).click();
  await expect(page.getByRole('heading', { level: 1, name: items.pdf })).toBeVisible();
  await expect(page.getByText('Rejected: The log does not show the lockout itself.')).toBeVisible();
  for (const control of ['Save status', 'Add link', 'Upload file', 'Post comment', 'Record decision', 'Withdraw', 'Ask for waiver']) {
    await expect(page.getByRole('button', { name: control })).toHaveCount(0);
  }
  await snapshot(page, testInfo, 'item-viewer');

  // Forged requests from the viewer's session are refused by the server.
  const itemId = new URL(page.url()).pathname.split('/').pop()!;
  const headers = { Origin: baseURL! };
  expect((await page.request.post('/api/items/status', { form: { item_id: itemId, version: '1', status: 'done', justification: '' }, headers })).status()).toBe(403);
  expect((await page.request.post('/api/items/evidence/link', { form: { item_id: itemId, url: 'https://x.example.com', note: '' }, headers })).status()).toBe(403);
  expect((await page.request.post('/api/items/review', { form: { item_id: itemId, version: '1', decision: 'approve', comment: '' }, headers })).status()).toBe(403);
  const href = await page.getByRole('link', { name: 'lockout-test.pdf' }).getAttribute('href');
  expect((await page.request.get(href!)).status()).toBe(403);
  const queue = await page.goto('/reviews');
  expect(queue?.status()).toBe(403);

  // The services list reads well at phone width.
  await page.setViewportSize({ width: 390, height: 844 });
  await openHydrated(page, '/services');
  await snapshot(page, testInfo, 'services-phone');
  await openService(page);
  await snapshot(page, testInfo, 'service-phone', false);
  expect(errors.filter((e) => !/4\d\d/.test(e))).toEqual([]);
});
