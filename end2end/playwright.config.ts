import { defineConfig } from '@playwright/test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

// The release server under test. `make test` (scripts/test.sh) sets these;
// the defaults fit a `cargo leptos build --release` in this checkout.
const bin = process.env.PREFLIGHT_BIN ?? '../target/release/preflight';
const siteRoot = process.env.PREFLIGHT_SITE_ROOT ?? '../target/site';
const postgresUrl = process.env.PREFLIGHT_E2E_POSTGRES_URL;

type Backend = { name: string; port: number; databaseUrl?: string };
const backends: Backend[] = [{ name: 'sqlite', port: Number(process.env.E2E_PORT ?? 3199) }];
if (postgresUrl) {
  backends.push({ name: 'postgres', port: Number(process.env.E2E_PG_PORT ?? 3198), databaseUrl: postgresUrl });
}

function dataDir(name: string): string {
  const dir = path.join(os.tmpdir(), `preflight-e2e-${name}-${process.env.E2E_RUN_ID ?? process.pid}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  // The whole run normally takes about ten minutes; a server that stops
  // answering must not keep CI waiting test after test.
  globalTimeout: 25 * 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  // The list reporter only: the HTML report bundles Playwright's UI, which
  // offers to download browsers; screenshots and traces land in test-results/.
  reporter: [['list']],
  outputDir: 'test-results/artifacts',
  use: {
    viewport: { width: 1280, height: 800 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      // Debian's Chromium; Playwright's own browser download is not available here.
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: backends.map((b) => ({
    name: b.name,
    use: { baseURL: `http://127.0.0.1:${b.port}` },
  })),
  webServer: backends.map((b) => ({
    command: `${bin} serve`,
    url: `http://127.0.0.1:${b.port}/readyz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    env: {
      PREFLIGHT_ADDR: `127.0.0.1:${b.port}`,
      PREFLIGHT_DATA_DIR: dataDir(b.name),
      PREFLIGHT_SITE_ROOT: siteRoot,
      PREFLIGHT_LOG_LEVEL: 'warn',
      // Every test signs in from 127.0.0.1; the default budget (20 per 10
      // minutes) is for people, and its limits are tested in server/tests.
      PREFLIGHT_LOGIN_IP_ATTEMPTS: '500',
      // Items proven by live data are judged this often (a minute by default).
      PREFLIGHT_PROBE_UPKEEP_SECONDS: '2',
      ...(b.databaseUrl ? { PREFLIGHT_DATABASE_URL: b.databaseUrl } : {}),
    },
  })),
});
