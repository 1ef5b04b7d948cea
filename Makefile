# phusong: two commands do all the set-up on a fresh Debian 12 machine (see README.md).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
APT_PACKAGES_RUN := postgresql-15 postgresql-15-postgis-3 fonts-dejavu-core
APT_PACKAGES_TEST := $(APT_PACKAGES_RUN) chromium fonts-dejavu-core poppler-utils

.PHONY: demo test lint bench system-run system-test venv clean

demo: system-run venv
	$(VENV)/bin/phusong demo

test: system-test venv
	$(PY) -m pytest tests

lint: venv
	$(VENV)/bin/ruff check sql etl analysis app tests bench gis_data
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(VENV)/bin/vulture  # dead code: [tool.vulture] in pyproject.toml, deliberate exceptions in vulture_allow.py
	$(VENV)/bin/pip-audit --skip-editable --progress-spinner off

bench: system-test venv
	$(PIP) install --quiet -e '.[dev,bench]'
	$(PY) -m bench

# Install Debian packages only when missing, so a warm machine pays nothing.
system-run:
	@./.ci/apt-ensure $(APT_PACKAGES_RUN)

system-test:
	@./.ci/apt-ensure $(APT_PACKAGES_TEST)

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev]'
	touch $@

clean:
	-$(VENV)/bin/phusong db down
	rm -rf $(VENV) .pgdata
