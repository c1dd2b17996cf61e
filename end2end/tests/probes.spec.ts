import { expect, test } from '@playwright/test';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  accept,
  createTeam,
  inviteLead,
  openHydrated,
  registerWithResilience,
  signIn,
  snapshot,
  unique,
  watchConsole,
} from './helpers';

/** A health endpoint on loopback whose answer the test sets. */
async function startTarget() {
  const state = { status: 200 };
  const server = http.createServer((_req, res) => {
    res.writeHead(state.status, { 'content-type': 'text/plain' });
    res.end(state.status === 200 ? 'ok' : 'failing');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { state, url: `http://127.0.0.1:${port}/health`, close: () => new Promise((r) => server.close(r)) };
}

test('a lead adds an HTTP probe, sees it go up and then down live, and refused targets are named next to the field', async ({ page, browser }, testInfo) => {
  const target = await startTarget();
  try {
    // The admin lets probes reach loopback, where the test's service runs.
    await signIn(page);
    await openHydrated(page, '/admin/settings');
    await page.getByLabel('Allowed private addresses').fill('# the test target\n10.0.0.0/33');
    await page.getByRole('button', { name: 'Save allowed addresses' }).click();
    await expect(page.getByText(/line 2: .10.0.0.0\/33./)).toBeVisible();
    await page.getByLabel('Allowed private addresses').fill('# the test target\n127.0.0.0/8');
    await page.getByRole('button', { name: 'Save allowed addresses' }).click();
    await expect(page.getByText('Saved. Probes use the new list from their next check.')).toBeVisible();
    await snapshot(page, testInfo, 'settings-outbound');

    // A team with a lead and a service.
    const team = unique('Checkout');
    const teamPath = await createTeam(page, team);
    const leadName = unique('Pia Probe');
    const link = await inviteLead(page, teamPath, leadName, `${leadName.split(' ').pop()}-probe@example.com`);
    const service = await registerWithResilience(page, unique('Checkout API'), team);
    const pia = await accept(browser, link, 'pia watches the checkout');
    const lead = pia.page;
    const errors = watchConsole(lead);

    // No probes yet: the service page says what they are for.
    await openHydrated(lead, `/services/${service.slug}`);
    const panel = lead.getByRole('region', { name: 'Live probes' });
    await expect(panel).toContainText('No probes yet');
    await panel.getByRole('link', { name: 'Add HTTP probe' }).click();
    await expect(lead.getByRole('heading', { level: 1, name: 'Add HTTP probe' })).toBeVisible();

    // Bad input is named next to its field; the metadata address is refused.
    await lead.getByLabel('Name', { exact: true }).fill('Health endpoint');
    await lead.getByLabel('URL', { exact: true }).fill('http://169.254.169.254/latest/meta-data/');
    await lead.getByLabel('Interval (seconds)').fill('5');
    await lead.getByRole('button', { name: 'Add probe' }).click();
    await expect(lead.getByLabel('Interval (seconds)')).toHaveAttribute('aria-invalid', 'true');
    await lead.getByLabel('Interval (seconds)').fill('10');
    await lead.getByRole('button', { name: 'Add probe' }).click();
    await expect(lead.getByLabel('URL', { exact: true })).toHaveAttribute('aria-invalid', 'true');
    await expect(lead.getByText(/does not connect to this address/)).toBeVisible();
    await snapshot(lead, testInfo, 'probe-new-errors');

    await lead.getByLabel('URL', { exact: true }).fill(target.url);
    // One failure makes it down and one success up again, so every step
    // below follows from one check (slots may add more, never fewer).
    await lead.getByLabel('Failures before down').fill('1');
    await lead.getByLabel('Successes before up again').fill('1');
    await lead.getByRole('button', { name: 'Add probe' }).click();
    const heading = lead.getByRole('heading', { level: 1 });
    await expect(heading).toContainText('Health endpoint');

    // The page is marked: had it reloaded, the mark would be gone.
    await lead.evaluate(() => ((window as unknown as { stillHere: boolean }).stillHere = true));
    await lead.getByRole('button', { name: 'Check now' }).click();
    await expect(heading).toContainText('Up');
    await expect(lead.getByRole('table').first()).toContainText('Up');

    // The service starts failing: down, without a reload.
    target.state.status = 503;
    await lead.getByRole('button', { name: 'Check now' }).click();
    await expect(heading).toContainText('Down');
    await expect(lead.getByText('Status 503 is not in 200-299.').first()).toBeVisible();
    expect(await lead.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true);
    await snapshot(lead, testInfo, 'probe-down');

    // The charts draw the checks so far, over a window chosen by a link.
    const charts = lead.getByRole('region', { name: 'Latency and errors' });
    await expect(charts.getByRole('img', { name: 'Latency p50 and p95 over 24 hours' })).toBeVisible();
    await expect(charts.getByRole('img', { name: 'Failed checks over 24 hours' })).toBeVisible();
    await charts.getByRole('link', { name: '7 days' }).click();
    await expect(charts.getByRole('img', { name: 'Failed checks over 7 days' })).toBeVisible();
    await charts.scrollIntoViewIfNeeded();
    await snapshot(lead, testInfo, 'probe-charts');

    // The service page lists it with its status.
    await openHydrated(lead, `/services/${service.slug}`);
    const row = panel.getByRole('row', { name: /Health endpoint/ });
    await expect(row).toContainText('Down');
    await expect(row).toContainText(target.url);
    await snapshot(lead, testInfo, 'service-probes');

    // It recovers live on the service page too.
    target.state.status = 200;
    await lead.evaluate(() => ((window as unknown as { stillHere: boolean }).stillHere = true));
    await row.getByRole('link', { name: 'Health endpoint' }).click();
    await lead.getByRole('button', { name: 'Check now' }).click();
    await expect(heading).toContainText('Up');
    await lead.setViewportSize({ width: 390, height: 844 });
    await snapshot(lead, testInfo, 'probe-phone');
    expect(errors.filter((e) => !/4\d\d/.test(e))).toEqual([]);
    await pia.context.close();
  } finally {
    await target.close();
  }
});
