# The two commands: `make run` and `make test`. Everything else is a helper for them.
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck migrations-check pytest setup lock bench clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || "$$(scripts/find-python)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

# axe-core for the accessibility gate (tests/test_a11y_gate.py), exactly as package-lock.json pins it.
NODE_STAMP := node_modules/.installed

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	@touch $(NODE_STAMP)

setup: $(STAMP) $(NODE_STAMP)

# `make run` prints staff e-mail in the terminal unless OMBUDS_EMAIL_BACKEND says otherwise.
# `make run PORT=8080` serves on another port of 127.0.0.1.
PORT ?= 8000
RUN_ENV := OMBUDS_BASE_URL=$${OMBUDS_BASE_URL:-http://127.0.0.1:$(PORT)}

run: $(STAMP)
	$(BIN)/ombuds migrate --no-input
	$(BIN)/ombuds collectstatic --no-input --verbosity 0
	$(RUN_ENV) $(BIN)/ombuds seed_demo
	$(RUN_ENV) OMBUDS_EMAIL_BACKEND=$${OMBUDS_EMAIL_BACKEND:-console} $(BIN)/ombuds serve --bind 127.0.0.1:$(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

migrations-check: $(STAMP)
	$(BIN)/ombuds makemigrations --check --dry-run

pytest: $(STAMP) $(NODE_STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck migrations-check pytest

lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --universal --python-version 3.12 -o requirements.lock

# `make bench BENCH_SCALE=small` is the quick version CI runs; BENCH_CASES sets the large history of a full run.
BENCH_SCALE ?= full
bench: $(STAMP)
	$(PY) -m benchmarks --scale $(BENCH_SCALE)

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
