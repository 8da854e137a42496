# One task runner for people and CI. `make help` lists the targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
MODEL  ?= qwen2.5-coder-0.5b
LOCK   := requirements.lock
# Stands for "the venv has daima with its test tools, as locked". README command 1 makes a venv with daima
# alone (and .venv/bin/daima with it), so the test tools' own stamp is what tells make to finish the job.
TESTENV := $(VENV)/.daima-test-tools

.PHONY: help install editors model test test-fast e2e lint bench eval demo lock clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(TESTENV): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet -c $(LOCK) -e '.[test,test-remote]'
	@touch $@

install: $(TESTENV)  ## create .venv (or finish README command 1's) and install daima with its test tools, as locked

editors:  ## install the editor clients' npm packages (and tmux for the Neovim screen capture, where apt can)
	@if [ -f editors/vscode/package-lock.json ]; then npm ci --prefix editors/vscode --no-audit --no-fund --loglevel=error; fi
	@command -v tmux >/dev/null || { [ "$$(id -u)" = 0 ] && (apt-get update -qq && apt-get install -y -qq tmux) >/dev/null 2>&1; } || echo "tmux not installed: the Neovim capture test will skip"

model: install  ## download and convert the default model once (cached in the user cache dir)
	$(BIN)/daima model fetch $(MODEL)

test: install editors model  ## install everything, then run the whole test suite
	$(BIN)/python -m pytest -ra; status=$$?; if [ $$status -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$status

test-fast: install  ## the tests that need neither the real model nor the editors
	$(BIN)/python -m pytest -ra -m "not slow"

e2e: install editors model  ## a real VS Code (code-server, Chromium) and a real Neovim (tmux) with the real model: installs into ~/.cache/daima-e2e once, then runs the scenarios
	bash editors/vscode/e2e/install.sh
	npm run --prefix editors/vscode --silent package >/dev/null
	DAIMA_E2E=1 $(BIN)/python -m pytest -ra tests/e2e

lint: install  ## ruff and mypy over the Python packages
	$(BIN)/ruff check daima lsp completion indexer model review nextedit tests benchmarks
	$(BIN)/ruff format --check daima lsp completion indexer model review nextedit tests benchmarks
	$(BIN)/mypy daima lsp completion indexer model review nextedit

bench: model  ## the typing-replay benchmark (tiny model on CPU, real shapes on CUDA)
	$(BIN)/daima bench

eval: model  ## HumanEval single-line infilling on the held-out half: daima's pipeline against the naive baseline
	$(BIN)/python -m benchmarks.humaneval --split heldout --size 200

demo: install  ## one real completion on the bundled example file
	$(BIN)/daima complete 'examples/购物车.py:14:5'

lock:  ## resolve the Python dependencies anew into requirements.lock (review the diff, then make test)
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet -e '.[test,test-remote]'
	$(PYTHON) .ci/lock.py .lock-venv/bin/python > $(LOCK)
	rm -rf .lock-venv

clean:  ## remove build outputs (the model cache stays)
	rm -rf build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .lock-venv
