# cchc_analysis — the front door. `make help` lists the targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
ROOT   ?= .
PERIOD ?= 2021-H1

.DEFAULT_GOAL := help
.PHONY: help install demo lab test check run benchmark clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q cchc_analysis >/dev/null  # bytecode, as an installed package has it
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (cchc)" >/dev/null
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the package with its test tools

demo: $(STAMP) ## make a sample workspace in ./demo and run every period of it
	$(BIN)/cchc demo --root demo

# `make lab` opens the demo; `make lab ROOT=/srv/cchc` another workspace (the notebooks find it
# through CCHC_ROOT, see README "Notebooks"); LAB_ARGS go to jupyter lab (e.g. --no-browser)
LAB_ROOT := $(if $(filter file,$(origin ROOT)),demo,$(ROOT))

lab: $(STAMP) ## JupyterLab on notebooks/ with the demo as workspace (make demo first; or ROOT=DIR)
	@test -d "$(LAB_ROOT)/data" || { echo "Chưa có thư mục làm việc $(LAB_ROOT)/data: chạy make demo trước, hoặc make lab ROOT=<thư mục làm việc>." >&2; exit 2; }
	CCHC_ROOT="$(abspath $(LAB_ROOT))" $(BIN)/jupyter lab notebooks/ $(LAB_ARGS)

test: $(STAMP) ## run the test suite
	$(BIN)/python -m pytest -q

check: $(STAMP) ## cchc check for PERIOD in ROOT (e.g. make check PERIOD=2021-H1 ROOT=.)
	$(BIN)/cchc check --period $(PERIOD) --root $(ROOT)

run: $(STAMP) ## cchc run (notebooks, workbook, HTML) for PERIOD in ROOT
	$(BIN)/cchc run --period $(PERIOD) --root $(ROOT)

benchmark: $(STAMP) ## time ingest/check against the calamine floor (see README)
	$(BIN)/python benchmarks/bench_ingest.py

clean: ## remove the virtual environment and the demo workspace
	rm -rf $(VENV) demo
