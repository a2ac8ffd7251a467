# ShopEase Analytics Platform. `make demo` runs the whole graph on embedded servers; `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install demo test test-quick lint ui down status bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[embedded,test]"
	$(BIN)/python -m shopease_platform.resources.dbt_project
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/shopease demo

test: install lint
	$(BIN)/python -m pytest

test-quick: install
	$(BIN)/python -m pytest -m "not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt --processes 0

ui: install
	$(BIN)/shopease services up
	eval "$$($(BIN)/shopease services env)" && $(BIN)/dagster dev -w workspace.yaml

status: install
	$(BIN)/shopease services status

down:
	@test -x $(BIN)/shopease && $(BIN)/shopease services down || true

bench: install
	$(BIN)/python -m pip install --quiet -e ".[embedded,test,bench]"
	$(BIN)/python bench/run.py

clean: down
	rm -rf .shopease dbt/target dbt/logs
