import { expect, type Browser, type Page, type TestInfo } from '@playwright/test';
import { createHmac } from 'node:crypto';
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

/** Saves a screenshot (the full page unless `fullPage` is false) under test-results/screenshots/. */
export async function snapshot(page: Page, testInfo: TestInfo, name: string, fullPage = true) {
  const file = path.join('test-results', 'screenshots', `${testInfo.project.name}-${name}.png`);
  await page.screenshot({ path: file, fullPage });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
}

export const ADMIN = { name: 'Grace Hopper', email: 'grace@example.com', password: 'a ship in port is safe' };

/**
 * Signs in as the first administrator, creating that account first when the
 * instance is still fresh. Works whatever ran before.
 */
export async function signIn(page: Page) {
  await openHydrated(page, '/');
  if (new URL(page.url()).pathname === '/setup') {
    await page.getByLabel('Your name').fill(ADMIN.name);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create administrator' }).click();
  } else if (new URL(page.url()).pathname === '/login') {
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await expect(page.getByRole('heading', { level: 1, name: 'Launch readiness at a glance' })).toBeVisible();
}

/** A second browser, signed in as the administrator: "another device". */
export async function signInOnAnotherDevice(browser: Browser) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page);
  return { context, page };
}

/**
 * The TOTP code (RFC 6238: HMAC-SHA1, 6 digits, 30 s) for a base32 key,
 * `stepOffset` steps from now: the test plays the phone.
 */
export function totp(base32Key: string, stepOffset = 0): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of base32Key.replace(/[\s=]/g, '').toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const step = Math.floor(Date.now() / 30_000) + stepOffset;
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, '0');
}

/** A name no earlier run on the same database has used. */
export function unique(prefix: string): string {
  return `${prefix} ${Math.random().toString(36).slice(2, 7)}`;
}

/** As the signed-in admin: adds a person on the People page and returns their invitation link. */
export async function invite(page: Page, name: string, email: string, role: string) {
  await openHydrated(page, '/admin/users');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Role', { exact: true }).selectOption(role);
  await page.getByRole('button', { name: 'Add and create invitation' }).click();
  await expect(page.getByText(`Invitation link for ${name}`)).toBeVisible();
  const link = await page.getByLabel('Link').inputValue();
  expect(link).toContain('/invite/');
  return link;
}

/** Opens an invitation in a browser of its own and chooses a password. */
export async function accept(browser: Browser, link: string, password: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await openHydrated(page, new URL(link).pathname);
  await expect(page.getByRole('heading', { name: 'Welcome to Preflight' })).toBeVisible();
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Launch readiness at a glance' })).toBeVisible();
  return { context, page };
}


/** As the signed-in admin: creates a team and returns the path of its page. */
export async function createTeam(page: Page, team: string) {
  await openHydrated(page, '/teams');
  await page.getByLabel('Team name').fill(team);
  await page.getByRole('button', { name: 'Create team' }).click();
  await page.getByRole('link', { name: team }).click();
  await expect(page.getByRole('heading', { level: 1, name: team })).toBeVisible();
  return new URL(page.url()).pathname;
}

/** On a team's page, as its admin: invites a member and makes them the team's lead; returns the invitation link. */
export async function inviteLead(page: Page, teamPath: string, name: string, email: string) {
  const link = await invite(page, name, email, 'member');
  await openHydrated(page, teamPath);
  await page.getByLabel('Person').selectOption({ label: `${name} (${email})` });
  await page.getByLabel('Team role').selectOption({ label: 'Lead' });
  await page.getByRole('button', { name: 'Add to team' }).click();
  await expect(page.getByRole('row', { name: new RegExp(name) })).toContainText('Lead');
  return link;
}

/** Registers a service of `team` and applies the 13-item operational resilience checklist. */
export async function registerWithResilience(page: Page, name: string, team: string) {
  const slug = name.toLowerCase().replace(/ /g, '-');
  await openHydrated(page, '/services/new');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Short name for links').fill(slug);
  await page.getByLabel('Owning team').selectOption({ label: team });
  await page.getByRole('button', { name: 'Register service' }).click();
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  await page.getByLabel('Checklist', { exact: true }).selectOption({ label: 'Operational resilience review (13 items)' });
  await page.getByRole('button', { name: 'Apply checklist' }).click();
  await expect(page.getByRole('region', { name: 'Operational resilience review' })).toBeVisible();
  return { name, slug };
}
