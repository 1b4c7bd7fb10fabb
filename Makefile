# Jauap — the everyday commands. `make install` once, then `make demo`; `make test` runs every test (what CI runs).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
QUESTION ?= «Электрондық үкімет» порталын күн сайын қанша азамат пайдаланады?

.PHONY: install index demo api test lint bench audit

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# the st extra pins torch==2.13.0 (CPU build); a bare torch would pull a multi-GB CUDA build
install: $(BIN)/python
	$(BIN)/pip install -e '.[test,st]'

index:
	$(BIN)/python -m index build

demo: index
	$(BIN)/python -m index ask "$(QUESTION)"

api:
	$(BIN)/python -m api

# everything: unit, API, bot (with a real redis-server), browser (Debian's chromium) and quality tests
test:
	$(BIN)/pytest -q

lint:
	$(BIN)/ruff check .

bench:
	$(BIN)/python -m index bench --rebuild

# known vulnerabilities in the installed dependencies (PyPI advisory data); .ci/audit-ignore.txt lists accepted ones
audit:
	mkdir -p artifacts && rm -f artifacts/pip-audit.json
	-timeout 600 $(BIN)/pip-audit --local --skip-editable --progress-spinner off --format json \
	  --output artifacts/pip-audit.json
	$(BIN)/python .ci/audit.py artifacts/pip-audit.json
