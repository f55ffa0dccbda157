# Hype to Mechanism: the two commands are `make lab` and `make test`.
# Everything else is a helper for authors and instructors.

# The newest supported Python on the PATH (a name that is there but does not run, such as a pyenv shim of a
# version not selected, does not count); else python3, which the set-up step checks.
SUPPORTED_PYTHONS := 3.13 3.12 3.11 3.10
PYTHON ?= $(shell for v in $(SUPPORTED_PYTHONS); do p=$$(command -v python$$v 2>/dev/null) && "$$p" -c '' >/dev/null 2>&1 && { echo "$$p"; exit 0; }; done; command -v python3 2>/dev/null)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# pytest workers: one more than the 2 cores, as tests spend part of their time waiting on kernels and browsers
JOBS   ?= 3
PORT   ?= 8888
# Extra options for `make lab`, e.g. LAB_ARGS="--no-browser". JupyterLab refuses root without --allow-root.
LAB_ARGS ?=
ROOT_FLAG := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

.PHONY: help setup lab test test-fast lint check notebooks exercises selfchecks binder-badge bench lock clean hub-setup hub hub-stop hub-lock

help:  ## list every target with what it does
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## /\1\t/' | awk -F'\t' '{printf "make %-14s %s\n", $$1, $$2}'

# The venv is rebuilt only when the lock file or pyproject.toml changes.
$(STAMP): requirements-lock.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "No Python found: install Python 3.10 to 3.13 (python.org, or your system's packages), then run make again." >&2; exit 1; }
	@$(PYTHON) tools/check_python.py
	@if test -x $(BIN)/python && ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] != tuple(map(int, "$(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')".split("."))))'; then \
		echo "$(VENV) was made with another Python: making it again with $(PYTHON)"; rm -rf $(VENV); fi
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements-lock.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP)  ## make the virtual environment from the lock (first time, or after the lock changes)

lab: $(STAMP)  ## set up (first time only) and open JupyterLab on the start notebook
	$(BIN)/jupyter lab --port=$(PORT) --ServerApp.root_dir=. $(ROOT_FLAG) $(LAB_ARGS) notebooks/00-start-here.ipynb

test: $(STAMP)  ## set up and run every test: lint and type check, release check, unit, data, notebooks (nbval), grading, browser
	$(BIN)/python -m ruff check .
	$(BIN)/python -m mypy
	$(BIN)/python -m coursekit check
	$(BIN)/python -m pytest -p tests.early_plugin -n $(JOBS) --dist loadfile \
		--nbval --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-current-env \
		tests $(wildcard notebooks solutions)

# Quick loop while writing code: unit and data tests only, no notebooks.
test-fast: $(STAMP)  ## unit and data tests only: no kernels, notebooks, servers or browsers (a quick loop)
	$(BIN)/python -m pytest -q -p tests.early_plugin -n 2 tests -m "not slow and not kernel and not browser"

lint: $(STAMP)  ## ruff over the whole kit, and mypy over appraisal and coursekit (pyproject.toml [tool.mypy])
	$(BIN)/python -m ruff check .
	$(BIN)/python -m mypy

check: $(STAMP)  ## validate solutions/ and check that exercises/ is fresh and leak-free
	$(BIN)/python -m coursekit check

notebooks: $(STAMP)  ## re-execute the lesson and solution notebooks in place (stores outputs)
	$(BIN)/python -m coursekit execute notebooks solutions

exercises: $(STAMP)  ## regenerate exercises/ from solutions/
	$(BIN)/python -m coursekit release

# Recompute every self-check answer (hashed) from the kit's data and functions; commit the diff.
selfchecks: $(STAMP)  ## recompute the lessons' self-check answers into data/selfchecks/
	$(BIN)/python -m appraisal.selfcheck_answers

# Rebuild the README's Binder badge from its BINDER_REPO line (fill that line in once, when the kit is published).
binder-badge: $(STAMP)  ## rebuild the README's Binder badge from its BINDER_REPO line
	$(BIN)/python tools/binder_badge.py

bench: $(STAMP)  ## timing benchmarks (not part of the tests)
	$(BIN)/python bench/run_benchmarks.py

# A demo JupyterHub for a class (hub/: demo login, loopback only; INSTRUCTORS.md says what a real course uses).
# hub/.venv holds the kit's lock, the hub's own lock and the kit (each user's environment); hub/node_modules the
# proxy from the npm registry. `make hub` runs in the foreground: Ctrl-C, or `make hub-stop` from another shell,
# stops the hub, its proxy and every user's server.
HUB_VENV  := hub/.venv
HUB_STAMP := $(HUB_VENV)/.installed
HUB_PORT  ?= 8000
HUB_STATE ?= hub/state
$(HUB_STAMP): requirements-lock.txt hub/requirements-hub-lock.txt pyproject.toml
	test -x $(HUB_VENV)/bin/python || $(PYTHON) -m venv $(HUB_VENV)
	$(HUB_VENV)/bin/python -m pip install --quiet --upgrade "pip>=24"
	$(HUB_VENV)/bin/python -m pip install --quiet -r requirements-lock.txt -r hub/requirements-hub-lock.txt
	$(HUB_VENV)/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@
hub/node_modules/.package-lock.json: hub/package.json hub/package-lock.json
	cd hub && npm ci --no-audit --no-fund --loglevel=error
hub-setup: $(HUB_STAMP) hub/node_modules/.package-lock.json  ## install the demo hub (hub/.venv, hub/node_modules)
hub: hub-setup  ## a demo JupyterHub with the kit on 127.0.0.1:8000 (HUB_PORT=...; demo login; Ctrl-C stops it)
	$(HUB_VENV)/bin/python hub/hubctl.py start --port $(HUB_PORT) --state $(HUB_STATE) $(HUB_ARGS)
hub-stop:  ## stop the demo hub and everything it started
	python3 hub/hubctl.py stop --state $(HUB_STATE)
hub-lock:  ## regenerate hub/requirements-hub-lock.txt: what JupyterHub and nbgitpuller add to the kit's lock
	rm -rf hub/.lock-venv && $(PYTHON) -m venv hub/.lock-venv
	hub/.lock-venv/bin/python -m pip install --quiet -r requirements-lock.txt jupyterhub nbgitpuller -c requirements-lock.txt
	hub/.lock-venv/bin/python -m pip freeze --all --exclude-editable > hub/.lock-venv/freeze.txt
	{ sed -n '1,3p' hub/requirements-hub-lock.txt; \
	  $(PYTHON) hub/lock_extras.py requirements-lock.txt hub/.lock-venv/freeze.txt; } > hub/requirements-hub-lock.new
	mv hub/requirements-hub-lock.new hub/requirements-hub-lock.txt && rm -rf hub/.lock-venv

# Regenerate the lock from pyproject.toml: one universal file for every supported Python (pins that differ by
# version carry a marker), keeping today's pins where they still fit, then resolved once more for each version.
lock:  ## regenerate requirements-lock.txt for Python 3.10 to 3.13 (needs the package registry)
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet "uv==0.13.8"
	.lock-venv/bin/uv pip compile pyproject.toml --extra test --universal --python-version 3.10 --no-annotate \
		--custom-compile-command "make lock" --quiet -o requirements-lock.txt
	for v in $(SUPPORTED_PYTHONS); do \
		.lock-venv/bin/uv pip compile requirements-lock.txt --python-version $$v --quiet -o /dev/null \
		|| { echo "the lock does not resolve for Python $$v" >&2; exit 1; }; done
	rm -rf .lock-venv

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .lock-venv build *.egg-info .pytest_cache .ruff_cache test-artifacts
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
