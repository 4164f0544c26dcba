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
	ruff check . && ruff format --check .

# The pull-request review against BASE: reports/review.md (+ .html); exit 1 on a regression.
review: $(VENV)/.installed
	python -m pipelib.review --base $(BASE) --out reports/review.md --html reports/review.html --tolerances review_tolerances.yaml

# Sharing results (docs/sharing.md): the outputs and the run-cache to or from a DVC remote
# (REMOTE=name, default: the project's default remote); a failure is one line naming it.
.PHONY: push pull
REMOTE ?=
push: $(VENV)/.installed
	python -m pipelib.remote push $(if $(REMOTE),-r $(REMOTE))

pull: $(VENV)/.installed
	python -m pipelib.remote pull $(if $(REMOTE),-r $(REMOTE))
