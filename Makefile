# slc.clicktracker developer commands. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8080
PYTEST_ARGS ?=
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): setup.py constraints.txt
	@scripts/check-system.sh >/dev/null
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -c constraints.txt pip setuptools wheel
	$(PY) -m pip install -q -c constraints.txt -e '.[test,dev,site]'
	touch $@

.PHONY: install
install: $(STAMP) ## Create the virtualenv and install the pinned set

.PHONY: start
start: $(STAMP) ## Run the demo site on http://localhost:$(PORT)/Plone (DEMO_LANGUAGE=de: German)
	PG_BINDIR=$$(scripts/check-system.sh) && export PG_BINDIR && \
	  PORT=$(PORT) $(PY) demo/start.py

.PHONY: test
test: $(STAMP) ## Run the whole test suite (unit, integration, functional, browser)
	PG_BINDIR=$$(scripts/check-system.sh --browser) && export PG_BINDIR && \
	  $(PY) -m pytest $(PYTEST_ARGS)

.PHONY: lint
lint: $(STAMP) ## ruff, ruff format, zpretty, pins and translation template in sync
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	find src -name '*.zcml' -o -name '*.xml' -o -name '*.pt' | \
	  xargs $(VENV)/bin/zpretty --check
	$(PY) scripts/pins.py --check
	$(PY) scripts/pot.py --check
	$(PY) scripts/minify.py --check

.PHONY: format
format: $(STAMP) ## Apply ruff and zpretty formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	find src -name '*.zcml' -o -name '*.xml' -o -name '*.pt' | \
	  xargs $(VENV)/bin/zpretty -i

.PHONY: js
js: ## Minify the tracking script after changing it (needs node's npx)
	$(PY) scripts/minify.py

.PHONY: pot
pot: $(STAMP) ## Rebuild the translation template from the code (i18ndude)
	$(PY) scripts/pot.py

.PHONY: bench
bench: $(STAMP) ## Run the benchmarks (not part of make test)
	PG_BINDIR=$$(scripts/check-system.sh) && export PG_BINDIR && \
	  $(PY) benchmarks/run.py

.PHONY: screenshots
screenshots: $(STAMP) ## Take the screenshots of docs/usage.rst (docs/images/)
	PG_BINDIR=$$(scripts/check-system.sh --browser) && export PG_BINDIR && \
	  SLC_CT_DOC_SCREENSHOTS=1 $(PY) -m pytest tests/plone/test_before_the_meeting.py -q

.PHONY: pins
pins: ## Re-resolve: write constraints.txt from the virtualenv, then versions.cfg
	{ sed -n '1,2p' constraints.txt; \
	  $(PY) -m pip freeze --all --exclude-editable | grep -v '^slc.clicktracker'; \
	} > constraints.txt.new && mv constraints.txt.new constraints.txt
	$(PY) scripts/pins.py

.PHONY: buildout
buildout: $(STAMP) ## Build bin/instance with zc.buildout (classic install)
	$(VENV)/bin/buildout -N

.PHONY: clean
clean: ## Remove the virtualenv and build output (keeps var/, the demo data)
	rm -rf $(VENV) bin parts develop-eggs eggs .installed.cfg build dist src/*.egg-info
