# The two front-door commands: `make demo` and `make test`. Both install everything they need.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install js-deps system-deps postgres asterisk asterisk-traces lint clean

demo: install system-deps
	$(BIN)/callcenter demo

# Lint first: a type or lint error fails the run before the slow tiers set up.
test: lint js-deps system-deps postgres asterisk
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# node_modules from package-lock.json, for tests/unit/callcenter/core/test_vendored_js.py to
# compare with the committed copies the pages load (callcenter/core/static/vendor/, made by
# scripts/vendor-js.sh). The service itself never needs npm.
js-deps: system-deps node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

# Debian packages the service and its tests use (ffmpeg for recordings).
system-deps:
	scripts/system-deps.sh

# A real PostgreSQL for the test tier that runs on it; installed and started when missing.
postgres:
	scripts/ensure-postgres.sh

# A real Asterisk 22 (Debian sid chroot, cached in /var/cache/callcenter) and sipp for
# tests/asterisk; needs root.
asterisk:
	scripts/asterisk/setup.sh

# Re-record tests/fixtures/ami/*.txt from the real PBX.
asterisk-traces: install asterisk
	$(BIN)/python -m tests.asterisk.record_traces

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .pytest_cache
