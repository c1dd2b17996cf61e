#!/usr/bin/env bash
# Installs what the tests need, each only when missing: Debian's Chromium
# (Playwright drives it; it never downloads a browser of its own), the
# PostgreSQL server and client tools, wrk for `make bench`, and the node
# packages of end2end/ and aiosmtpd for the mail tests.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v chromium >/dev/null || missing+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v pg_dump >/dev/null || missing+=(postgresql-client)
command -v wrk >/dev/null || missing+=(wrk)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test-deps: installing ${missing[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -d end2end/node_modules/@playwright/test ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  echo "test-deps: installing end2end node packages" >&2
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

# aiosmtpd (PyPI): the real SMTP server the password-reset tests mail to.
pyenv="$HOME/.cache/preflight-tools/pyenv"
if [ ! -x "$pyenv/bin/python" ] || ! "$pyenv/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
  echo "test-deps: installing aiosmtpd" >&2
  python3 -m venv "$pyenv"
  "$pyenv/bin/pip" install -q --disable-pip-version-check aiosmtpd==1.4.6
fi
