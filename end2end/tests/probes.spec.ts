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

    // The organisation's probes page lists it among the down ones, and the
    // overview counts it.
    await openHydrated(lead, '/probes');
    await lead.getByRole('link', { name: /^Down \(\d+\)$/ }).click();
    const orgRow = lead.getByRole('table', { name: 'Probes of the organisation' }).getByRole('row', { name: /Health endpoint/ });
    await expect(orgRow).toContainText('Down');
    await expect(orgRow.getByRole('link', { name: service.name })).toBeVisible();
    await snapshot(lead, testInfo, 'org-probes');
    await openHydrated(lead, '/');
    await expect(lead.getByRole('region', { name: 'Live probes' })).toContainText(/\d+ down/);

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

/** A webhook receiver on loopback: keeps each notification's JSON body and signature header. */
async function startReceiver() {
  const seen: { event: string; signature: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      try {
        seen.push({ event: JSON.parse(body).event, signature: String(req.headers['x-preflight-signature'] ?? '') });
      } catch {
        seen.push({ event: 'unreadable', signature: '' });
      }
      res.writeHead(204);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { seen, url: `http://127.0.0.1:${port}/preflight`, close: () => new Promise((r) => server.close(r)) };
}

test('a lead sets up a channel and a down rule, an incident shows live, and the uptime item follows the probe', async ({ page, browser }, testInfo) => {
  // Checks run at their 10-second slots here, not on demand.
  test.setTimeout(180_000);
  const target = await startTarget();
  const receiver = await startReceiver();
  try {
    await signIn(page);
    await openHydrated(page, '/admin/settings');
    await page.getByLabel('Allowed private addresses').fill('127.0.0.0/8');
    await page.getByRole('button', { name: 'Save allowed addresses' }).click();
    await expect(page.getByText('Saved. Probes use the new list from their next check.')).toBeVisible();
    const team = unique('Ledger');
    const teamPath = await createTeam(page, team);
    const leadName = unique('Ola Alert');
    const link = await inviteLead(page, teamPath, leadName, `${leadName.split(' ').pop()}-alert@example.com`);
    const service = await registerWithResilience(page, unique('Ledger API'), team);
    // The web-application checklist has the "uptime is monitored" item.
    await page.getByLabel('Checklist', { exact: true }).selectOption({ label: 'Web application production readiness (23 items)' });
    await page.getByRole('button', { name: 'Apply checklist' }).click();
    await expect(page.getByRole('region', { name: 'Web application production readiness' })).toBeVisible();
    const ola = await accept(browser, link, 'ola answers the pager');
    const lead = ola.page;
    const errors = watchConsole(lead);

    // A webhook channel on the team's alerts page; a bad URL is named by its field.
    await openHydrated(lead, teamPath);
    await lead.getByRole('link', { name: 'Alert channels' }).click();
    await expect(lead.getByRole('heading', { level: 1, name: 'Alert channels' })).toBeVisible();
    await expect(lead.getByText('No channels yet.')).toBeVisible();
    await lead.getByLabel('Kind').selectOption({ label: 'Webhook' });
    await lead.getByLabel('Name').fill('Pager');
    await lead.getByLabel('URL or address').fill('ftp://example.com/hook');
    await lead.getByRole('button', { name: 'Add channel' }).click();
    await expect(lead.getByLabel('URL or address')).toHaveAttribute('aria-invalid', 'true');
    await expect(lead.getByText('Only http and https URLs are allowed.')).toBeVisible();
    await lead.getByLabel('URL or address').fill(receiver.url);
    await lead.getByRole('button', { name: 'Add channel' }).click();
    await expect(lead.getByText('Copy it now: it is not shown again.')).toBeVisible();
    const channels = lead.getByRole('table', { name: 'Channels' });
    await expect(channels.getByRole('row', { name: /Pager/ })).toContainText('http://127.0.0.1/…');

    // "Send test" answers at once, and the delivery is listed.
    await lead.getByRole('button', { name: 'Send a test to Pager' }).click();
    await expect(lead.getByText('Sent: the receiver took the test notification.')).toBeVisible();
    expect(receiver.seen.map((s) => s.event)).toEqual(['test']);
    expect(receiver.seen[0].signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const deliveries = lead.getByRole('table', { name: 'Recent deliveries' });
    await expect(deliveries.getByRole('row', { name: /Test: Preflight reaches “Pager”/ })).toContainText('Delivered');
    await snapshot(lead, testInfo, 'alert-channels');

    // An HTTP probe that is down after one failure.
    await openHydrated(lead, `/services/${service.slug}/probes/new?kind=http`);
    await lead.getByLabel('Name', { exact: true }).fill('Ledger health');
    await lead.getByLabel('URL', { exact: true }).fill(target.url);
    await lead.getByLabel('Interval (seconds)').fill('10');
    await lead.getByLabel('Failures before down').fill('1');
    await lead.getByLabel('Successes before up again').fill('1');
    await lead.getByRole('button', { name: 'Add probe' }).click();
    await expect(lead.getByRole('heading', { level: 1 })).toContainText('Ledger health');

    // A down rule to the channel, from the service's alerts page.
    await openHydrated(lead, `/services/${service.slug}`);
    await lead.getByRole('link', { name: 'Alert rules and maintenance windows' }).click();
    await expect(lead.getByRole('heading', { level: 1 })).toContainText('Alerts for');
    await lead.getByLabel('Notify when').selectOption({ label: 'The probe is down' });
    await lead.getByRole('button', { name: 'Add rule' }).click();
    await expect(lead.getByText('Choose at least one channel to send to.')).toBeVisible();
    await lead.getByRole('checkbox', { name: 'Pager' }).check();
    await lead.getByRole('button', { name: 'Add rule' }).click();
    const rules = lead.getByRole('table', { name: 'Rules' });
    await expect(rules.getByRole('row', { name: /Probe down/ })).toContainText('Pager');
    // A maintenance window planned for later; a window in the past is refused.
    const once = lead.locator('form').filter({ has: lead.getByRole('heading', { name: 'Once' }) });
    await once.getByLabel('Starts (UTC)').fill('2001-01-01T02:00');
    await once.getByLabel('Ends (UTC)').fill('2001-01-01T03:00');
    await once.getByRole('button', { name: 'Add window' }).click();
    await expect(once.getByText('That time has passed; a window must end in the future.')).toBeVisible();
    await once.getByLabel('Starts (UTC)').fill('2099-03-01T02:00');
    await once.getByLabel('Ends (UTC)').fill('2099-03-01T04:00');
    await once.getByLabel('Note').fill('Ledger migration');
    await once.getByRole('button', { name: 'Add window' }).click();
    await expect(lead.getByRole('region', { name: 'Maintenance windows' })).toContainText(
      '2099-03-01 02:00 to 2099-03-01 04:00 (UTC) · Ledger migration',
    );
    // A weekly window that fell yesterday noon (UTC): the charts shade it.
    const days = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
    const yesterday = days[(new Date().getUTCDay() + 5) % 7];
    const weekly = lead.locator('form').filter({ has: lead.getByRole('heading', { name: 'Every week' }) });
    await weekly.getByLabel('Day (UTC)').selectOption({ label: yesterday });
    await weekly.getByLabel('From (UTC)').fill('12:00');
    await weekly.getByLabel('For (minutes)').fill('60');
    await weekly.getByRole('button', { name: 'Add weekly window' }).click();
    await expect(lead.getByRole('region', { name: 'Maintenance windows' })).toContainText(
      `Every ${yesterday} from 12:00 for 1 h (UTC)`,
    );
    await snapshot(lead, testInfo, 'service-alerts');
    await openHydrated(lead, `/services/${service.slug}`);
    await lead.getByRole('region', { name: 'Live probes' }).getByRole('link', { name: 'Ledger health' }).click();
    await lead.getByRole('navigation', { name: 'Chart window' }).getByRole('link', { name: '7 days' }).click();
    await expect(lead.getByText('maintenance windows, when alerts are silenced.')).toBeVisible();
    await lead.getByRole('region', { name: 'Latency and errors' }).scrollIntoViewIfNeeded();
    await snapshot(lead, testInfo, 'probe-chart-maintenance');

    // The target fails: the service page shows the incident without a reload.
    await openHydrated(lead, `/services/${service.slug}`);
    const panel = lead.getByRole('region', { name: 'Live probes' });
    const probeRow = panel.getByRole('table', { name: 'Probes of this service' }).getByRole('row', { name: /Ledger health/ });
    await expect(probeRow).toContainText('Up', { timeout: 25_000 });
    await lead.evaluate(() => ((window as unknown as { stillHere: boolean }).stillHere = true));
    target.state.status = 503;
    const incidents = panel.getByRole('table', { name: 'Incidents' });
    await expect(incidents.getByRole('row', { name: /Probe down/ })).toContainText('Ongoing', { timeout: 25_000 });
    await expect(probeRow).toContainText('Down');
    await expect.poll(() => receiver.seen.map((s) => s.event), { timeout: 20_000 }).toContain('trigger');
    await snapshot(lead, testInfo, 'service-incident');

    // It recovers: the incident ends, still without a reload.
    target.state.status = 200;
    await expect(incidents.getByRole('row', { name: /Probe down/ })).not.toContainText('Ongoing', { timeout: 25_000 });
    await expect.poll(() => receiver.seen.map((s) => s.event), { timeout: 20_000 }).toContain('recovery');
    expect(await lead.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true);

    // The "uptime is monitored" item is proven by the probe, its rule and channel...
    const uptimeItem = 'Uptime is monitored from outside and alerts someone who can act';
    await lead.getByRole('link', { name: uptimeItem }).first().click();
    await expect(lead.getByRole('heading', { level: 1, name: uptimeItem })).toBeVisible();
    const itemPath = new URL(lead.url()).pathname;
    const standing = lead.getByRole('region', { name: 'Where it stands' });
    await expect(async () => {
      await openHydrated(lead, itemPath);
      await expect(standing.getByText(/^Proven by live data/)).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
    await expect(standing.getByText('Satisfied', { exact: true })).toBeVisible();
    await expect(standing.getByRole('list', { name: 'Live figures' })).toContainText('“Ledger health”: Up');
    await snapshot(lead, testInfo, 'item-live-proof');

    // ...and stops counting, saying why, once the probe is paused.
    await openHydrated(lead, `/services/${service.slug}`);
    await panel.getByRole('link', { name: 'Ledger health' }).click();
    await lead.getByRole('button', { name: 'Pause' }).click();
    await expect(lead.getByRole('heading', { level: 1 })).toContainText('Paused');
    await expect(async () => {
      await openHydrated(lead, itemPath);
      await expect(standing.getByText(/^Not proven by live data/)).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
    await expect(standing).toContainText('No active HTTP or TCP probe checks this service.');
    await snapshot(lead, testInfo, 'item-live-proof-lost');
    // The alert pages at phone width.
    await lead.setViewportSize({ width: 390, height: 844 });
    await openHydrated(lead, `/services/${service.slug}/alerts`);
    await expect(lead.getByRole('table', { name: 'Rules' })).toBeVisible();
    await snapshot(lead, testInfo, 'service-alerts-phone');
    await openHydrated(lead, `${teamPath}/alerts`);
    await expect(lead.getByRole('table', { name: 'Recent deliveries' })).toBeVisible();
    await snapshot(lead, testInfo, 'alert-channels-phone');
    expect(errors.filter((e) => !/4\d\d/.test(e))).toEqual([]);
    await ola.context.close();
  } finally {
    await target.close();
    await receiver.close();
  }
});
