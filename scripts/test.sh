#!/usr/bin/env bash
# Every test, in order: unit and integration tests (SQLite and a throw-away
# PostgreSQL), a release build, then Playwright against the release server on
# both databases in Debian's Chromium. Ends with one summary line,
# "N passed, N failed", and a non-zero exit status if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."

# One throw-away PostgreSQL cluster for the whole run.
if [ -z "${PREFLIGHT_TEST_POSTGRES_URL:-}" ]; then
  exec scripts/with-postgres.sh "$0" "$@"
fi

# Builds share one target directory across checkouts (see Makefile), and
# incremental caches are the part that grows without bound. A full disk fails
# the run mid-compile, so drop those caches first when space runs short.
target_dir=${CARGO_TARGET_DIR:-target}
mkdir -p "$target_dir"
# Each change to a test crate leaves its old executable behind in deps/
# (about 500 MB each with debug info); a month of sessions left 45 GB of
# them. Keep only the newest of each name.
if [ -d "$target_dir/debug/deps" ]; then
  find "$target_dir/debug/deps" -maxdepth 1 -type f -executable ! -name '*.*' -printf '%T@ %f\n' |
    sort -rn | awk '{ name = $2; sub(/-[0-9a-f]+$/, "", name); if (seen[name]++) print $2 }' |
    while read -r stale; do rm -f "$target_dir/debug/deps/$stale"; done
fi

free_gb=$(df -P -BG "$target_dir" | awk 'NR==2 {gsub("G", "", $4); print $4}')
if [ "${free_gb:-0}" -lt 20 ]; then
  echo "test: only ${free_gb} GB free; removing incremental build caches"
  rm -rf "$target_dir"/debug/incremental "$target_dir"/release/incremental
fi

logs=$(mktemp -d /tmp/preflight-test.XXXXXX)
trap 'rm -rf "$logs"' EXIT
failed_stages=()

echo "== unit and integration tests (SQLite and PostgreSQL)"
# Each integration test has a watchdog of its own (server/tests/support);
# this limit is for everything else, so that a hang ends this stage with
# what it printed instead of running into CI's limit. A normal run, build
# included, takes about ten minutes.
timeout --kill-after=30 2400 cargo test --workspace --locked --no-fail-fast 2>&1 | tee "$logs/cargo.txt"
cargo_status=${PIPESTATUS[0]}
if [ "$cargo_status" = 124 ] || [ "$cargo_status" = 137 ]; then
  echo "test: cargo test was stopped after 40 minutes"
fi
[ "$cargo_status" = 0 ] || failed_stages+=("cargo test")

echo "== release build"
if cargo leptos build --release 2>&1 | tail -n 5; [ "${PIPESTATUS[0]}" = 0 ]; then
  echo "== end-to-end tests (Playwright, Chromium)"
  psql -q "$PREFLIGHT_TEST_POSTGRES_URL" -c "CREATE DATABASE preflight_e2e" >/dev/null
  (
    cd end2end &&
      PREFLIGHT_BIN="$target_dir/release/preflight" \
      PREFLIGHT_SITE_ROOT="$(cd .. && pwd)/target/site" \
      PREFLIGHT_E2E_POSTGRES_URL="${PREFLIGHT_TEST_POSTGRES_URL%/*}/preflight_e2e" \
      E2E_RUN_ID=$$ \
      npx playwright test
  ) 2>&1 | tee "$logs/e2e.txt"
  [ "${PIPESTATUS[0]}" = 0 ] || failed_stages+=("end-to-end")
else
  failed_stages+=("release build")
fi

sum() { grep -oE "$1" "$2" 2>/dev/null | grep -oE '[0-9]+' | awk '{s+=$1} END {print s+0}'; }
cargo_passed=$(sum 'test result: [a-zA-Z]+\. [0-9]+ passed' "$logs/cargo.txt")
cargo_failed=$(sum '[0-9]+ failed;' "$logs/cargo.txt")
e2e_passed=$(sum '^ +[0-9]+ passed' "$logs/e2e.txt")
e2e_failed=$(sum '^ +[0-9]+ failed' "$logs/e2e.txt")

echo
echo "cargo test: $cargo_passed passed, $cargo_failed failed; playwright: $e2e_passed passed, $e2e_failed failed"
if [ ${#failed_stages[@]} -gt 0 ]; then
  echo "FAILED: ${failed_stages[*]}"
fi
echo "$((cargo_passed + e2e_passed)) passed, $((cargo_failed + e2e_failed + ${#failed_stages[@]} * (cargo_failed + e2e_failed == 0))) failed"
[ ${#failed_stages[@]} -eq 0 ]
