PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements/dev.txt
PIP_COMPILE_FLAGS := -q --extra dev --strip-extras --no-emit-index-url --no-emit-find-links

.PHONY: run test test-fast lint bench init clean lock

# Installs exactly the versions in the lock file (pip-tools), then the project itself.
$(STAMP): pyproject.toml $(LOCK)
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r $(LOCK)
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/exchange init
	$(BIN)/exchange serve

# The whole suite, then tests/api again without the execution shortcut (schema/fast_resolvers.py).
test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)
	EXCHANGE_FAST_EXECUTION=0 $(BIN)/python -m pytest -q tests/api

# The loop to run while working: no browser, no soak, nothing marked slow, fewer property examples.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -n auto -m "not browser and not slow" --hypothesis-profile=fast $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python -m bench

# Re-resolve the lock file after changing dependencies in pyproject.toml.
lock: $(STAMP)
	$(BIN)/pip install -q pip-tools
	$(BIN)/pip-compile $(PIP_COMPILE_FLAGS) -o $(LOCK) pyproject.toml

clean:
	rm -rf $(VENV) var
