# Two commands on a fresh machine: `make repro` (install, then run the pipeline) and `make test`.
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install lock repro test test-full lint review mutation
BASE ?= main

# Every package comes from a hashed lock file (pip refuses anything without a matching hash):
# first pip and setuptools themselves, then the rest without build isolation, so building an
# sdist uses the locked setuptools instead of fetching an unhashed one; then the project itself,
# editable, from this directory only (--no-index: nothing downloaded, hence no hash needed).
$(VENV)/.installed: requirements-build-lock.txt requirements-lock.txt pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements-build-lock.txt
	$(BIN)/python -m pip install --quiet --require-hashes --no-build-isolation -r requirements-lock.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --no-index --editable .
	$(BIN)/python -m pip check
	touch $@

install: $(VENV)/.installed

# Regenerate both lock files after changing requirements*.txt or constraints.txt (needs the
# package index). The pins in those files decide the versions; uv adds every file's hash.
LOCK := $(BIN)/uv pip compile --quiet --generate-hashes --universal --python-version 3.11 \
	--custom-compile-command "make lock" -c constraints.txt
lock: $(VENV)/.installed
	$(LOCK) requirements-build.txt -o requirements-build-lock.txt
	$(LOCK) requirements-dev.txt -o requirements-lock.txt

repro: $(VENV)/.installed
	dvc repro

# Three test processes (pytest-xdist) on a two-core machine, one file each at a time, in collection
# order (the full-data run first): module fixtures are built once, and a third process keeps both
# cores busy while the others wait on DVC, git and sshd (three measured faster than two or four,
# docs/testing.md). The ten slowest tests are listed at the end.
# Then the tests marked `kernels` again with numpy's AVX2/AVX-512 loops and OpenBLAS's newer
# kernels switched off (variables numpy and OpenBLAS document), so that a fit that agrees with
# scikit-learn only on this CPU's kernels fails here rather than on another machine: in one
# process (their fits use both cores), from the files that use the marker (tests/conftest.py
# refuses a `kernels` test in a file without the words `mark.kernels`).
OTHER_KERNELS := NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL AVX512_SPR" OPENBLAS_CORETYPE=Sandybridge
KERNEL_TESTS = $(shell grep -rl --include='test_*.py' 'mark\.kernels' tests/unit)
test: $(VENV)/.installed
	python -m pytest -q -n 3 --dist loadfile --no-loadscope-reorder --durations=10 -m "not beyond_seed" tests
	$(if $(KERNEL_TESTS),,$(error no file under tests/unit uses pytest.mark.kernels))
	$(OTHER_KERNELS) python -m pytest -q -p no:xdist -p no:cacheprovider -m kernels $(KERNEL_TESTS)

# The real-data numbers of the models beyond the seed's (the book's exercise models: KNNs, a forest, an
# SVC), apart from make test for their time: the whole pipeline on the real data, 2 min 52 s idle (docs/testing.md).
test-full: $(VENV)/.installed
	python -m pytest -q -p no:cacheprovider -m beyond_seed tests/integration/test_full_data.py

lint: $(VENV)/.installed
	ruff check . && ruff format --check . && python -m mypy

# The pull-request review against BASE: reports/review.md (+ .html); exit 1 on a regression.
review: $(VENV)/.installed
	python -m pipelib.review --base $(BASE) --out reports/review.md --html reports/review.html --tolerances review_tolerances.yaml

# Sharing results (docs/sharing.md): the outputs and the run-cache to or from a DVC remote
# (REMOTE=name, default: the project's default remote); a failure is one line naming it.
.PHONY: push pull mutation
REMOTE ?=
push: $(VENV)/.installed
	python -m pipelib.remote push $(if $(REMOTE),-r $(REMOTE))

pull: $(VENV)/.installed
	python -m pipelib.remote pull $(if $(REMOTE),-r $(REMOTE))

# Mutation testing of the library on the fast unit tests: reports/mutation.md (minutes; not in CI).
# MODULES narrows it (e.g. MODULES=pipelib/mnist/idx.py); JOBS mutants run at once. See docs/mutation.md.
MODULES ?=
JOBS ?= 2
mutation: $(VENV)/.installed
	python -m tools.mutation --jobs $(JOBS) --out reports/mutation.md $(MODULES)
