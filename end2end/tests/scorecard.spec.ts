import { expect, test } from '@playwright/test';
import { accept, createTeam, invite, openHydrated, registerWithResilience, signIn, snapshot, unique, watchConsole } from './helpers';

test('a stakeholder reads the organisation scorecard, a team, a service and its history, and prints it, with no edit controls', async ({ page, browser }, testInfo) => {
  // The admin sets up a team with a service working a checklist, publishes
  // its badge, and invites a stakeholder (viewer).
  await signIn(page);
  const team = unique('Ledger');
  await createTeam(page, team);
  const { name, slug } = await registerWithResilience(page, unique('Ledger API'), team);
  await expect(page.getByRole('heading', { name: 'Score history' })).toBeVisible();
  await page.getByRole('button', { name: 'Make badge public' }).click();
  await expect(page.getByRole('img', { name: 'Status badge: level and gate' })).toBeVisible();
  const badge = await page.request.get(`/badge/${slug}.svg`);
  expect(badge.status()).toBe(200);
  expect(await badge.text()).toContain('preflight: no level · not ready');

  const vName = unique('Stella Stakeholder');
  const link = await invite(page, vName, `${vName.split(' ').pop()}-stake@example.com`, 'viewer');
  const viewer = await accept(browser, link, 'stella reads the scorecards');
  const sp = viewer.page;
  const errors = watchConsole(sp);

  // The organisation at a glance: totals, teams, history, every service.
  await openHydrated(sp, '/');
  await expect(sp.getByRole('heading', { level: 1, name: 'Launch readiness at a glance' })).toBeVisible();
  await expect(sp.getByRole('heading', { name: 'Ready to launch' })).toBeVisible();
  await expect(sp.getByRole('heading', { name: 'Organisation score history' })).toBeVisible();
  await expect(sp.getByRole('img', { name: /^Score from / })).toBeVisible();
  // Filtered to the team, the service is listed with its gate.
  await sp.getByLabel('Team', { exact: true }).selectOption({ label: team });
  await sp.getByRole('button', { name: 'Apply' }).click();
  const row = sp.getByRole('row', { name: new RegExp(name) });
  await expect(row).toContainText('Not ready');
  await snapshot(sp, testInfo, 'org-scorecard');

  // The team, with its history.
  await openHydrated(sp, '/');
  await sp.getByRole('table').getByRole('link', { name: team }).click();
  await expect(sp.getByRole('heading', { level: 1, name: team })).toBeVisible();
  await expect(sp.getByRole('heading', { name: 'Team score history' })).toBeVisible();
  await sp.getByRole('link', { name: '1 year' }).click();
  await expect(sp).toHaveURL(/days=365/);
  await expect(sp.getByRole('img', { name: /^Score from / })).toBeVisible();

  // The service: gate first, its history, and nothing a viewer could change.
  await openHydrated(sp, `/services/${slug}`);
  await expect(sp.getByRole('heading', { level: 1, name })).toBeVisible();
  const chart = sp.getByRole('img', { name: /^Score from / });
  await expect(chart).toBeVisible();
  await expect(chart).toHaveAttribute('aria-label', /recorded days/);
  for (const control of ['Edit service', 'Archive service', 'Make badge public', 'Apply checklist']) {
    await expect(sp.getByRole('button', { name: control })).toHaveCount(0);
    await expect(sp.getByRole('link', { name: control })).toHaveCount(0);
  }
  await snapshot(sp, testInfo, 'service-history');

  // On paper: no navigation or buttons, and the line naming the audit chain head.
  await sp.emulateMedia({ media: 'print' });
  await expect(sp.getByRole('navigation', { name: 'Main' })).toBeHidden();
  await expect(sp.getByRole('button', { name: 'Print' })).toBeHidden();
  await expect(sp.getByText(/They reflect the audit trail up to entry #\d+ [0-9a-f]{16}/)).toBeVisible();
  await snapshot(sp, testInfo, 'service-print');
  await sp.emulateMedia({ media: 'screen' });

  await viewer.context.close();
  expect(errors).toEqual([]);
});
