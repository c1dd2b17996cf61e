#!/usr/bin/env bash
# Runs the integration test binaries over and over to catch rare hangs.
#
#   scripts/soak-tests.sh 300            # every integration binary, 300 rounds
#   scripts/soak-tests.sh 100 http mfa   # only these binaries
#
# Each run of one binary gets a time limit (SOAK_LIMIT seconds, default 60;
# a normal run takes a few seconds). A run that overstays is a hang: its
# output is kept under $SOAK_LOGS (default /tmp/preflight-soak) with the
# names of the tests that had started but not finished and every thread's
# stack (gdb), and the script goes on. It ends with "N runs, N hangs, N failures" and exits 1 if any run hung
# or failed. PostgreSQL comes from scripts/with-postgres.sh, as in `make test`.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ -z "${PREFLIGHT_TEST_POSTGRES_URL:-}" ]; then
  exec scripts/with-postgres.sh "$0" "$@"
fi

rounds=${1:-100}
shift || true
limit=${SOAK_LIMIT:-60}
logs=${SOAK_LOGS:-/tmp/preflight-soak}
mkdir -p "$logs"

# Build once and learn where cargo put each integration test binary.
mapfile -t binaries < <(
  cargo test -p server --tests --no-run --locked --message-format=json 2>/dev/null |
    python3 -c '
import json, sys
for line in sys.stdin:
    try:
        msg = json.loads(line)
    except ValueError:
        continue
    if msg.get("reason") == "compiler-artifact" and msg.get("executable") and "test" in msg["target"]["kind"]:
        print(msg["target"]["name"], msg["executable"])
'
)
if [ ${#binaries[@]} -eq 0 ]; then
  echo "soak: no test binaries were built" >&2
  exit 1
fi

wanted=("$@")
runs=0 hangs=0 failures=0
started=$(date +%s)
for ((round = 1; round <= rounds; round++)); do
  for entry in "${binaries[@]}"; do
    name=${entry%% *} exe=${entry#* }
    if [ ${#wanted[@]} -gt 0 ] && [[ ! " ${wanted[*]} " == *" $name "* ]]; then
      continue
    fi
    out="$logs/$name-$round.txt"
    "$exe" >"$out" 2>&1 &
    pid=$!
    deadline=$((SECONDS + limit))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
      sleep 0.2
    done
    hung=0
    if kill -0 "$pid" 2>/dev/null; then
      hung=1
      # Before killing it, keep every thread's stack: a hang is found by
      # reading where it waits, not by running it again.
      if command -v gdb >/dev/null; then
        gdb -p "$pid" -batch -ex "thread apply all bt" >"$out.gdb" 2>&1 || true
      fi
      kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null
    status=$?
    runs=$((runs + 1))
    if [ $hung = 1 ]; then
      hangs=$((hangs + 1))
      # Tests that printed no result line had not finished.
      "$exe" --list 2>/dev/null | sed -n 's/: test$//p' | while read -r t; do
        grep -q "^test $t \.\.\. " "$out" || echo "  unfinished: $t"
      done >"$out.unfinished"
      echo "soak: round $round: $name HUNG after ${limit}s (log: $out, stacks: $out.gdb)"
      cat "$out.unfinished"
    elif [ $status != 0 ]; then
      failures=$((failures + 1))
      echo "soak: round $round: $name FAILED (exit $status, log: $out)"
    else
      rm -f "$out"
    fi
  done
  # Every PostgreSQL test creates a database of its own and leaves it; over
  # hundreds of runs they filled the disk (20 rounds: the last two failed).
  psql -qAt "$PREFLIGHT_TEST_POSTGRES_URL" \
    -c "SELECT datname FROM pg_database WHERE datname LIKE 'preflight_test_%'" 2>/dev/null |
    while read -r db; do
      psql -q "$PREFLIGHT_TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1
    done
  if ((round % 10 == 0)); then
    echo "soak: $round rounds, $runs runs, $hangs hangs, $failures failures, $(($(date +%s) - started)) s"
  fi
done
echo "$runs runs, $hangs hangs, $failures failures in $(($(date +%s) - started)) s"
[ $hangs = 0 ] && [ $failures = 0 ]
