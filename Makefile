# permitcard: `make run` serves the demo on SQLite; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install run test test-deep test-fast lint bench bench-smoke bench-report bench-inprocess bench-scale bench-ecard bench-permit-events clean chromium migrate seed i18n-extract i18n-update

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)
	@# Bytecode for our own modules, written here because PYTHONDONTWRITEBYTECODE (set on many machines and
	@# images) would have every start compile them again: 0.3-0.6 s of `permitcard serve`'s start, measured.
	@$(BIN)/python -m compileall -q src >/dev/null

migrate: install
	$(BIN)/permitcard db upgrade

seed: migrate
	$(BIN)/permitcard seed-demo

run: seed
	$(BIN)/permitcard serve --host 127.0.0.1 --port 8000

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

test: install chromium
	$(BIN)/python -m pytest tests

# The API fuzzed from its OpenAPI as every role with many cases per operation (make test draws 2).
FUZZ_EXAMPLES ?= 50
test-deep: install
	PERMITCARD_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests -m fuzz

test-fast: install
	$(BIN)/python -m pytest tests -m "not e2e"

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# Over HTTP against `permitcard serve`, beside bare endpoints, SQLite and PostgreSQL (BENCH_DATABASE_URL, default
# the local server), 20-35 min. LABEL names the results column (bench/results/$(LABEL).json): LABEL=before, LABEL=after.
# BENCH_ARGS selects, e.g. BENCH_ARGS="--journey registration --db sqlite --reps 5".
LABEL ?= latest
bench: install
	$(BIN)/python -m bench.run --label $(LABEL) $(BENCH_ARGS)

# A few seconds of one journey on SQLite through the whole harness (servers, preparation, load process, bare app),
# into a scratch folder: checks the bench works without touching bench/results or the report.
bench-smoke: install
	$(BIN)/python -m bench.run --quick --journey registration --db sqlite --label smoke --results var/bench-smoke

bench-report: install
	$(BIN)/python -m bench.report

# The earlier in-process scenarios (services against raw SQL, and wrk), the report's appendix.
bench-inprocess: install
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || true
	$(BIN)/python -m bench.inprocess

# Look-ups, queue pages and name search at 10,000 and 1,000,000 generated people (databases kept in
# var/bench-scale/; the first run generates them, which takes a while): bench/SCALE.md.
bench-scale: install
	$(BIN)/python -m bench.scale $(if $(PEOPLE),--people $(PEOPLE))

bench-ecard: install
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || true
	$(BIN)/python -m bench.ecard

# Permit events reaching the cards: EVENTS (default 100,000) through the outbox and the card handler, beside raw
# batched SQL doing the same writes (target >= 0.25x); BENCH_DATABASE_URL=postgresql://... for PostgreSQL.
# `make bench` runs it too, on both databases.
bench-permit-events: install
	$(BIN)/python -m bench.permit_events $(if $(EVENTS),--events $(EVENTS))

i18n-extract: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k NP_:1,2 -k _ -k gettext -k ngettext:1,2 -k pgettext:1c,2 -o src/permitcard/locale/messages.pot --no-location --sort-output src

i18n-update: i18n-extract
	$(BIN)/pybabel update -i src/permitcard/locale/messages.pot -d src/permitcard/locale -l zh_Hans --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) var test-artifacts
