# Preflight. Quick start: `make run`, `make test`. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := run

TOOLS_DIR ?= $(HOME)/.cache/preflight-tools
# Build outside the checkout so a fresh clone (and CI) reuses earlier builds.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/preflight-target
export PREFLIGHT_TOOLS_DIR := $(TOOLS_DIR)
export PATH := $(HOME)/.cargo/bin:$(TOOLS_DIR)/binaryen/node_modules/.bin:$(PATH)

BIN := $(CARGO_TARGET_DIR)/release/preflight
SITE_ROOT := $(CURDIR)/target/site

.PHONY: run test build tools test-deps bench check fmt clean

## run: install missing tools, build the release, serve http://127.0.0.1:3000 (SQLite in ./data)
run: build
	@mkdir -p data
	PREFLIGHT_SITE_ROOT=$(SITE_ROOT) $(BIN) serve

## test: install test dependencies, run unit, integration (SQLite + PostgreSQL) and Playwright tests
test: tools test-deps
	scripts/test.sh

## build: release build of server and WebAssembly front end
build: tools
	cargo leptos build --release

tools:
	@scripts/tools.sh

test-deps:
	@scripts/test-deps.sh

## bench: cold start, idle memory, throughput (see README "Performance")
bench: build test-deps
	scripts/bench.py --bin $(BIN) --site-root $(SITE_ROOT)

## check: formatting and lints
check:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

clean:
	rm -rf target end2end/test-results end2end/playwright-report
