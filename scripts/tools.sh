#!/usr/bin/env bash
# Installs the build tools `make run` needs, each only when missing or at the
# wrong version: the wasm target, cargo-leptos, wasm-bindgen-cli (must match
# the wasm-bindgen crate pinned in Cargo.toml) and binaryen's wasm-opt from
# npm (Debian's binaryen 108 produces a module that fails to hydrate).
set -euo pipefail

CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=0.2.129
BINARYEN_VERSION=132.0.0
TOOLS_DIR=${PREFLIGHT_TOOLS_DIR:-$HOME/.cache/preflight-tools}
export PATH="$HOME/.cargo/bin:$PATH"

say() { echo "tools: $*" >&2; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q " $CARGO_LEPTOS_VERSION\$"; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 15 minutes the first time)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --locked --force
fi

wasm_opt="$TOOLS_DIR/binaryen/node_modules/.bin/wasm-opt"
if ! "$wasm_opt" --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*}"; then
  say "installing wasm-opt (npm binaryen $BINARYEN_VERSION) into $TOOLS_DIR/binaryen"
  mkdir -p "$TOOLS_DIR/binaryen"
  npm install --prefix "$TOOLS_DIR/binaryen" --no-audit --no-fund --loglevel=error "binaryen@$BINARYEN_VERSION" >/dev/null
fi
