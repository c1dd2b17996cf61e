"""Live probes at the sizes of issue 10, for `make bench`.

A target server in this process (asyncio, on loopback) answers HTTP by path:
`/t/<n>` with 200 after a short delay, or never (until the probe's timeout
gives up) while target n is set to hang. The release server is seeded
through its own API: loopback allowed in the settings, 100 services of 50
HTTP probes each (5,000), every 10 s (500 checks/s), 5 s timeout. Then:

* healthy phase (--probe-minutes, default 10): schedule drift p50/p99 from
  the engine's histogram (`preflight_probe_schedule_drift_seconds`, read
  as bucket bounds), CPU time per check (the server's utime + stime over
  `preflight_probe_checks_total`: storage, rollups and alerts included),
  peak RSS; then one more minute in which a signed-in client reads GET /
  and GET /probes every 200 ms (p50/p99);
* hanging phase (--hang-minutes, default 5): 1,000 of the targets (20 %)
  stop answering; the same figures again.

Returns table rows for bench-results/latest.md.
"""

import asyncio
import re
import sqlite3
import threading
import time
import urllib.request

import bench_readiness
from bench_every import Every

SERVICES = 100
PROBES_PER_SERVICE = 50
INTERVAL_S = 10
TIMEOUT_MS = 5000
HANGING_SHARE = 0.2
# The targets' own latency: a few milliseconds, like a health endpoint.
TARGET_DELAY_S = 0.002
CLK_TCK = 100


class Targets:
    """The loopback HTTP server the probes check, in a thread of its own."""

    def __init__(self):
        self.hanging = set()
        self.answered = 0
        self.loop = asyncio.new_event_loop()
        started = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(started,), daemon=True)
        self.thread.start()
        started.wait()

    def _run(self, started):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=4096))
        self.port = server.sockets[0].getsockname()[1]
        started.set()
        self.loop.run_forever()

    async def _serve(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                target = int(path.rsplit("/", 1)[1]) if path.startswith("/t/") else -1
                if target in self.hanging:
                    # Never answer: the probe's timeout ends the check.
                    await reader.read()
                    return
                await asyncio.sleep(TARGET_DELAY_S)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok")
                await writer.drain()
                self.answered += 1
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    def hang(self, targets):
        self.loop.call_soon_threadsafe(self.hanging.update, set(targets))


def metrics(port):
    """The server's /metrics text."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        return r.read().decode()


def drift_buckets(text):
    """{upper bound in seconds: cumulative count} of the drift histogram."""
    buckets = {}
    for bound, count in re.findall(r'preflight_probe_schedule_drift_seconds_bucket\{le="([^"]+)"\} (\d+)', text):
        buckets[float("inf") if bound == "+Inf" else float(bound)] = int(count)
    return buckets


def checks_total(text):
    found = re.search(r"^preflight_probe_checks_total (\d+)", text, re.M)
    return int(found.group(1)) if found else 0


def quantile_bound(before, after, q):
    """The smallest bucket bound holding the q-quantile of the checks
    counted between two readings of the histogram."""
    bounds = sorted(after)
    total = after[float("inf")] - before.get(float("inf"), 0)
    for bound in bounds:
        if after[bound] - before.get(bound, 0) >= q * total:
            return bound
    return float("inf")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of the whole line (1-based).
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def seed(client):
    """Loopback allowed, one team, 100 services of 50 probes each."""
    client.call("admin/settings/outbound-allow", {"allow": "127.0.0.1/32"})
    team = client.call("teams/create", {"name": "Probe bench"})
    for s in range(SERVICES):
        client.call(
            "services/create",
            {
                "form[name]": f"Probed {s:03}",
                "form[slug]": f"probed-{s:03}",
                "form[team_id]": str(team),
                "form[tier]": "2",
                "form[environment]": "production",
                "form[description]": "",
                "form[repository_url]": "",
                "form[docs_url]": "",
                "form[launch_date]": "",
            },
        )
    return team


def create_probes(client, target_port, service_ids):
    n = 0
    for service_id in service_ids:
        for _ in range(PROBES_PER_SERVICE):
            client.call(
                "probes/create",
                {
                    "service_id": str(service_id),
                    "form[kind]": "http",
                    "form[name]": f"Target {n:04}",
                    "form[url]": f"http://127.0.0.1:{target_port}/t/{n}",
                    "form[interval_secs]": str(INTERVAL_S),
                    "form[timeout_ms]": str(TIMEOUT_MS),
                    "form[failure_threshold]": "3",
                    "form[recovery_threshold]": "2",
                    "form[accept]": "200-299",
                    "form[method]": "GET",
                    "form[follow_redirects]": "on",
                },
            )
            n += 1
    return n


class PagePoller(Every):
    """GET / and /probes, signed in, one after the other every 200 ms."""

    def __init__(self, client):
        super().__init__(0.2)
        self.client = client
        self.times = {"/": [], "/probes": []}
        self.errors = 0

    def tick(self):
        for path in self.times:
            started = time.perf_counter()
            status, _ = self.client.request("GET", path)
            self.times[path].append((time.perf_counter() - started) * 1000)
            if status != 200:
                self.errors += 1


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def phase(port, pid, client, seconds, rss_sampler, page_seconds=60):
    """`seconds` of probing alone (drift, CPU per check, RSS), then
    `page_seconds` more with a signed-in client reading the organisation's
    pages. Apart, so the pages' own rendering is not counted as probe CPU."""
    before_text = metrics(port)
    cpu_before = cpu_seconds(pid)
    with rss_sampler(pid) as rss:
        time.sleep(seconds)
        after_text = metrics(port)
        cpu_after = cpu_seconds(pid)
        with PagePoller(client) as pages:
            time.sleep(page_seconds)
    before, after = drift_buckets(before_text), drift_buckets(after_text)
    checks = checks_total(after_text) - checks_total(before_text)
    return {
        "checks": checks,
        "rate": checks / seconds,
        "drift_p50": quantile_bound(before, after, 0.50),
        "drift_p99": quantile_bound(before, after, 0.99),
        "cpu_per_check_us": (cpu_after - cpu_before) / max(checks, 1) * 1e6,
        "cpu_share": (cpu_after - cpu_before) / seconds,
        "rss_peak": rss.peak,
        "pages": {path: (pct(t, 0.5), pct(t, 0.99), len(t)) for path, t in pages.times.items()},
        "page_errors": pages.errors,
    }


def ms(bound):
    return "> 10 s" if bound == float("inf") else f"≤ {bound * 1000:g} ms"


def rows_for(name, figures, target_count):
    pages = "; ".join(
        f"GET {path} p50 {p50:.1f} ms, p99 {p99:.1f} ms ({n} requests)"
        for path, (p50, p99, n) in figures["pages"].items()
    )
    errors = f", {figures['page_errors']} page errors" if figures["page_errors"] else ""
    return [
        f"| probes, {name}: checks done | {figures['checks']:,} ({figures['rate']:.0f}/s of {target_count / INTERVAL_S:.0f}/s scheduled) | |",
        f"| probes, {name}: schedule drift (histogram bucket bounds) | p50 {ms(figures['drift_p50'])}, p99 {ms(figures['drift_p99'])} | p99 ≤ 250 ms |",
        f"| probes, {name}: CPU time per check (storage, rollups and alerts included) | {figures['cpu_per_check_us']:.0f} µs ({figures['cpu_share'] * 100:.0f} % of one core) | ≤ 400 µs |",
        f"| probes, {name}: peak RSS | {figures['rss_peak']:.1f} MiB | ≤ 150 MiB |",
        f"| probes, {name}: organisation pages while probing | {pages}{errors} | p99 ≤ 50 ms |",
    ]


def run(port, cookie, pid, rss_sampler, probe_minutes, hang_minutes, db_path, warmup_s=60):
    client = bench_readiness.Client(port, cookie)
    targets = Targets()
    seeded = time.perf_counter()
    seed(client)
    # services/create answers no id; read them (only read) from the file.
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        service_ids = [row[0] for row in db.execute("SELECT id FROM services ORDER BY id")]
    count = create_probes(client, targets.port, service_ids)
    seed_s = time.perf_counter() - seeded
    # Every probe leased and on its slot before measuring.
    time.sleep(warmup_s)
    healthy = phase(port, pid, client, probe_minutes * 60, rss_sampler)
    targets.hang(range(0, count, int(1 / HANGING_SHARE)))
    time.sleep(2 * INTERVAL_S)
    hanging = phase(port, pid, client, hang_minutes * 60, rss_sampler)
    return [
        f"| probes: seeding {count:,} HTTP probes through the API ({SERVICES} services) | {seed_s:.0f} s | |",
        *rows_for(f"{count:,} healthy every {INTERVAL_S} s, {probe_minutes} min", healthy, count),
        *rows_for(f"20 % hanging until their {TIMEOUT_MS // 1000} s timeout, {hang_minutes} min", hanging, count),
    ]
