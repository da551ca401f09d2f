# The two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CLI    := $(BIN)/hazard-ledger

.PHONY: run test install browser loadgen bench bench-full translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

## make run: install, migrate, load the demo once, serve on http://127.0.0.1:8000 with the scheduler
run: install
	$(CLI) db upgrade
	$(CLI) demo
	$(CLI) serve

## make test: install with test extras and run the whole suite (PostgreSQL too when
## HAZARD_LEDGER_TEST_DATABASE_URL names one)
test: install browser
	$(BIN)/python -m pytest

## the browser tests drive Debian's Chromium (Playwright's own download cannot work offline),
## with a CJK font so the screenshots show Chinese; the ledger's print test opens the workbook
## in LibreOffice and reads the PDF back with poppler
browser:
	@if { [ ! -x /usr/bin/chromium ] || [ ! -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] \
		|| [ ! -x /usr/bin/soffice ] || [ ! -x /usr/bin/pdftotext ]; } \
		&& [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			chromium fonts-wqy-zenhei libreoffice-calc-nogui poppler-utils >/dev/null; fi

## the report-writes benchmark drives the server with Debian's wrk (a load generator in
## Python would take a good part of the two cores it measures); without it, it falls back
loadgen:
	@if [ ! -x /usr/bin/wrk ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; fi

## make bench: the benchmarks at a small scale (a few minutes); make bench-full: full scale
bench: install loadgen
	$(BIN)/python -m bench

bench-full: install loadgen
	$(BIN)/python -m bench --full

## make translations: collect the marked text into the English catalog and compile it
translations: install
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -o .venv/messages.pot .
	$(BIN)/pybabel -q update -i .venv/messages.pot -d hazard_ledger/web/translations --no-fuzzy-matching --ignore-obsolete -w 100
	$(BIN)/pybabel compile --statistics -d hazard_ledger/web/translations

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
