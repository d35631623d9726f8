# CRM Insight · 客户洞察
#   make run    fresh machine -> running app on demo data (http://127.0.0.1:8501)
#   make test   fresh machine -> the whole suite (unit, app, browser)
#   make bench  timings at 1,000,000 customers

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DB     ?= data/crm.duckdb
PORT   ?= 8501
STAMP  := $(VENV)/.installed

.PHONY: install run demo test test-fast browser-deps bench clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

$(DB): | $(STAMP)
	$(BIN)/python -m crm demo --db $(DB)

demo: $(STAMP)
	$(BIN)/python -m crm demo --db $(DB)

run: $(STAMP) $(DB)
	CRM_DB=$(DB) $(BIN)/streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT) --server.headless true

browser-deps:
	bash scripts/install-browser.sh

test: $(STAMP) browser-deps
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	CRM_SKIP_BROWSER=1 $(BIN)/python -m pytest -m "not browser"

bench: $(STAMP)
	$(BIN)/python scripts/bench.py

clean:
	rm -rf $(VENV) data/*.duckdb data/*.wal data/bench tests/artifacts .pytest_cache
