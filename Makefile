# gridpatrol: `make demo` and `make test` set up everything a fresh Debian machine lacks, then run.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .stamps
# Debian packages the project needs (installed only when missing, and only as root or with sudo).
APT_PACKAGES := espeak-ng sox libsox-fmt-all chromium postgresql ffmpeg fonts-wqy-microhei
export YOLO_OFFLINE := 1
# The real autopilot for the SITL tests (tests/sim/test_sitl*.py skip without it).
SITL_BINARY := $(abspath ../shared/sitl/arducopter)
ifneq ($(wildcard $(SITL_BINARY)),)
export ARDUPILOT_SITL ?= $(SITL_BINARY)
endif
export MPLBACKEND := Agg

.PHONY: demo test bench lint setup clean help

help:
	@echo "make demo   - run the demo on embedded defaults (installs what it needs first)"
	@echo "make test   - run the whole test suite (installs what it needs first)"
	@echo "make bench  - run every benchmark and print its figures"
	@echo "make lint   - ruff, mypy and the import layers (lint-imports)"

# The review UI's front-end libraries (Leaflet) come from npm, never from the repository.
UI_STAMP := $(if $(wildcard api/ui/package.json),$(STAMPS)/ui)

setup: $(STAMPS)/apt $(STAMPS)/venv $(UI_STAMP)

$(STAMPS)/apt:
	@mkdir -p $(STAMPS)
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else \
	    echo "error: need root or sudo to install: $$missing (apt-get install $$missing)"; exit 1; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
	@touch $@

$(STAMPS)/venv: pyproject.toml
	@mkdir -p $(STAMPS)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[vision,dev]'
	@touch $@

$(STAMPS)/ui: api/ui/package.json $(wildcard api/ui/package-lock.json) | $(STAMPS)/apt
	@mkdir -p $(STAMPS)
	@command -v npm >/dev/null || { echo "error: npm is missing (apt-get install npm)"; exit 1; }
	cd api/ui && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

demo: setup
	$(PY) -m gridpatrol demo --out out/demo

# pytest-xdist: TEST_WORKERS processes, each test module whole on one of them (module-scoped fixtures such as a
# simulated patrol run once), the slow modules first (tests/conftest.py; --no-loadscope-reorder keeps that order
# instead of xdist's most-tests-first). Four workers on two cores: most tests wait on simulators, browsers and
# sockets rather than compute. TEST_WORKERS=0 runs serially. See docs/development.md for the measured times.
TEST_WORKERS ?= 4
test: setup
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

bench: setup
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(STAMPS) out build *.egg-info .pytest_cache .mypy_cache .ruff_cache
