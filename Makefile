# The two commands a newcomer needs are `make demo` and `make test`; every other target is
# something those two depend on or a convenience for development.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
# Rebuilt whenever pyproject.toml (the dependency list) changes.
VENV_STAMP := $(VENV)/.sharesim-installed
CHROMIUM := /usr/bin/chromium
PYTEST_ARGS ?=
# Test processes (pytest-xdist): one a logical CPU, as sweeps count them; 0 runs the suite in one.
PYTEST_WORKERS ?= logical

.PHONY: help venv assets browser test demo example bench lint dashboard clean

help:
	@echo "make demo       replay the Sentinel scenario; report and figures under results/"
	@echo "make test       install everything needed, then run the test suite (PYTEST_ARGS=..., PYTEST_WORKERS=...)"
	@echo "make example    the worked new partnership (docs/new-partnership.md): forecast and plans"
	@echo "make dashboard  serve the Solara dashboard from the offline asset cache"
	@echo "make bench      run the benchmarks"
	@echo "make lint       ruff check, ruff format --check, mypy"
	@echo "make venv | assets | browser   the set-up steps on their own"
	@echo "make clean      remove the virtual environment and tool caches (keeps the asset cache)"

venv: $(VENV_STAMP)

$(VENV_STAMP): pyproject.toml
	@python=$$(devtools/find-python.sh); \
	if [ -x $(PY) ] && $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	  echo "Reusing $(VENV) ($$($(PY) --version))"; \
	else \
	  echo "Creating $(VENV) with $$python ($$($$python --version))"; \
	  "$$python" -m venv --clear $(VENV); \
	fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

# Solara's front-end files, fetched once from the npm registry so the dashboard and the
# browser tests never reach a CDN. SHARESIM_ASSETS_DIR overrides the folder.
assets: venv
	$(PY) -m sim.dashboard.assets

browser:
	@if [ -x $(CHROMIUM) ]; then \
	  echo "Chromium: $$($(CHROMIUM) --version 2>/dev/null || echo $(CHROMIUM))"; \
	elif [ "$$(id -u)" -eq 0 ]; then \
	  echo "Installing Chromium with apt-get"; \
	  apt-get update; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	else \
	  echo "error: the browser tests need $(CHROMIUM). Install it as root: apt-get update && apt-get install -y chromium" >&2; \
	  exit 1; \
	fi

# Each test process takes whole files (--dist loadfile), so a file's module fixtures (the
# reference runs, the small calibrations) are built once; the longest files go first
# (tests/conftest.py, LONGEST_FILES), in place of xdist's order by number of tests. pytest exits 5 when it collects
# nothing; that is a failure here, not a pass.
test: venv assets browser
	@$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS) || { rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests" >&2; fi; \
	  exit $$rc; }

demo: venv
	$(VENV)/bin/sharesim demo

# The fictional Harrowdale partnership: its scenario generated again from its table, its
# forecast report and the paired comparison of its three rollout plans, under docs/examples/.
EXAMPLES := sim/scenarios/examples
EXAMPLE_OUT := docs/examples/harrowdale
example: venv
	$(VENV)/bin/sharesim new harrowdale --partners $(EXAMPLES)/harrowdale.partners.csv \
	  --out $(EXAMPLES) --force --description "$$(sed -n 's/^description = "\(.*\)"$$/\1/p' $(EXAMPLES)/harrowdale.toml)"
	rm -rf $(EXAMPLE_OUT) && mkdir -p $(EXAMPLE_OUT)/plans
	SHARESIM_SCENARIOS=$(EXAMPLES) $(VENV)/bin/sharesim run harrowdale --replicates 100 \
	  --out $(EXAMPLE_OUT)/forecast
	$(VENV)/bin/sharesim brief $(EXAMPLE_OUT)/forecast
	rm -f $(EXAMPLE_OUT)/forecast/*.parquet
	for plan in interfaces_first colocation_first training_mandate_first; do \
	  SHARESIM_SCENARIOS=$(EXAMPLES) $(VENV)/bin/sharesim compare harrowdale harrowdale_$$plan \
	    --replicates 40 --out $(EXAMPLE_OUT)/plans/$$plan && \
	  $(VENV)/bin/sharesim brief $(EXAMPLE_OUT)/plans/$$plan || exit 1; \
	done
	find $(EXAMPLE_OUT) -name .lock -delete

bench: venv
	$(PY) benchmarks/run_all.py

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

dashboard: venv assets
	$(VENV)/bin/sharesim dashboard

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis test-results
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
