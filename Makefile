# Two commands on a fresh machine: `make repro` (install, then run the pipeline) and `make test`.
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: repro test lint review
BASE ?= main

$(VENV)/.installed: requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

repro: $(VENV)/.installed
	dvc repro

test: $(VENV)/.installed
	python -m pytest -q tests

lint: $(VENV)/.installed
	ruff check . && ruff format --check . && python -m mypy

# The pull-request review against BASE: reports/review.md (+ .html); exit 1 on a regression.
review: $(VENV)/.installed
	python -m pipelib.review --base $(BASE) --out reports/review.md --html reports/review.html --tolerances review_tolerances.yaml
