# MPP Digital — every set-up step lives here, so a fresh clone needs only `make run` / `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PY      ?= python3.11
VENV    := .venv
PYTHON  := $(VENV)/bin/python
PWA_SRC := $(shell find pwa/src pwa/public pwa/build.mjs -type f 2>/dev/null)
# The project's packages; a change of the dependency list re-installs, nothing else does.
VENV_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
PWA_STAMP  := pwa/dist/.built

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV_STAMP): pyproject.toml
	@command -v $(PY) >/dev/null || { echo "Python 3.11 is needed (looked for $(PY))"; exit 1; }
	@test -x $(PYTHON) || $(PY) -m venv $(VENV)
	$(PYTHON) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PYTHON) -m pip install -q --disable-pip-version-check -e '.[test]'
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "Node.js 20 and npm are needed (apt-get install -y nodejs npm)"; exit 1; }
	# --ignore-scripts: leveldown ships its prebuild; sqlite3's script would try to download (unused)
	npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

$(PWA_STAMP): $(NODE_STAMP) $(PWA_SRC)
	node pwa/build.mjs
	@touch $@

setup: $(VENV_STAMP) $(NODE_STAMP) $(PWA_STAMP) ## install everything the app needs (idempotent)

pwa: $(PWA_STAMP) ## build the PWA into pwa/dist

run: setup ## set up, migrate, load demo data and serve on http://localhost:8000
	$(PYTHON) -m server run

system-deps: ## Chromium and PostgreSQL for the tests (apt-get, when root)
	@need=""; \
	command -v chromium >/dev/null || need="$$need chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$$need postgresql"; \
	if [ -n "$$need" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$need"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need fonts-dejavu-core >/dev/null; \
	  else \
	    echo "missing:$$need — install them with: sudo apt-get install -y$$need"; exit 1; \
	  fi; \
	fi

test: setup system-deps ## set up and run unit, integration (SQLite + PostgreSQL) and e2e tests
	node --test tests/unit/js/
	$(PYTHON) -m pytest tests/unit tests/integration tests/e2e

# The CouchDB conformance suite: every integration and e2e test against the CouchDB you name
# (SQL on SQLite). Only databases named with the run's own prefix are created and deleted there.
#   make test-couchdb COUCHDB_TEST_URL=http://admin:secret@couch1:5984
#   make test-couchdb COUCHDB_TEST_NODES=http://admin:secret@c1:5984,http://admin:secret@c2:5984,http://admin:secret@c3:5984 \
#        COUCHDB_TEST_STOP_NODE='ssh c{n} systemctl stop couchdb' COUCHDB_TEST_START_NODE='ssh c{n} systemctl start couchdb'
test-couchdb: setup system-deps ## the CouchDB conformance suite against COUCHDB_TEST_URL (and COUCHDB_TEST_NODES)
	@test -n "$(COUCHDB_TEST_URL)$(COUCHDB_TEST_NODES)" || { \
	  echo "Name the CouchDB to check: make test-couchdb COUCHDB_TEST_URL=http://admin:secret@host:5984"; \
	  echo "(a cluster: COUCHDB_TEST_NODES=url1,url2,url3 as well; see README, 'Before going live')"; exit 2; }
	$(PYTHON) -m pytest tests/integration tests/e2e -m "not postgres" $(PYTEST_ARGS)

test-unit: setup ## only the unit tests
	$(PYTHON) -m pytest tests/unit

bench: setup system-deps ## run the measurements in tests/bench and write var/bench/*.json
	$(PYTHON) -m tests.bench

clean: ## remove build output (keeps var/, your data)
	rm -rf pwa/dist

.PHONY: help setup pwa run system-deps test test-couchdb test-unit bench clean
