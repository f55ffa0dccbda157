# Hype to Mechanism: the two commands are `make lab` and `make test`.
# Everything else is a helper for authors and instructors.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# pytest workers: one more than the 2 cores, as tests spend part of their time waiting on kernels and browsers
JOBS   ?= 3
PORT   ?= 8888
# Extra options for `make lab`, e.g. LAB_ARGS="--no-browser". JupyterLab refuses root without --allow-root.
LAB_ARGS ?=
ROOT_FLAG := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

.PHONY: help setup lab test test-fast lint check notebooks exercises selfchecks binder-badge bench lock clean

help:
	@echo "make lab        set up (first time only) and open JupyterLab on the start notebook"
	@echo "make test       set up and run every test: unit, data, notebooks (nbval), release check, lint"
	@echo "make notebooks  re-execute lesson and solution notebooks in place (stores outputs)"
	@echo "make exercises  regenerate exercises/ from solutions/"
	@echo "make selfchecks recompute the lessons' self-check answers into data/selfchecks/"
	@echo "make bench      timing benchmarks (not part of the tests)"
	@echo "make clean      remove the virtual environment and caches"

# The venv is rebuilt only when the lock file or pyproject.toml changes.
$(STAMP): requirements-lock.txt pyproject.toml
	@$(PYTHON) -c 'import sys; v=sys.version_info; sys.exit(0 if v[:2]==(3,11) else "Python 3.11 is needed (found %d.%d): set PYTHON=/path/to/python3.11" % v[:2])'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements-lock.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --port=$(PORT) --ServerApp.root_dir=. $(ROOT_FLAG) $(LAB_ARGS) notebooks/00-start-here.ipynb

test: $(STAMP)
	$(BIN)/python -m ruff check .
	$(BIN)/python -m coursekit check
	$(BIN)/python -m pytest -p tests.early_plugin -n $(JOBS) --dist loadfile \
		--nbval --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-current-env \
		tests $(wildcard notebooks solutions)

# Quick loop while writing code: unit and data tests only, no notebooks.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n $(JOBS) tests -m "not slow"

lint: $(STAMP)
	$(BIN)/python -m ruff check .

check: $(STAMP)
	$(BIN)/python -m coursekit check

notebooks: $(STAMP)
	$(BIN)/python -m coursekit execute notebooks solutions

exercises: $(STAMP)
	$(BIN)/python -m coursekit release

# Recompute every self-check answer (hashed) from the kit's data and functions; commit the diff.
selfchecks: $(STAMP)
	$(BIN)/python -m appraisal.selfcheck_answers

# Rebuild the README's Binder badge from its BINDER_REPO line (fill that line in once, when the kit is published).
binder-badge: $(STAMP)
	$(BIN)/python tools/binder_badge.py

bench: $(STAMP)
	$(BIN)/python bench/run_benchmarks.py

# Regenerate the lock from pyproject.toml in a throwaway venv (needs the package registry).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip setuptools
	.lock-venv/bin/python -m pip install --quiet ".[test]"
	{ echo "# Lock file: every package pinned for Python 3.11."; \
	  echo "# Regenerate with 'make lock' after changing pyproject.toml; 'make test' checks environment.yml agrees."; \
	  .lock-venv/bin/python -m pip freeze --all --exclude-editable | grep -vE '^(pip|hype-to-mechanism)[ =]'; } > requirements-lock.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .lock-venv build *.egg-info .pytest_cache .ruff_cache test-artifacts
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
