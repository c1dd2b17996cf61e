import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { accept, createTeam, invite, openHydrated, registerWithResilience, signIn, snapshot, unique, watchConsole } from './helpers';

const bin = process.env.PREFLIGHT_BIN ?? '../target/release/preflight';

/** `preflight audit verify --file FILE`: exit code and what it printed. */
function verifyFile(file: string): { code: number; out: string } {
  try {
    const out = execFileSync(bin, ['audit', 'verify', '--file', file], {
      encoding: 'utf8',
      timeout: 30_000,
      // Offline: no database is reachable from here.
      env: { PATH: process.env.PATH ?? '', PREFLIGHT_DATA_DIR: os.tmpdir(), PREFLIGHT_DATABASE_URL: 'sqlite:///nonexistent/none.db' },
    });
    return { code: 0, out };
  } catch (e) {
    const err = e as { status: number; stderr: string };
    return { code: err.status, out: err.stderr };
  }
}

/** `preflight dossier verify FILE`: exit code and what it printed. */
function verifyDossier(file: string): { code: number; out: string } {
  try {
    const out = execFileSync(bin, ['dossier', 'verify', file], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: process.env.PATH ?? '', PREFLIGHT_DATA_DIR: os.tmpdir(), PREFLIGHT_DATABASE_URL: 'sqlite:///nonexistent/none.db' },
    });
    return { code: 0, out };
  } catch (e) {
    const err = e as { status: number; stderr: string };
    return { code: err.status, out: err.stderr };
  }
}

test('an auditor downloads a service\'s evidence dossier and verifies it offline; a changed byte is named', async ({ page, browser }, testInfo) => {
  // The admin registers a service and backs one item with a PDF.
  await signIn(page);
  const team = unique('Vault');
  await createTeam(page, team);
  const { name, slug } = await registerWithResilience(page, unique('Vault API'), team);
  const item = 'Recovery paths were rehearsed and timed';
  await page.getByRole('region', { name: 'Operational resilience review' }).getByRole('link', { name: item }).click();
  await expect(page.getByRole('heading', { level: 1, name: item })).toBeVisible();
  const pdf = '%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n% restore drill 2026-11\n%%EOF\n';
  const upload = page.getByRole('form', { name: 'Upload a file' });
  await upload.getByLabel('File').setInputFiles({ name: 'restore-drill.pdf', mimeType: 'application/pdf', buffer: Buffer.from(pdf) });
  await upload.getByRole('button', { name: 'Upload file' }).click();
  await expect(page.getByRole('list', { name: 'Evidence for this item' }).getByRole('link', { name: 'restore-drill.pdf' })).toBeVisible();

  const auditorName = unique('Dora Dossier');
  const link = await invite(page, auditorName, `${auditorName.split(' ').pop()}-dossier@example.com`, 'auditor');
  const auditor = await accept(browser, link, 'dora keeps the receipts');
  const ap = auditor.page;
  const errors = watchConsole(ap);
  await openHydrated(ap, `/services/${slug}`);
  const [download] = await Promise.all([
    ap.waitForEvent('download'),
    ap.getByRole('link', { name: 'Evidence dossier' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(new RegExp(`^${slug}-dossier-.*\\.zip$`));
  const file = path.join(testInfo.outputDir, 'dossier.zip');
  await download.saveAs(file);
  const good = verifyDossier(file);
  expect(good.code, good.out).toBe(0);
  expect(good.out).toContain(`OK, dossier of ${name} (${slug})`);

  // The PDF is stored uncompressed: change one byte of it and the file is named.
  const bytes = fs.readFileSync(file);
  const at = bytes.indexOf(Buffer.from('restore drill 2026-11'));
  expect(at).toBeGreaterThan(0);
  bytes[at] = 'R'.charCodeAt(0);
  fs.writeFileSync(file, bytes);
  const bad = verifyDossier(file);
  expect(bad.code).toBe(1);
  expect(bad.out).toMatch(/the dossier does not verify: evidence\/[0-9a-f]{64}-restore-drill\.pdf/);

  await auditor.context.close();
  expect(errors).toEqual([]);
});

test('an auditor filters the audit trail, exports it and verifies the export offline', async ({ page, browser }, testInfo) => {
  const errors = watchConsole(page);
  await signIn(page);
  const name = unique('Audra Auditor');
  const email = `${name.split(' ').pop()}-audit@example.com`;
  const link = await invite(page, name, email, 'auditor');
  const auditor = await accept(browser, link, 'audra checks the chain');
  const ap = auditor.page;

  // The trail is one click from the navigation.
  await ap.getByRole('link', { name: 'Audit trail' }).click();
  await expect(ap.getByRole('heading', { level: 1, name: 'Audit trail' })).toBeVisible();
  await expect(ap.getByRole('heading', { name: 'Chain head' })).toBeVisible();
  const table = ap.getByRole('table', { name: 'Audit entries, newest first' });
  // Their own invitation being accepted is among the newest entries.
  await expect(table).toContainText('user.invite_accepted');

  // Narrowed to sign-ins and people, every row is of that kind.
  await ap.getByLabel('Kind').selectOption('user');
  await ap.getByRole('button', { name: 'Apply' }).click();
  await expect(ap).toHaveURL(/kind=user/);
  // Body rows have cells; the header row has column headers only.
  const rows = table.getByRole('row').filter({ has: ap.getByRole('cell') });
  await expect(rows.first()).toBeVisible();
  for (const text of await rows.allInnerTexts()) expect(text).toContain('user.');
  await snapshot(ap, testInfo, 'audit-trail');

  // A reversed date range is refused next to the field, not widened.
  await openHydrated(ap, '/audit?from=2026-03-02&to=2026-03-01');
  await expect(ap.getByText('The end date is before the start date.')).toBeVisible();
  await expect(ap.getByRole('heading', { name: 'No entries' })).toBeVisible();

  // The whole chain, exported and verified without the server.
  await openHydrated(ap, '/audit');
  const [download] = await Promise.all([
    ap.waitForEvent('download'),
    ap.getByRole('link', { name: 'Export the whole chain (JSON Lines)' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^preflight-audit-\d{4}-\d{2}-\d{2}\.jsonl$/);
  const file = path.join(testInfo.outputDir, 'trail.jsonl');
  await download.saveAs(file);
  const good = verifyFile(file);
  expect(good.code, good.out).toBe(0);
  expect(good.out).toMatch(/entries of the whole chain verified/);
  // The head the page showed is the one the file was cut from.
  const panel = await ap.getByRole('region', { name: 'Chain head' }).innerText();
  const head = panel.match(/[0-9a-f]{64}/)?.[0];
  expect(head).toBeTruthy();
  expect(good.out).toContain(head!);

  // One changed word (the role the auditor was given) is caught.
  const text = fs.readFileSync(file, 'utf8');
  expect(text).toContain('"detail":"role auditor"');
  fs.writeFileSync(file, text.replace('"detail":"role auditor"', '"detail":"role admin"'));
  const bad = verifyFile(file);
  expect(bad.code).toBe(1);
  expect(bad.out).toMatch(/line \d+: entry \d+ was changed/);

  await auditor.context.close();
  expect(errors).toEqual([]);
});

test('a viewer is offered no audit trail and is refused it', async ({ page, browser }) => {
  await signIn(page);
  const name = unique('Tove Trailviewer');
  const link = await invite(page, name, `${name.split(' ').pop()}-trail@example.com`, 'viewer');
  const viewer = await accept(browser, link, 'tove only reads scorecards');
  await expect(viewer.page.getByRole('link', { name: 'Audit trail' })).toHaveCount(0);
  const response = await viewer.page.goto('/audit');
  expect(response?.status()).toBe(403);
  const exported = await viewer.page.request.get('/audit/export?format=jsonl');
  expect(exported.status()).toBe(403);
  await viewer.context.close();
});
