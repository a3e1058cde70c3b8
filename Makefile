# Two commands do everything: `make up` (run it) and `make test` (prove it).
# The first interpreter that really runs and is 3.11 or 3.12 (durable_rules does not import on 3.13).
PYTHON ?= $(shell for p in python3.11 python3.12 python3; do \
	$$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 13))' 2>/dev/null \
	&& command -v $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pycanon (checks) and anjana (applies) anonymisation: their exact pins of every dependency,
# typing_extensions==4.15.0 included, cannot be met beside pydantic and temporalio, so they come
# without them; what they import at run time is in pyproject.toml's dependencies.
ANONYMISATION := pycanon==1.3.6 anjana==1.2.3

.PHONY: up test worker api demo lint migrate bench bench-scale bench-matching bench-reports clean venv

# Idempotent bootstrap: rebuilt only when pyproject.toml changes.
$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 ou 3.12 introuvable"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pip install -q --no-deps $(ANONYMISATION)
	@touch $(STAMP)

venv: $(STAMP)

up: $(STAMP)
	$(BIN)/python -m cli.up

worker: $(STAMP)
	$(BIN)/python worker.py

api: $(STAMP) migrate
	$(BIN)/python -m core.api_server

migrate: $(STAMP)
	$(BIN)/alembic upgrade head

demo: $(STAMP)
	$(BIN)/python -m cli.demo

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

bench: $(STAMP)
	$(BIN)/python bench/pathway.py

# 1,000 then 10,000 open pathways, and 5,000 deadlines due in the same minute (about 30 min).
bench-scale: $(STAMP)
	$(BIN)/python bench/scale.py

# Ranking one vacancy among 50,000 households; PostgreSQL too with BENCH_POSTGRES=<URL>.
bench-matching: venv
	$(BIN)/python bench/matching.py $(if $(BENCH_POSTGRES),--postgres $(BENCH_POSTGRES))

# The annual report over 100,000 households and 1,000,000 events; PostgreSQL as above.
bench-reports: venv
	$(BIN)/python bench/reports.py $(if $(BENCH_POSTGRES),--postgres $(BENCH_POSTGRES))

clean:
	rm -rf var/*.db var/*.db-* var/*.log
