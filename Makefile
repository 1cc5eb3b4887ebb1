# The two commands: `make demo` and `make test`. Both set up .venv themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench install clean translations screenshots

$(STAMP): setup.cfg pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The whole suite on SQLite, then the collector's tests again on PostgreSQL: on a throw-away cluster that
# scripts/pg_test_cluster.sh starts where PostgreSQL is installed (or at SKM_TEST_POSTGRES_URL); where it
# is not, that second pass skips with the reason.
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	SKM_TEST_BACKEND=postgresql SKM_TEST_POSTGRES_URL=$${SKM_TEST_POSTGRES_URL:-$$(scripts/pg_test_cluster.sh 2>/dev/null)} \
	  $(BIN)/python -m pytest tests/collector tests/sync -m "(not slow or postgres) and not sqlite" $(PYTEST_ARGS)

DEMO_PORT ?= 8080
DEMO_COLLECTOR_PORT ?= 8000

demo: $(STAMP)
	$(BIN)/skm ikm samples/paper-survey.csv
	$(BIN)/python scripts/demo.py --kiosk-port $(DEMO_PORT) --collector-port $(DEMO_COLLECTOR_PORT)

screenshots: $(STAMP)
	$(BIN)/python scripts/screenshots.py

bench: $(STAMP)
	$(BIN)/python bench/run.py

# After changing an interface text: refresh the catalog, translate the new entries in
# skmweb/translations/en/LC_MESSAGES/messages.po, then run this again to compile.
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext --no-location --sort-output -o skmweb/translations/messages.pot .
	$(BIN)/pybabel update -i skmweb/translations/messages.pot -d skmweb/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d skmweb/translations

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis
