# Two commands matter: `make run` (the whole stack, embedded servers when no URLs are set) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The whole development tree is locked (requirements-dev.lock); production installs requirements.lock.
STAMP := $(VENV)/.installed-$(shell sha1sum requirements-dev.lock | cut -c1-12)
export TMPDIR ?= /tmp

.PHONY: run test lint format bench load browser venv node clean

venv: $(STAMP)

# Node and npm from Debian for ESLint and the JS unit tests; node_modules installed from package-lock.json.
NODE_STAMP := node_modules/.installed-$(shell sha1sum package-lock.json | cut -c1-12)
node: $(NODE_STAMP)

$(NODE_STAMP): package-lock.json
	@command -v node >/dev/null && command -v npm >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq nodejs npm; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq nodejs npm; fi; }
	npm ci --no-audit --no-fund --silent
	rm -f node_modules/.installed-* && touch $(NODE_STAMP)

$(STAMP): requirements-dev.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.lock
	rm -f $(VENV)/.installed-* && touch $(STAMP)

# Debian's Chromium + ChromeDriver for the browser tests (never downloaded by a test tool).
browser:
	@command -v chromedriver >/dev/null && command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium chromium-driver; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium chromium-driver; fi; }

run: venv
	$(PY) manage.py run

test: venv browser node
	node --test tests/js/*.test.js
	mkdir -p $(TMPDIR)/ioc-chrome
	TMPDIR=$(TMPDIR)/ioc-chrome $(PY) -m pytest --headless -q $(PYTEST_ARGS)

lint: venv node
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	npx --no-install eslint .

format: venv
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# The wall benches need Chromium; the soak runs SOAK_MINUTES (an hour by default).
SOAK_MINUTES ?= 60
bench: venv browser
	$(PY) bench/archiver.py
	$(PY) bench/latency.py
	$(PY) bench/payload.py
	$(PY) bench/soak.py --minutes $(SOAK_MINUTES)
	$(PY) bench/drilldown.py
	$(PY) bench/map.py

# 200 browser-like viewers of /wall and /console for 10 minutes against the Procfile's processes (bench/load.py).
LOAD_VIEWERS ?= 200
LOAD_MINUTES ?= 10
load: venv
	$(PY) bench/load.py --viewers $(LOAD_VIEWERS) --minutes $(LOAD_MINUTES)

clean:
	rm -rf var screenshots node_modules
