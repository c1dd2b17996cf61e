#!/usr/bin/env python3
"""Preflight benchmarks: cold start, idle memory, request throughput, sign-ins.

Runs the release binary against a fresh SQLite database in a temporary
directory on loopback only, prints a Markdown table and writes it to
bench-results/latest.md. Figures, not pass/fail: targets are in the README.

Measures, in order:

* cold start to ready and RSS at idle;
* GET /, /login and /healthz throughput and latency with wrk (unloaded);
* sign-ins per second with correct credentials, i.e. the real Argon2id cost
  of `/api/auth/login` (wrk with a POST Lua script);
* GET / latency while a background wrk sends a paced flood of failed
  sign-ins (credential stuffing: wrong passwords over many emails), with the
  flood rate achieved, its status codes, and the server's RSS around it;
* scoring one service with the three built-in templates (`cargo bench -p app
  --bench scoring`: the pure readiness rules, no I/O).
* the readiness workflow at 1,000 services (bench_readiness.py), `preflight
  audit verify` over 1,000,000 entries (bench_audit.py) and the evidence
  dossier of a service with 1 GiB of evidence (bench_dossier.py) and 5,000
  live probes every 10 s against a loopback target (bench_probes.py); each
  also alone with --readiness-only, --audit-only, --dossier-only or
  --probes-only.
* the database size after a simulated year of probes every 20 s
  (app/benches/probe_storage.rs, on SQLite and PostgreSQL); alone with
  --storage-only.

The server runs with the per-address sign-in budget raised to its maximum
(all load comes from 127.0.0.1), so sign-ins really hash instead of being
answered 429 by the token bucket.

    scripts/bench.py --bin PATH --site-root PATH [--duration 10] [--flood-rate 1000]
"""
import bench_audit
from bench_every import Every
import bench_dossier
import bench_probes
import bench_readiness
import argparse
import glob
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

# Every bench request comes from 127.0.0.1, so the per-address token bucket
# (default 20 attempts per 10 minutes) would answer nearly all sign-ins 429
# without hashing. 100000 is the largest value the server accepts (it refuses
# to start above that); over a 1-minute window the bucket refills at ~1667
# attempts/s on top of its 100000 tokens, so a 1000/s flood never drains it.
LOGIN_THROTTLE_ENV = {
    "PREFLIGHT_LOGIN_IP_ATTEMPTS": "100000",
    "PREFLIGHT_LOGIN_IP_WINDOW_MINUTES": "1",
}

# How many distinct emails the flood cycles through. Failed sign-ins lock an
# email after PREFLIGHT_LOGIN_MAX_FAILURES (5) failures, and a locked email
# is answered 429 at once without hashing. Cycling over 100k emails, an email
# comes round again only every 100k attempts, so locking one takes 500k (over
# 8 minutes at 1000/s): every flood request pays a full Argon2 verification,
# as it would for a real credential-stuffing list.
FLOOD_EMAILS = 100_000

# Counts response status codes per wrk thread and prints them from done() as
# "status CODE COUNT" lines, which wrk_stats() parses.
STATUS_LUA = r"""
local threads = {}
local thread_count = 0
statuses = {}

function setup(thread)
  thread_count = thread_count + 1
  thread:set("id", thread_count)
  table.insert(threads, thread)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for code, count in pairs(thread:get("statuses")) do
      totals[code] = (totals[code] or 0) + count
    end
  end
  for code, count in pairs(totals) do
    io.write(string.format("status %d %d\n", code, count))
  end
end
"""

# Sign-ins with the right password. No Accept: text/html, so a success is
# answered 200 (browsers' form posts get 302 to /); the Origin header comes
# from the command line (CSRF check).
LOGIN_LUA = STATUS_LUA + r"""
function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.body = args[1]
end
"""

# Failed sign-ins paced to a fixed rate, a distinct email per request. delay()
# hands out send times from a per-thread schedule read off CLOCK_MONOTONIC
# (through LuaJIT's ffi), so the rate holds however many connections there
# are; slots missed while every connection waits on the server are dropped
# rather than sent in a burst later, so the rate never exceeds the target.
# Arguments: per-thread interval in ms, thread count, email pool size.
FLOOD_LUA = STATUS_LUA + r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local now_ts = ffi.new("bench_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, now_ts)
  return tonumber(now_ts.tv_sec) * 1000 + tonumber(now_ts.tv_nsec) / 1e6
end

local interval, nthreads, pool, sent, next_at

function init(args)
  interval = tonumber(args[1])
  nthreads = tonumber(args[2])
  pool = tonumber(args[3])
  sent = 0
  next_at = now_ms()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function delay()
  local now = now_ms()
  if next_at < now then
    next_at = now
  end
  local wait = next_at - now
  next_at = next_at + interval
  return wait
end

function request()
  sent = sent + 1
  local n = (sent * nthreads + id) % pool
  local body = string.format("email=flood-%d%%40example.com&password=wrong+password+%d", n, sent)
  return wrk.format(nil, nil, nil, body)
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(bin_path, site_root, data_dir, port, extra_env=None):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PREFLIGHT_DATA_DIR": data_dir,
        "PREFLIGHT_ADDR": f"127.0.0.1:{port}",
        "PREFLIGHT_SITE_ROOT": site_root,
        "PREFLIGHT_LOG_LEVEL": "warn",
        **LOGIN_THROTTLE_ENV,
        **(extra_env or {}),
    }
    return subprocess.Popen([bin_path, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def ready(port) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as r:
            return r.status == 200
    except OSError:
        return False


def wait_ready(port, proc, timeout=30.0) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if proc.poll() is not None:
            sys.exit(f"bench: server exited with {proc.returncode}")
        if ready(port):
            return time.perf_counter() - started
        time.sleep(0.002)
    sys.exit("bench: server did not become ready")


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def rss_mib(pid) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class RssSampler(Every):
    """Samples a process's RSS in the background; `peak` is the largest seen."""

    def __init__(self, pid, every=0.2):
        super().__init__(every)
        self.pid, self.peak = pid, rss_mib(pid)

    def tick(self):
        self.peak = max(self.peak, rss_mib(self.pid))


def argon2_params(data_dir) -> str:
    """The Argon2 parameters of the bench account's stored hash, e.g. m=19456,t=2,p=1."""
    with sqlite3.connect(os.path.join(data_dir, "preflight.db")) as db:
        (phc,) = db.execute("SELECT password_hash FROM users LIMIT 1").fetchone()
    parts = phc.split("$")  # ["", "argon2id", "v=19", "m=19456,t=2,p=1", salt, hash]
    return f"{parts[1]} {parts[3]}" if len(parts) >= 4 else "unknown"


def parse_latency(text: str, label: str) -> float:
    m = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if not m:
        return float("nan")
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def login_form(email, password) -> str:
    return urllib.parse.urlencode({"email": email, "password": password})


def sign_in(port, email, password) -> str:
    """Signs in like the login form does; returns the session cookie pair."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/auth/login",
        data=login_form(email, password).encode(),
        headers={"Accept": "text/html", "Origin": f"http://127.0.0.1:{port}"},
    )
    try:
        response = urllib.request.build_opener(NoRedirect).open(request)
    except urllib.error.HTTPError as redirect:  # 302 after a successful sign-in
        response = redirect
    cookie = response.headers.get("Set-Cookie", "")
    if not cookie.startswith("preflight_session="):
        sys.exit(f"bench: sign-in failed ({response.status})")
    return cookie.split(";")[0]


def wrk_command(url, duration, connections, headers=(), script=None, script_args=(), timeout=2):
    """The wrk command line; `headers` are "Name: value" strings."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", f"--timeout={timeout}s", "--latency"]
    for header in headers:
        command += ["-H", header]
    if script:
        command += ["-s", script]
    command.append(url)
    if script_args:
        command += ["--", *map(str, script_args)]
    return command


def wrk_stats(out: str) -> dict:
    """Parses wrk's report, plus the "status CODE COUNT" lines STATUS_LUA prints."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": rps,
        "p50": parse_latency(out, "50%"),
        "p99": parse_latency(out, "99%"),
        "non2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": sum(map(int, sockets.groups())) if sockets else 0,
        "statuses": {int(code): int(n) for code, n in re.findall(r"^status (\d+) (\d+)$", out, re.M)},
    }


def wrk(url, duration, connections, cookie=None, headers=(), **options):
    headers = [*headers, *([f"Cookie: {cookie}"] if cookie else [])]
    out = subprocess.run(
        wrk_command(url, duration, connections, headers, **options),
        capture_output=True, text=True, check=True,
    ).stdout
    return wrk_stats(out)


def write_script(directory, name, text) -> str:
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def successes(stats) -> int:
    return sum(n for code, n in stats["statuses"].items() if 200 <= code < 400)


def login_throughput(port, email, password, duration, connections, script_dir) -> dict:
    """Sign-ins with the right password, each paying a full Argon2 verification."""
    stats = wrk(
        f"http://127.0.0.1:{port}/api/auth/login", duration, connections,
        headers=[f"Origin: http://127.0.0.1:{port}"],
        script=write_script(script_dir, "login.lua", LOGIN_LUA),
        script_args=[login_form(email, password)],
        timeout=10,
    )
    total = sum(stats["statuses"].values())
    stats["logins_per_s"] = stats["rps"] * successes(stats) / total if total else 0.0
    return stats


def flood_command(port, rate, connections, seconds, script_dir) -> list:
    threads = 2  # wrk_command's -t2
    return wrk_command(
        f"http://127.0.0.1:{port}/api/auth/login", seconds, connections,
        headers=[f"Origin: http://127.0.0.1:{port}"],
        script=write_script(script_dir, "flood.lua", FLOOD_LUA),
        script_args=[1000 * threads / rate, threads, FLOOD_EMAILS],
        timeout=30,
    )


def page_under_flood(proc, port, cookie, args, script_dir) -> tuple:
    """GET / signed in while a paced flood of failed sign-ins runs alongside.

    The flood starts `warmup` seconds early, so the page is measured at its
    steady state, and ends about a second after the page measurement.
    """
    warmup = 2
    command = flood_command(port, args.flood_rate, args.flood_connections, warmup + args.duration + 1, script_dir)
    memory = {"before": rss_mib(proc.pid)}
    flood_proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with RssSampler(proc.pid) as sampler:
            time.sleep(warmup)
            page = wrk(f"http://127.0.0.1:{port}/", args.duration, args.connections, cookie)
            out, err = flood_proc.communicate()
    finally:
        if flood_proc.poll() is None:
            flood_proc.kill()
            flood_proc.wait()
    memory["peak"], memory["after"] = sampler.peak, rss_mib(proc.pid)
    if flood_proc.returncode != 0:
        sys.exit(f"bench: flood wrk failed: {err.strip()}")
    return page, wrk_stats(out), memory


def flood_statuses(flood) -> str:
    codes = dict(flood["statuses"])
    parts = [f"429: {codes.pop(429, 0)}", f"422: {codes.pop(422, 0)}"]
    parts += [f"{code}: {n}" for code, n in sorted(codes.items())]
    if flood["socket_errors"]:
        parts.append(f"socket errors/timeouts: {flood['socket_errors']}")
    return ", ".join(parts)


def latency(stats) -> str:
    return f"p50 {stats['p50']:.2f} ms, p99 {stats['p99']:.2f} ms"


def scoring_bench() -> str:
    """The pure scoring rules on one service with the three built-in
    templates (app/benches/scoring.rs); its one output line."""
    out = subprocess.run(
        ["cargo", "bench", "--quiet", "-p", "app", "--features", "ssr", "--bench", "scoring"],
        capture_output=True, text=True, check=True,
    ).stdout
    line = next(l for l in out.splitlines() if l.startswith("scoring one service"))
    return line.split(": ", 1)[1]


def storage_rows(probes: int) -> list:
    """A simulated year of probes every 20 s through the real writer,
    retention and rollups (app/benches/probe_storage.rs): `probes` on
    SQLite, and at most 100 on PostgreSQL (each statement is a round trip
    there: 1,000 took 55 minutes, and gave 1.69 MB per probe-year against
    1.63 at 100; the figure is per probe)."""
    def bench(count):
        return ["cargo", "bench", "--quiet", "-p", "app", "--features", "ssr", "--bench", "probe_storage", "--",
                "--probes", str(count)]
    runs = [("SQLite", probes, bench(probes))]
    if glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        pg = min(probes, 100)
        runs.append(("PostgreSQL", pg, ["scripts/with-postgres.sh", "bash", "-c",
                                        " ".join(bench(pg)) + ' --database-url "$PREFLIGHT_TEST_POSTGRES_URL"']))
    rows = []
    for backend, count, command in runs:
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        line = next(l for l in out.splitlines() if l.startswith("probe storage"))
        figure, detail = line.split(": ", 2)[2].split(" (", 1)
        rows.append(f"| database size after a simulated year, {count:,} probes every 20 s, {backend} | "
                    f"{figure} ({detail} | <= 3 MB per probe-year |")
    return rows


def dossier_rows(args, data_dir, email, password) -> list:
    """The evidence dossier bench on a server of its own (uploads of 25 MiB
    allowed, a little over the default limit's edge)."""
    port = free_port()
    proc = start(args.bin, args.site_root, data_dir, port, {"PREFLIGHT_MAX_UPLOAD_MIB": "32"})
    wait_ready(port, proc)
    try:
        cookie = sign_in(port, email, password)
        client = bench_readiness.Client(port, cookie)
        return bench_dossier.run(args.bin, port, cookie, proc.pid, client, data_dir)
    finally:
        stop(proc)


def probe_rows(args, email, password) -> list:
    """5,000 probes on a database of their own (bench_probes.py)."""
    data_dir = tempfile.mkdtemp(prefix="preflight-bench-probes-")
    try:
        subprocess.run(
            [args.bin, "create-admin", "--name", "Bench", "--email", email],
            env={"PREFLIGHT_DATA_DIR": data_dir, "PATH": os.environ["PATH"], "PREFLIGHT_LOG_LEVEL": "warn"},
            input=password + "\n", text=True, check=True, stdout=subprocess.DEVNULL,
        )
        port = free_port()
        proc = start(args.bin, args.site_root, data_dir, port)
        wait_ready(port, proc)
        try:
            return bench_probes.run(
                port, sign_in(port, email, password), proc.pid, RssSampler, args.probe_minutes, args.hang_minutes,
                db_path=os.path.join(data_dir, "preflight.db"),
            )
        finally:
            stop(proc)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--site-root", required=True)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--starts", type=int, default=10)
    ap.add_argument("--login-connections", type=int, default=4, help="concurrent sign-ins with the right password")
    ap.add_argument("--flood-rate", type=int, default=1000, help="failed sign-ins per second sent during the flood")
    ap.add_argument("--flood-connections", type=int, default=64, help="connections the flood spreads over")
    ap.add_argument("--readiness-only", action="store_true", help="only the readiness workflow at 1,000 services")
    ap.add_argument("--audit-only", action="store_true", help="only `preflight audit verify` over 1,000,000 entries")
    ap.add_argument("--dossier-only", action="store_true", help="only the evidence dossier of a service with 1 GiB of evidence")
    ap.add_argument("--probes-only", action="store_true", help="only 5,000 live probes every 10 s")
    ap.add_argument("--probe-minutes", type=int, default=10, help="minutes of 5,000 healthy probes")
    ap.add_argument("--hang-minutes", type=int, default=5, help="minutes with 20 %% of the targets hanging")
    ap.add_argument("--storage-only", action="store_true", help="only the database size after a simulated year of probes")
    ap.add_argument("--storage-probes", type=int, default=1000, help="probes in the simulated year on SQLite (30-45 min at 1,000 on 2 cores)")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench: wrk not found (apt-get install wrk, or run `make bench`)")

    if args.audit_only:
        print("\n".join(bench_audit.run(args.bin)))
        return
    if args.storage_only:
        print("\n".join(storage_rows(args.storage_probes)))
        return
    data_dir = tempfile.mkdtemp(prefix="preflight-bench-")
    try:
        # Create and migrate the database once: cold start is measured "with an existing database".
        email, password = "bench@example.com", "benchmark passphrase"
        subprocess.run(
            [args.bin, "create-admin", "--name", "Bench", "--email", email],
            env={"PREFLIGHT_DATA_DIR": data_dir, "PATH": os.environ["PATH"], "PREFLIGHT_LOG_LEVEL": "warn"},
            input=password + "\n", text=True, check=True, stdout=subprocess.DEVNULL,
        )
        hash_params = argon2_params(data_dir)
        if args.dossier_only:
            print("\n".join(dossier_rows(args, data_dir, email, password)))
            return
        if args.probes_only:
            print("\n".join(probe_rows(args, email, password)))
            return
        if args.readiness_only:
            port = free_port()
            proc = start(args.bin, args.site_root, data_dir, port)
            wait_ready(port, proc)
            try:
                rows = bench_readiness.run(
                    port, sign_in(port, email, password), proc.pid, rss_mib, wrk, latency, args.duration,
                    args.connections, db_path=os.path.join(data_dir, "preflight.db"),
                )
            finally:
                stop(proc)
            print("\n".join(rows))
            return
        starts = []
        for _ in range(args.starts):
            port = free_port()
            t0 = time.perf_counter()
            proc = start(args.bin, args.site_root, data_dir, port)
            wait_ready(port, proc)
            starts.append((time.perf_counter() - t0) * 1000)
            stop(proc)

        port = free_port()
        proc = start(args.bin, args.site_root, data_dir, port)
        wait_ready(port, proc)
        for path in ("/login", "/healthz"):
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}").read()
        time.sleep(2)
        idle_rss = rss_mib(proc.pid)
        # A sign-in keeps Argon2's 19 MiB working buffer for the next one.
        cookie = sign_in(port, email, password)
        signed_in_rss = rss_mib(proc.pid)
        page = wrk(f"http://127.0.0.1:{port}/", args.duration, args.connections, cookie)
        login_page = wrk(f"http://127.0.0.1:{port}/login", args.duration, args.connections)
        health = wrk(f"http://127.0.0.1:{port}/healthz", args.duration, args.connections)
        loaded_rss = rss_mib(proc.pid)
        logins = login_throughput(port, email, password, args.duration, args.login_connections, data_dir)
        page_flood, flood, flood_rss = page_under_flood(proc, port, cookie, args, data_dir)
        try:
            readiness_rows = bench_readiness.run(
                port, cookie, proc.pid, rss_mib, wrk, latency, args.duration, args.connections,
                db_path=os.path.join(data_dir, "preflight.db"),
            )
        finally:
            stop(proc)
        dossier = dossier_rows(args, data_dir, email, password)
        probes = probe_rows(args, email, password)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)

    scoring = scoring_bench()
    audit_rows = bench_audit.run(args.bin)
    storage = storage_rows(args.storage_probes)
    cpu = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    ratio = page_flood["p99"] / page["p99"]
    lines = [
        f"Preflight benchmarks ({time.strftime('%Y-%m-%d')}, {cpu} cores, SQLite, wrk -t2 -c{args.connections} -d{args.duration}s)",
        "",
        "| measure | result | target |",
        "|---|---|---|",
        f"| cold start to ready (existing DB), median of {args.starts} | {statistics.median(starts):.0f} ms (min {min(starts):.0f}, max {max(starts):.0f}) | < 300 ms |",
        f"| RSS at idle | {idle_rss:.1f} MiB | < 40 MiB |",
        f"| RSS after the first sign-in (Argon2 buffer kept) | {signed_in_rss:.1f} MiB | |",
        f"| RSS after load | {loaded_rss:.1f} MiB | |",
        f"| GET / signed in (caller lookup reused, see lookup_cache.rs; render) | {page['rps']:.0f} req/s, {latency(page)} | |",
        f"| GET /login (anonymous server-rendered page) | {login_page['rps']:.0f} req/s, {latency(login_page)} | |",
        f"| GET /healthz | {health['rps']:.0f} req/s, {latency(health)} | |",
        f"| sign-in, right password ({hash_params}), wrk -c{args.login_connections} | {logins['logins_per_s']:.1f} logins/s, {latency(logins)}, non-2xx/3xx {logins['non2xx']} | |",
        f"| failed sign-in flood (wrong passwords, {FLOOD_EMAILS:,} emails), wrk -c{args.flood_connections} paced | {flood['rps']:.0f} answered/s (target {args.flood_rate}/s); {flood_statuses(flood)} | ~{args.flood_rate}/s |",
        f"| GET / signed in, during the flood | {page_flood['rps']:.0f} req/s, {latency(page_flood)} ({ratio:.1f}x unloaded p99) | p99 <= 2x unloaded |",
        f"| RSS before / peak during / after the flood | {flood_rss['before']:.1f} / {flood_rss['peak']:.1f} / {flood_rss['after']:.1f} MiB | bounded |",
        f"| scoring one service with the 3 built-in templates (73 items), pure rules | {scoring} | <= 50 µs |",
        *readiness_rows,
        *audit_rows,
        *dossier,
        *probes,
        *storage,
    ]
    loads = {"/": page, "/login": login_page, "/healthz": health, "sign-in": logins, "/ during flood": page_flood}
    if any(stats["non2xx"] for stats in loads.values()):
        counts = ", ".join(f"{name} {stats['non2xx']}" for name, stats in loads.items())
        lines.append(f"\nWARNING: non-2xx/3xx responses during load: {counts}")
    report = "\n".join(lines)
    print(report)
    os.makedirs("bench-results", exist_ok=True)
    with open("bench-results/latest.md", "w") as f:
        f.write(report + "\n")


if __name__ == "__main__":
    main()
