# The two entry points of the README: `make demo` (main job) and `make test` (the whole suite).
# Each creates .venv and installs the project on first use; later runs reuse it.
VENV ?= .venv
PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test install clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-cache-dir -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/colorbot demo --out demo-out

test: $(STAMP)
	$(VENV)/bin/pytest

clean:
	rm -rf demo-out samples
