"""`preflight audit verify` over a long chain (part of `make bench`;
`python3 scripts/bench.py --bin … --site-root … --audit-only` runs it alone).

The chain is written straight into a migrated SQLite database by this
script, hashing each entry the way README "The audit trail" describes
(compact JSON of the canonical fields, in order, SHA-256): the binary
accepting it is also a check that the published rule is the real one.
"""

import hashlib
import json
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time

GENESIS = "0" * 64
ACTIONS = ["item.status_changed", "evidence.added", "review.approved", "login.succeeded", "waiver.requested"]


def canonical_hash(entry: dict) -> str:
    text = json.dumps(entry, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def seed(db_path: str, count: int) -> str:
    """Appends `count` chained entries; returns the head hash."""
    rng = random.Random(7)
    conn = sqlite3.connect(db_path)
    prev = GENESIS
    batch = []
    start_ms = 1_767_225_600_000
    for seq in range(1, count + 1):
        actor = rng.randrange(1, 200)
        entry = {
            "seq": seq,
            "prev_hash": prev,
            "occurred_at": start_ms + seq * 30_000,
            "actor_user_id": actor,
            "actor_label": f"Person {actor}",
            "action": ACTIONS[seq % len(ACTIONS)],
            "subject_type": "item",
            "subject_id": str(rng.randrange(1, 73_000)),
            "detail": f"not started → done (“quoted” {seq})",
            "client_ip": "203.0.113.7",
            "request_id": f"{seq:032x}",
            "service_id": rng.randrange(1, 1_000),
        }
        digest = canonical_hash(entry)
        batch.append((*entry.values(), digest))
        prev = digest
        if len(batch) == 50_000:
            insert(conn, batch)
            batch = []
    insert(conn, batch)
    conn.execute("UPDATE audit_chain_head SET seq = ?, hash = ? WHERE id = 1", (count, prev))
    conn.commit()
    conn.close()
    return prev


def insert(conn, rows):
    conn.executemany(
        "INSERT INTO audit_events (seq, prev_hash, occurred_at, actor_user_id, actor_label, action, subject_type,"
        " subject_id, detail, client_ip, request_id, service_id, entry_hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def verify(bin_path: str, env: dict) -> tuple:
    """(seconds, exit code, output, peak RSS of the child in MiB so far)."""
    t0 = time.perf_counter()
    done = subprocess.run([bin_path, "audit", "verify"], env=env, capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return seconds, done.returncode, (done.stdout + done.stderr).strip(), peak


def run(bin_path: str, count: int = 1_000_000, rounds: int = 3) -> list:
    data_dir = tempfile.mkdtemp(prefix="preflight-bench-audit-")
    try:
        env = {"PREFLIGHT_DATA_DIR": data_dir, "PATH": os.environ["PATH"], "PREFLIGHT_LOG_LEVEL": "warn"}
        subprocess.run([bin_path, "migrate"], env=env, check=True, stdout=subprocess.DEVNULL)
        db_path = os.path.join(data_dir, "preflight.db")
        t0 = time.perf_counter()
        head = seed(db_path, count)
        seeded = time.perf_counter() - t0
        times = []
        for _ in range(rounds):
            seconds, code, out, peak = verify(bin_path, env)
            if code != 0 or head not in out:
                raise SystemExit(f"audit verify failed on an intact chain: {out}")
            times.append(seconds)
        # One entry in the middle edited behind Preflight's back.
        middle = count // 2
        conn = sqlite3.connect(db_path)
        conn.execute("UPDATE audit_events SET detail = 'nothing happened' WHERE seq = ?", (middle,))
        conn.commit()
        conn.close()
        broken_s, code, out, _ = verify(bin_path, env)
        if code != 1 or f"entry {middle} was changed" not in out:
            raise SystemExit(f"audit verify missed an edited entry: {out}")
        size_mib = os.path.getsize(db_path) / 2**20
        return [
            f"| `preflight audit verify`, {count:,} entries (SQLite, {size_mib:.0f} MiB database; seeded in {seeded:.0f} s), median of {rounds} | {statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f}); peak RSS {peak:.0f} MiB | <= 5 s |",
            f"| the same with entry {middle:,} edited: exit 1 naming it | {broken_s:.2f} s | |",
        ]
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    import sys

    for row in run(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000):
        print(row)
