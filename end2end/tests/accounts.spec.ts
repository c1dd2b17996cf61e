import { expect, test } from '@playwright/test';
import { ADMIN, openHydrated, signIn, signInOnAnotherDevice, snapshot, watchConsole } from './helpers';

test.describe.configure({ mode: 'serial' });

test('a fresh instance leads to setup, which checks every field', async ({ page }, testInfo) => {
  const errors = watchConsole(page);
  await openHydrated(page, '/');
  // Other tests may already have created the administrator on this server.
  test.skip(new URL(page.url()).pathname !== '/setup', 'setup already completed on this server');

  await expect(page.getByRole('heading', { name: 'Welcome to Preflight' })).toBeVisible();
  await page.getByLabel('Your name').fill(' ');
  await page.getByLabel('Email').fill('not-an-email');
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create administrator' }).click();
  // The server checks one problem at a time, starting with the name.
  await expect(page.getByText('Enter your name.')).toBeVisible();
  await expect(page.getByLabel('Your name')).toHaveAttribute('aria-invalid', 'true');

  await page.getByLabel('Your name').fill(ADMIN.name);
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await expect(page.getByText('Enter an email address like name@example.com.')).toBeVisible();
  await expect(page.getByLabel('Your name')).toHaveValue(ADMIN.name);

  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill('password1234');
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await expect(page.getByText(/too common/)).toBeVisible();
  await expect(page.getByLabel('Email')).toHaveValue(ADMIN.email);
  await snapshot(page, testInfo, 'setup-errors');

  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Create administrator' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Launch readiness at a glance' })).toBeVisible();
  await expect(page.getByText(ADMIN.name)).toBeVisible();

  // Setup is gone for good.
  const again = await page.goto('/setup');
  expect(again?.status()).toBe(404);
  expect(errors.filter((e) => !e.includes('404') && !e.includes('422'))).toEqual([]);
});

test('sign out, a wrong password, then sign in', async ({ page }, testInfo) => {
  const errors = watchConsole(page);
  await signIn(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();

  // Signed out means signed out: pages send you back here.
  await openHydrated(page, '/status');
  await expect(page).toHaveURL(/\/login$/);

  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill('not my password at all');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText('That email and password do not match an account.')).toBeVisible();
  await expect(page.getByLabel('Email')).toHaveValue(ADMIN.email);
  await snapshot(page, testInfo, 'login-error');

  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Launch readiness at a glance' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  expect(errors.filter((e) => !e.includes('422'))).toEqual([]);
});

test('the sessions page ends a session on another device', async ({ page, browser }, testInfo) => {
  const errors = watchConsole(page);
  await signIn(page);
  const { context: otherDevice, page: other } = await signInOnAnotherDevice(browser);

  await page.getByRole('link', { name: ADMIN.name }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
  await page.getByRole('link', { name: 'Your sessions' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Your sessions' })).toBeVisible();
  const sessions = page.getByRole('list', { name: 'Sessions' }).getByRole('listitem');
  await expect(sessions.filter({ hasText: 'This device' })).toHaveCount(1);
  const others = sessions.filter({ hasNotText: 'This device' });
  expect(await others.count()).toBeGreaterThanOrEqual(1);
  await snapshot(page, testInfo, 'sessions');

  await page.getByRole('button', { name: 'Sign out everywhere else' }).click();
  await expect(others).toHaveCount(0);
  await expect(sessions).toHaveCount(1);

  // The other device is signed out on its next page load.
  await other.goto('/status');
  await expect(other).toHaveURL(/\/login$/);
  await otherDevice.close();
  expect(errors).toEqual([]);
});

test('changing the password checks the current one and signs out other devices', async ({ page, browser }, testInfo) => {
  const errors = watchConsole(page);
  await signIn(page);
  const { context: otherDevice, page: other } = await signInOnAnotherDevice(browser);

  await openHydrated(page, '/account');
  // The page also has a profile form with its own current-password field.
  const passwordForm = page.getByRole('region', { name: 'Change password' });
  await passwordForm.getByLabel('Current password').fill('not my password');
  await passwordForm.getByLabel('New password', { exact: true }).fill('an interim passphrase');
  await passwordForm.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText('That is not your current password.')).toBeVisible();
  await snapshot(page, testInfo, 'account-error');

  await passwordForm.getByLabel('Current password').fill(ADMIN.password);
  await passwordForm.getByRole('button', { name: 'Change password' }).click();
  await expect(passwordForm.getByRole('status')).toHaveText('Password changed. Other sessions were signed out.');
  await other.goto('/status');
  await expect(other).toHaveURL(/\/login$/);

  // Put the shared test password back for the tests that follow.
  await passwordForm.getByLabel('Current password').fill('an interim passphrase');
  await passwordForm.getByLabel('New password', { exact: true }).fill(ADMIN.password);
  const restored = page.waitForResponse((r) => r.url().endsWith('/api/account/password'));
  await passwordForm.getByRole('button', { name: 'Change password' }).click();
  expect((await restored).status()).toBe(200);
  await otherDevice.close();
  expect(errors.filter((e) => !e.includes('422'))).toEqual([]);
});
