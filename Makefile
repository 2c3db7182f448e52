# The verbs people type. Every target builds the virtual environment first
# when it is missing (or when pyproject.toml changed).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SCENARIO ?= default
KERNEL_NAME := ukspace-lab

.PHONY: all setup host-tools browser report test test-fast lint bench lab calibrate clean

all: test

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL_NAME) \
	  --display-name "Python (ukspace-lab)" > /dev/null
	@touch $(STAMP)

# The offline page's widget manager (npm's @jupyter-widgets/html-manager, into .cache/)
WIDGET_JS := .cache/html-manager/dist/embed.js

$(WIDGET_JS): $(STAMP) ukspace_lab/present/widget_manager.py
	$(BIN)/python -m ukspace_lab.present.widget_manager

# Host tools the tests need, installed with apt-get when missing (root):
# qemu-system-x86, gcc-multilib and cpio for the calibration guest, chromium for
# the report's browser test. Every test that needs one runs after this.
host-tools:
	bash tools/install_host_tools.sh

browser: host-tools

setup: $(STAMP) $(WIDGET_JS) host-tools

report: $(STAMP) $(WIDGET_JS)
	$(BIN)/ukspace-lab report $(SCENARIO)

lint: $(STAMP)
	$(BIN)/ruff check ukspace_lab tests

test: $(STAMP) $(WIDGET_JS) host-tools lint
	$(BIN)/python -m pytest -q

test-fast: $(STAMP) $(WIDGET_JS) host-tools
	$(BIN)/python -m pytest -q -m "not slow"

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# Boot a real i386 PAE kernel under QEMU and refresh data/calibration/
calibrate: $(STAMP) host-tools
	$(BIN)/ukspace-lab calibrate --kmap-cpus 1,2,4

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks

clean:
	rm -rf reports .cache .pytest_cache
