"""An evidence dossier of a service with about 1 GiB of evidence (part of
`make bench`; `python3 scripts/bench.py --bin … --site-root … --dossier-only`
runs it alone).

Seeds a running release server through its own API: one service with the
built-in web application checklist, and 40 files of 25 MiB (a PDF header,
then random bytes: incompressible, like real scans) uploaded as evidence
across its items. Then downloads `/services/{slug}/dossier.zip` to disk
and reports the time and the server's peak RSS increase while it streams
(VmHWM reset through /proc/PID/clear_refs before the download, read
after, and VmRSS sampled every 5 ms as a cross-check), and runs
`preflight dossier verify` on the file.

Returns table rows for bench-results/latest.md.
"""

import http.client
import os
import subprocess
import threading
import time

FILES = 40
FILE_BYTES = 25 * 1024 * 1024
SLUG = "evidence-heavy"


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def upload(client, item_id, name, payload):
    boundary = "benchdossier0b7"
    head = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nbench\r\n"
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection("127.0.0.1", client.port, timeout=300)
    conn.putrequest("POST", f"/items/{item_id}/evidence/file")
    conn.putheader("Cookie", client.cookie)
    conn.putheader("Origin", f"http://127.0.0.1:{client.port}")
    conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    conn.putheader("Content-Length", str(len(head) + len(payload) + len(tail)))
    conn.endheaders()
    conn.send(head)
    view = memoryview(payload)
    for at in range(0, len(payload), 1 << 20):
        conn.send(view[at : at + (1 << 20)])
    conn.send(tail)
    response = conn.getresponse()
    response.read()
    conn.close()
    if response.status != 303 or "added=file" not in response.getheader("Location", ""):
        raise RuntimeError(f"upload: {response.status} {response.getheader('Location')}")


def seed(client):
    """The service and its evidence; returns the bytes uploaded."""
    team = client.call("teams/create", {"name": "Dossier team"})
    form = {
        "form[name]": "Evidence heavy",
        "form[slug]": SLUG,
        "form[team_id]": str(team),
        "form[tier]": "1",
        "form[environment]": "production",
        "form[description]": "",
        "form[repository_url]": "",
        "form[docs_url]": "",
        "form[launch_date]": "",
    }
    client.call("services/create", form)
    page = client.call("services/one", {"slug": SLUG})
    client.call("services/apply-template", {"service_id": str(page["summary"]["id"]), "template_id": "1"})
    page = client.call("services/one", {"slug": SLUG})
    items = [item["id"] for c in page["checklists"] for s in c["sections"] for item in s["items"]]
    total = 0
    for n in range(FILES):
        payload = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + os.urandom(FILE_BYTES - 15)
        upload(client, items[n % len(items)], f"scan-{n:02}.pdf", payload)
        total += len(payload)
    return total


def download(port, cookie, pid, path):
    """(seconds, bytes, RSS before MiB, peak VmRSS sampled MiB, VmHWM after MiB)."""
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM to the current RSS
    before = status_kib(pid, "VmRSS") / 1024
    peak = {"rss": before, "done": False}

    def sample():
        while not peak["done"]:
            peak["rss"] = max(peak["rss"], status_kib(pid, "VmRSS") / 1024)
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    t0 = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.request("GET", f"/services/{SLUG}/dossier.zip", headers={"Cookie": cookie})
    response = conn.getresponse()
    if response.status != 200:
        raise RuntimeError(f"dossier: {response.status} {response.read()[:200]!r}")
    size = 0
    with open(path, "wb") as out:
        while True:
            chunk = response.read(1 << 20)
            if not chunk:
                break
            out.write(chunk)
            size += len(chunk)
    seconds = time.perf_counter() - t0
    peak["done"] = True
    sampler.join()
    hwm = status_kib(pid, "VmHWM") / 1024
    conn.close()
    return seconds, size, before, peak["rss"], hwm


def run(bin_path, port, cookie, pid, client, data_dir):
    t0 = time.perf_counter()
    uploaded = seed(client)
    seeded = time.perf_counter() - t0
    path = os.path.join(data_dir, "dossier.zip")
    # The first download also starts the blocking-pool thread and maps its
    # stack; the second shows the steady state.
    first = download(port, cookie, pid, path)
    seconds, size, before, sampled, hwm = download(port, cookie, pid, path)
    t0 = time.perf_counter()
    done = subprocess.run([bin_path, "dossier", "verify", path], capture_output=True, text=True, timeout=900,
                          env={"PATH": os.environ["PATH"], "PREFLIGHT_DATA_DIR": data_dir})
    verify_s = time.perf_counter() - t0
    if done.returncode != 0 or ": OK," not in done.stdout:
        raise SystemExit(f"dossier verify failed: {done.stdout}{done.stderr}")
    # A changed byte in the middle of the last evidence file is caught.
    with open(path, "r+b") as f:
        f.seek(size - 8 * 1024 * 1024)
        byte = f.read(1)
        f.seek(size - 8 * 1024 * 1024)
        f.write(bytes([byte[0] ^ 1]))
    broken = subprocess.run([bin_path, "dossier", "verify", path], capture_output=True, text=True, timeout=900,
                            env={"PATH": os.environ["PATH"], "PREFLIGHT_DATA_DIR": data_dir})
    if broken.returncode != 1 or "evidence/" not in broken.stderr:
        raise SystemExit(f"dossier verify missed a changed byte: {broken.stdout}{broken.stderr}")
    os.remove(path)
    gib = uploaded / 2**30
    mib_s = size / 2**20 / seconds
    return [
        f"| dossier of a service with {FILES} × 25 MiB of evidence ({gib:.2f} GiB, seeded through uploads in {seeded:.0f} s): download time | {seconds:.1f} s ({mib_s:.0f} MiB/s, {size / 2**30:.2f} GiB ZIP); first download {first[0]:.1f} s | |",
        f"| the same: server peak RSS increase while it streams (VmHWM after − VmRSS before; sampled VmRSS peak) | {hwm - before:.1f} MiB ({sampled - before:.1f} MiB sampled; first download {first[4] - first[2]:.1f} MiB) | <= 16 MiB |",
        f"| `preflight dossier verify` on it (offline, every byte hashed) | {verify_s:.1f} s; a changed byte in the last file: exit 1 naming it | |",
    ]
