#!/usr/bin/env python3
"""Preflight benchmarks: cold start, idle memory, request throughput.

Runs the release binary against a fresh SQLite database in a temporary
directory on loopback only, prints a Markdown table and writes it to
bench-results/latest.md. Figures, not pass/fail: targets are in the README.

    scripts/bench.py --bin PATH --site-root PATH [--duration 10]
"""
import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(bin_path, site_root, data_dir, port):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PREFLIGHT_DATA_DIR": data_dir,
        "PREFLIGHT_ADDR": f"127.0.0.1:{port}",
        "PREFLIGHT_SITE_ROOT": site_root,
        "PREFLIGHT_LOG_LEVEL": "warn",
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


def parse_latency(text: str, label: str) -> float:
    m = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    if not m:
        return float("nan")
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def sign_in(port, email, password) -> str:
    """Signs in like the login form does; returns the session cookie pair."""
    import urllib.parse

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    body = urllib.parse.urlencode({"email": email, "password": password}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/auth/login",
        data=body,
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


def wrk(url, duration, connections, cookie=None):
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", *headers, url],
        capture_output=True, text=True, check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {
        "rps": rps,
        "p50": parse_latency(out, "50%"),
        "p99": parse_latency(out, "99%"),
        "non2xx": int(errors.group(1)) if errors else 0,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--site-root", required=True)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--starts", type=int, default=10)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench: wrk not found (apt-get install wrk, or run `make bench`)")

    data_dir = tempfile.mkdtemp(prefix="preflight-bench-")
    try:
        # Create and migrate the database once: cold start is measured "with an existing database".
        email, password = "bench@example.com", "benchmark passphrase"
        subprocess.run(
            [args.bin, "create-admin", "--name", "Bench", "--email", email],
            env={"PREFLIGHT_DATA_DIR": data_dir, "PATH": os.environ["PATH"], "PREFLIGHT_LOG_LEVEL": "warn"},
            input=password + "\n", text=True, check=True, stdout=subprocess.DEVNULL,
        )
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
        cookie = sign_in(port, email, password)
        for path in ("/login", "/healthz"):
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}").read()
        time.sleep(2)
        idle_rss = rss_mib(proc.pid)
        page = wrk(f"http://127.0.0.1:{port}/", args.duration, args.connections, cookie)
        login_page = wrk(f"http://127.0.0.1:{port}/login", args.duration, args.connections)
        health = wrk(f"http://127.0.0.1:{port}/healthz", args.duration, args.connections)
        loaded_rss = rss_mib(proc.pid)
        stop(proc)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)

    cpu = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    lines = [
        f"Preflight benchmarks ({time.strftime('%Y-%m-%d')}, {cpu} cores, SQLite, wrk -t2 -c{args.connections} -d{args.duration}s)",
        "",
        "| measure | result | target |",
        "|---|---|---|",
        f"| cold start to ready (existing DB), median of {args.starts} | {statistics.median(starts):.0f} ms (min {min(starts):.0f}, max {max(starts):.0f}) | < 300 ms |",
        f"| RSS at idle | {idle_rss:.1f} MiB | < 40 MiB |",
        f"| RSS after load | {loaded_rss:.1f} MiB | |",
        f"| GET / signed in (session read + save, user lookup, render) | {page['rps']:.0f} req/s, p50 {page['p50']:.2f} ms, p99 {page['p99']:.2f} ms | |",
        f"| GET /login (anonymous server-rendered page) | {login_page['rps']:.0f} req/s, p50 {login_page['p50']:.2f} ms, p99 {login_page['p99']:.2f} ms | |",
        f"| GET /healthz | {health['rps']:.0f} req/s, p50 {health['p50']:.2f} ms, p99 {health['p99']:.2f} ms | |",
    ]
    if page["non2xx"] or health["non2xx"] or login_page["non2xx"]:
        lines.append(f"\nWARNING: non-2xx/3xx responses during load: / {page['non2xx']}, /login {login_page['non2xx']}, /healthz {health['non2xx']}")
    report = "\n".join(lines)
    print(report)
    os.makedirs("bench-results", exist_ok=True)
    with open("bench-results/latest.md", "w") as f:
        f.write(report + "\n")


if __name__ == "__main__":
    main()
