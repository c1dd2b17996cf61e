import { expect, test } from '@playwright/test';
import { ADMIN, accept, invite, openHydrated, signIn, snapshot, totp, unique, watchConsole } from './helpers';

test.describe.configure({ mode: 'serial' });

test('an admin builds a team and invites a viewer, who sees no edit controls and cannot forge one', async ({ page, browser, baseURL }, testInfo) => {
  const errors = watchConsole(page);
  await signIn(page);
  const team = unique('Payments');

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Teams' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Teams' })).toBeVisible();
  await page.getByRole('button', { name: 'Create team' }).click();
  await expect(page.getByText('Enter a team name.')).toBeVisible();
  await page.getByLabel('Team name').fill(team);
  await page.getByRole('button', { name: 'Create team' }).click();
  await expect(page.getByRole('link', { name: team })).toBeVisible();
  await snapshot(page, testInfo, 'teams');

  const email = `vera-${Date.now()}@example.com`;
  const link = await invite(page, 'Vera Viewer', email, 'viewer');
  await expect(page.getByRole('row', { name: /Vera Viewer/ })).toContainText('Invited');
  await snapshot(page, testInfo, 'people');

  const viewer = await accept(browser, link, 'vera reads the scorecards');
  const nav = viewer.page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Teams' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'People' })).toHaveCount(0);

  // Viewers only read, so the team page does not offer her as a member;
  // the admin leads the team.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Teams' }).click();
  await page.getByRole('link', { name: team }).click();
  await expect(page.getByRole('heading', { level: 1, name: team })).toBeVisible();
  await expect(page.getByLabel('Person').getByRole('option', { name: /Vera Viewer/ })).toHaveCount(0);
  await page.getByLabel('Person').selectOption({ label: `${ADMIN.name} (${ADMIN.email})` });
  await page.getByLabel('Team role').selectOption({ label: 'Lead' });
  await page.getByRole('button', { name: 'Add to team' }).click();
  await expect(page.getByRole('row', { name: new RegExp(ADMIN.name) })).toContainText('Lead');
  await snapshot(page, testInfo, 'team-admin');
  const teamPath = new URL(page.url()).pathname;
  const teamId = teamPath.split('/').pop()!;

  // The viewer sees the team and its members, and nothing to change.
  await openHydrated(viewer.page, teamPath);
  await expect(viewer.page.getByRole('heading', { level: 1, name: team })).toBeVisible();
  await expect(viewer.page.getByRole('row', { name: new RegExp(ADMIN.name) })).toBeVisible();
  for (const control of ['Add to team', 'Rename', 'Archive team', 'Remove']) {
    await expect(viewer.page.getByRole('button', { name: control })).toHaveCount(0);
  }
  await snapshot(viewer.page, testInfo, 'team-viewer');

  // Forged requests from her session are refused by the server.
  const forged = await viewer.page.request.post('/api/teams/rename', {
    form: { team_id: teamId, name: 'Hijacked' },
    headers: { Origin: baseURL! },
  });
  expect(forged.status()).toBe(403);
  const promote = await viewer.page.request.post('/api/admin/users/role', {
    form: { user_id: '1', role: 'viewer' },
    headers: { Origin: baseURL! },
  });
  expect(promote.status()).toBe(403);
  const adminPage = await viewer.page.goto('/admin/users');
  expect(adminPage?.status()).toBe(403);
  await openHydrated(page, teamPath);
  await expect(page.getByRole('heading', { level: 1, name: team })).toBeVisible();

  // Her own name is hers to change.
  await openHydrated(viewer.page, '/account');
  await viewer.page.getByLabel('Name', { exact: true }).fill('Vera V. Viewer');
  await viewer.page.getByRole('button', { name: 'Save name and email' }).click();
  await expect(viewer.page.getByText('Saved.')).toBeVisible();
  await openHydrated(viewer.page, '/');
  await expect(viewer.page.getByRole('link', { name: 'Vera V. Viewer' })).toBeVisible();
  await viewer.context.close();
  expect(errors.filter((e) => !/4\d\d/.test(e))).toEqual([]);
});

test('an invited admin turns on two-step sign-in and signs in with a code', async ({ page, browser }, testInfo) => {
  await signIn(page);
  const email = `otto-${Date.now()}@example.com`;
  const password = 'otto keeps two keys';
  const link = await invite(page, 'Otto Admin', email, 'admin');
  const otto = await accept(browser, link, password);
  const errors = watchConsole(otto.page);

  await otto.page.getByRole('link', { name: 'Otto Admin' }).click();
  await expect(otto.page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
  await snapshot(otto.page, testInfo, 'account');
  await otto.page.getByRole('link', { name: 'Manage two-step sign-in' }).click();
  // A new phone is only added after the current password.
  await otto.page.getByLabel('Current password').fill('not my password at all');
  await otto.page.getByRole('button', { name: 'Set up two-step sign-in' }).click();
  await expect(otto.page.getByText('That is not your current password.')).toBeVisible();
  await otto.page.getByLabel('Current password').fill(password);
  await otto.page.getByRole('button', { name: 'Set up two-step sign-in' }).click();
  await expect(otto.page.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
  const key = (await otto.page.getByText(/^[A-Z2-7]{4}( [A-Z2-7]{1,4})+$/).innerText()).replace(/\s/g, '');
  await snapshot(otto.page, testInfo, 'mfa-enrol');

  await otto.page.getByLabel('Code from the app').fill('000000');
  await otto.page.getByRole('button', { name: 'Turn on' }).click();
  await expect(otto.page.getByText('That code does not match.', { exact: false })).toBeVisible();
  await otto.page.getByLabel('Code from the app').fill(totp(key));
  await otto.page.getByRole('button', { name: 'Turn on' }).click();
  await expect(otto.page.getByRole('heading', { name: 'Your recovery codes' })).toBeVisible();
  await expect(otto.page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem')).toHaveCount(10);
  await snapshot(otto.page, testInfo, 'mfa-codes');
  await otto.page.getByRole('link', { name: 'I have saved them' }).click();

  await otto.page.getByRole('button', { name: 'Sign out' }).click();
  await expect(otto.page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await otto.page.getByLabel('Email').fill(email);
  await otto.page.getByLabel('Password').fill(password);
  await otto.page.getByRole('button', { name: 'Sign in' }).click();
  await expect(otto.page.getByRole('heading', { name: 'Two-step sign-in' })).toBeVisible();
  await expect(otto.page).toHaveURL(/\/login\/verify$/);
  await snapshot(otto.page, testInfo, 'mfa-verify');
  // The enrolment code's step is used up; the next step's code is fresh.
  await otto.page.getByLabel('Code').fill(totp(key, 1));
  await otto.page.getByRole('button', { name: 'Verify' }).click();
  await expect(otto.page.getByRole('heading', { level: 1, name: 'Launch readiness at a glance' })).toBeVisible();
  await expect(otto.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'People' })).toBeVisible();

  // Otto loses his phone and his codes: an administrator resets two-step
  // sign-in, which also signs him out everywhere.
  await openHydrated(page, '/admin/users');
  await page.getByRole('link', { name: 'Otto Admin' }).click();
  await page.getByRole('button', { name: 'Reset two-step sign-in' }).click();
  await expect(page.getByText('Two-step sign-in was reset', { exact: false })).toBeVisible();
  await snapshot(page, testInfo, 'mfa-reset');
  await otto.page.reload();
  await expect(otto.page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await otto.context.close();
  expect(errors.filter((e) => !/4\d\d/.test(e))).toEqual([]);
});

test('forgot password gives one answer for every email; settings show the MFA rule', async ({ page }, testInfo) => {
  await openHydrated(page, '/login');
  test.skip(new URL(page.url()).pathname !== '/login', 'a session is already open');
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await expect(page.getByRole('heading', { name: 'Reset your password' })).toBeVisible();
  await page.getByLabel('Email').fill('nobody-at-all@example.com');
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await expect(page.getByText('If that email belongs to an account', { exact: false })).toBeVisible();
  await snapshot(page, testInfo, 'forgot');

  await signIn(page);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { name: 'Two-step sign-in for administrators' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Require it' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Allow downloads' })).toBeVisible();
  await snapshot(page, testInfo, 'settings');
});
