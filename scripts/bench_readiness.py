"""The readiness workflow at the sizes of issue 8, for `make bench`.

Seeds a release server through its own API (no SQL behind its back):
1,000 services in 10 teams, each with the three built-in templates
(73 items each, 73,000 in all), and progress on every service: about 40 %
of items done (a fifth of those with a link), 10 % in progress, 5 % not
applicable with a justification. Then measures, against that database:

* the service page, one client (p50/p99) and 32 connections (req/s);
* the services list, filtered by team and sorted by score, one client;
* ticking an item (status change, item settled and the service re-scored
  in the same transaction), sequential, p50/p99;
* a 25 MiB upload: the server's peak RSS increase while it streams.

Returns table rows for bench-results/latest.md.
"""

import concurrent.futures
import http.client
import json
import os
import random
import statistics
import threading
import time
import urllib.parse

SERVICES = 1000
TEAMS = 10
TEMPLATES = (1, 2, 3)


class Client:
    """One keep-alive connection with the admin's cookie, per thread."""

    def __init__(self, port, cookie):
        self.port, self.cookie = port, cookie
        self.local = threading.local()

    def conn(self):
        if not hasattr(self.local, "conn"):
            self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        return self.local.conn

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        headers["Cookie"] = self.cookie
        headers["Origin"] = f"http://127.0.0.1:{self.port}"
        for attempt in range(2):
            try:
                conn = self.conn()
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, ConnectionError):
                del self.local.conn
                if attempt:
                    raise
        raise RuntimeError("unreachable")

    def call(self, endpoint, fields):
        """A server function, the way the hydrated page calls it."""
        body = urllib.parse.urlencode(fields)
        status, data = self.request(
            "POST",
            f"/api/{endpoint}",
            body,
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        )
        if status >= 400:
            raise RuntimeError(f"{endpoint} {fields}: {status} {data[:200]!r}")
        return json.loads(data) if data else None


def seed(client):
    """Teams, services, checklists and progress; returns the slugs."""
    for n in range(TEAMS):
        client.call("teams/create", {"name": f"Team {n:02}"})
    slugs = [f"service-{n:04}" for n in range(SERVICES)]
    rng = random.Random(7)

    def register(n):
        slug = slugs[n]
        form = {
            "form[name]": f"Service {n:04}",
            "form[slug]": slug,
            "form[team_id]": str(n % TEAMS + 1),
            "form[tier]": str(rng.choice((1, 2, 2, 3))),
            "form[environment]": "production",
            "form[description]": "",
            "form[repository_url]": "",
            "form[docs_url]": "",
            "form[launch_date]": f"2027-{n % 12 + 1:02}-15",
        }
        client.call("services/create", form)
        page = client.call("services/one", {"slug": slug})
        for template in TEMPLATES:
            client.call("services/apply-template", {"service_id": str(page["summary"]["id"]), "template_id": str(template)})
        return slug

    def progress(slug):
        page = client.call("services/one", {"slug": slug})
        local = random.Random(slug)
        ids = [item["id"] for c in page["checklists"] for s in c["sections"] for item in s["items"]]
        for item in ids:
            roll = local.random()
            if roll < 0.40:
                client.call("items/status", {"item_id": item, "version": 1, "status": "done", "justification": ""})
                if local.random() < 0.2:
                    client.call("items/evidence/link", {"item_id": item, "url": f"https://ci.example.com/{slug}/{item}", "note": ""})
            elif roll < 0.50:
                client.call("items/status", {"item_id": item, "version": 1, "status": "in-progress", "justification": ""})
            elif roll < 0.55:
                client.call("items/status", {"item_id": item, "version": 1, "status": "not-applicable", "justification": "Not part of this service."})
        return len(ids)

    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(register, range(SERVICES)))
        items = sum(pool.map(progress, slugs))
    return slugs, items, time.perf_counter() - t0


def timed(fn, count):
    """p50 and p99 (ms) of `count` sequential calls of fn()."""
    samples = []
    for _ in range(count):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


def get_page(client, path):
    def fetch():
        status, _ = client.request("GET", path, headers={"Accept": "text/html"})
        if status != 200:
            raise RuntimeError(f"GET {path}: {status}")
    return fetch


def tick_latency(client, slug, count=400):
    """Status changes on one service's items, each re-scoring the service."""
    page = client.call("services/one", {"slug": slug})
    ids = [item["id"] for c in page["checklists"] for s in c["sections"] for item in s["items"]][:40]
    state = {}
    for item in ids:
        read = client.call("items/one", {"item_id": item})
        state[item] = [read["version"], read["status"]]
    step = {"n": 0}

    def tick():
        # Always a real change (setting the same status again changes nothing).
        item = ids[step["n"] % len(ids)]
        version, current = state[item]
        status = "blocked" if current != "blocked" else "done"
        client.call("items/status", {"item_id": item, "version": version, "status": status, "justification": ""})
        state[item] = [version + 1, status]
        step["n"] += 1

    return timed(tick, count)


def upload_rss(client, pid, rss_mib, item_id, size=25 * 1024 * 1024 - 4096):
    """Peak RSS increase (MiB) while a file of `size` bytes is uploaded."""
    boundary = "benchboundary7d"
    head = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nbench\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\n"
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    line = b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n"
    before = rss_mib(pid)
    peak = {"rss": before, "done": False}

    def sample():
        while not peak["done"]:
            peak["rss"] = max(peak["rss"], rss_mib(pid))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    conn = http.client.HTTPConnection("127.0.0.1", client.port, timeout=120)
    conn.putrequest("POST", f"/items/{item_id}/evidence/file")
    conn.putheader("Cookie", client.cookie)
    conn.putheader("Origin", f"http://127.0.0.1:{client.port}")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(len(head) + size + len(tail)))
    conn.endheaders()
    conn.send(head)
    sent = 0
    chunk = line * 1024
    while sent < size:
        part = chunk[: size - sent]
        conn.send(part)
        sent += len(part)
    conn.send(tail)
    response = conn.getresponse()
    response.read()
    peak["done"] = True
    sampler.join()
    location = response.getheader("Location", "")
    if response.status != 303 or "added=file" not in location:
        raise RuntimeError(f"upload: {response.status} {location}")
    return peak["rss"] - before


def seed_history(db_path, days=365):
    """A year of daily history for every service, its team and the
    organisation, written straight into the database (the server only
    records days as they pass). Scores climb from about a fifth to today's."""
    import sqlite3

    conn = sqlite3.connect(db_path, timeout=30)
    today = int(time.time() // 86400)
    services = conn.execute("SELECT id, team_id, COALESCE(score, 0) FROM services").fetchall()
    rng = random.Random(11)
    rows = []
    for service_id, _team, final in services:
        start = max(0, final - rng.randrange(20, 60))
        for back in range(days, 0, -1):
            score = start + (final - start) * (days - back) // days
            level = "bronze" if score > 70 else None
            rows.append((service_id, today - back, score, level, 1 if score > 80 else 0, max(0, 10 - score // 10), 0))
    conn.executemany(
        "INSERT OR IGNORE INTO score_days (service_id, day, score, level, ready, blocking, waivers)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    for team_id in [0] + sorted({t for _, t, _ in services}):
        conn.execute(
            "INSERT OR IGNORE INTO scope_days (team_id, day, services, ready, waivers, scored, score_sum, bronze,"
            " silver, gold) SELECT ?, d.day, COUNT(*), SUM(d.ready), 0, COUNT(d.score), COALESCE(SUM(d.score), 0),"
            " SUM(CASE WHEN d.level = 'bronze' THEN 1 ELSE 0 END), 0, 0"
            " FROM score_days d JOIN services s ON s.id = d.service_id"
            " WHERE d.day < ? AND (? = 0 OR s.team_id = ?) GROUP BY d.day",
            (team_id, today, team_id, team_id),
        )
    conn.commit()
    conn.close()
    return len(rows)


def run(port, cookie, pid, rss_mib, wrk, latency, duration, connections, db_path=None):
    client = Client(port, cookie)
    slugs, items, seconds = seed(client)
    scorecard_rows = []
    if db_path:
        history_rows = seed_history(db_path)
        org_p50, org_p99 = timed(get_page(client, "/"), 300)
        org_load = wrk(f"http://127.0.0.1:{port}/", duration, connections, cookie)
        filtered_p50, filtered_p99 = timed(get_page(client, "/?team=3&sort=score&days=365"), 300)
        team_p50, team_p99 = timed(get_page(client, "/teams/3?days=365"), 300)
        # Campaigns over all 1,000 services: a level goal (what each service
        # behind lacks is read for the page of 50 shown) and an items goal
        # (three items read for every service).
        deadline = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 60 * 86400))
        client.call("campaigns/start", {"name": "Silver everywhere", "goal": "level", "level": "silver", "deadline": deadline})
        choices = client.call("campaigns/choices", {})
        picked = {f"items[{i}]": key for i, (key, _) in enumerate(choices["items"][0][1][:3])}
        client.call("campaigns/start", {"name": "Three items", "goal": "items", **picked, "deadline": deadline})
        campaigns = client.call("campaigns", {})["campaigns"]
        ids = {c["name"]: c["id"] for c in campaigns}
        level_p50, level_p99 = timed(get_page(client, f"/campaigns/{ids['Silver everywhere']}"), 300)
        items_p50, items_p99 = timed(get_page(client, f"/campaigns/{ids['Three items']}"), 300)
        scorecard_rows = [
            f"| organisation scorecard `/` (totals, 10 teams, 90-day chart, 50 services with 30-day trends; {history_rows:,} daily history rows), one client | p50 {org_p50:.2f} ms, p99 {org_p99:.2f} ms | p50 <= 10 ms, p99 <= 20 ms |",
            f"| organisation scorecard, wrk -c{connections} | {org_load['rps']:.0f} req/s, {latency(org_load)} | |",
            f"| organisation scorecard filtered by team, sorted by score, 1-year chart, one client | p50 {filtered_p50:.2f} ms, p99 {filtered_p99:.2f} ms | p99 <= 20 ms |",
            f"| team page with its 1-year chart, one client | p50 {team_p50:.2f} ms, p99 {team_p99:.2f} ms | p99 <= 20 ms |",
            f"| campaign page, level goal over 1,000 services (50 behind shown with what they lack), one client | p50 {level_p50:.2f} ms, p99 {level_p99:.2f} ms | p99 <= 20 ms |",
            f"| campaign page, 3-item goal over 1,000 services, one client | p50 {items_p50:.2f} ms, p99 {items_p99:.2f} ms | p99 <= 20 ms |",
        ]
    slug = slugs[len(slugs) // 2]
    service_p50, service_p99 = timed(get_page(client, f"/services/{slug}"), 300)
    service_load = wrk(f"http://127.0.0.1:{port}/services/{slug}", duration, connections, cookie)
    list_p50, list_p99 = timed(get_page(client, "/services?team=3&sort=score"), 300)
    tick_p50, tick_p99 = tick_latency(client, slugs[1])
    page = client.call("services/one", {"slug": slugs[2]})
    item = page["checklists"][0]["sections"][0]["items"][0]["id"]
    # The process's first upload also starts the blocking-pool threads that
    # file I/O runs on (their stacks and allocator heaps): measured apart.
    first_mib = upload_rss(client, pid, rss_mib, item, size=1024 * 1024)
    upload_mib = upload_rss(client, pid, rss_mib, item)
    return [
        f"| seeding through the API: {SERVICES:,} services x 3 templates ({items:,} items) with progress | {seconds:.0f} s | |",
        f"| service page (3 checklists, 73 items), one client | p50 {service_p50:.2f} ms, p99 {service_p99:.2f} ms | p99 <= 20 ms |",
        f"| service page, wrk -c{connections} | {service_load['rps']:.0f} req/s, {latency(service_load)} | |",
        f"| services list, filtered by team and sorted by score, one client | p50 {list_p50:.2f} ms, p99 {list_p99:.2f} ms | p99 <= 20 ms |",
        f"| ticking an item (settle + re-score in one transaction), sequential | p50 {tick_p50:.2f} ms, p99 {tick_p99:.2f} ms | p99 <= 20 ms |",
        f"| first upload of the process (1 MiB; starts the file I/O threads), peak RSS increase | {first_mib:.1f} MiB | |",
        f"| 25 MiB upload after it, peak RSS increase while streaming | {upload_mib:.1f} MiB | <= 8 MiB |",
        *scorecard_rows,
    ]
