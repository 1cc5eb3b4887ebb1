# The two commands: `make demo` and `make test`. Both set up .venv themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
APP := $(VENV)/.installed-app
TESTING := $(VENV)/.installed-test

.PHONY: demo test lint bench install clean translations screenshots

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# `make demo` installs only what the product needs; `make test` adds the test extras.
$(APP): setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(APP)

$(TESTING): setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(APP) $(TESTING)

install: $(TESTING)

# The whole suite on SQLite, then the collector's tests again on PostgreSQL: on a throw-away cluster that
# scripts/pg_test_cluster.sh starts where PostgreSQL is installed (or at SKM_TEST_POSTGRES_URL); where it
# is not, that second pass skips with the reason.
# Both passes run on every core (pytest-xdist; TEST_WORKERS=0 runs them in one process; a module marked
# xdist_group stays on one worker), and print their slowest tests.
TEST_WORKERS ?= auto
test: $(TESTING) lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup --durations=15 $(PYTEST_ARGS)
	SKM_TEST_BACKEND=postgresql SKM_TEST_POSTGRES_URL=$${SKM_TEST_POSTGRES_URL:-$$(scripts/pg_test_cluster.sh 2>/dev/null)} \
	  $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup --durations=15 tests/collector tests/sync \
	  -m "(not slow or postgres) and not sqlite" $(PYTEST_ARGS)

# ruff for the code's form, mypy for its annotations (settings in pyproject.toml).
lint: $(TESTING)
	$(BIN)/ruff check .
	$(BIN)/mypy

DEMO_PORT ?= 8080
DEMO_COLLECTOR_PORT ?= 8000

demo: $(APP)
	$(BIN)/skm ikm samples/paper-survey.csv
	$(BIN)/python scripts/demo.py --kiosk-port $(DEMO_PORT) --collector-port $(DEMO_COLLECTOR_PORT)

screenshots: $(TESTING)
	$(BIN)/python scripts/screenshots.py

bench: $(TESTING)
	$(BIN)/python bench/run.py

# After changing an interface text: refresh the catalog, translate the new entries in
# skmweb/translations/en/LC_MESSAGES/messages.po, then run this again to compile.
translations: $(TESTING)
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext --no-location --sort-output -o skmweb/translations/messages.pot .
	$(BIN)/pybabel update -i skmweb/translations/messages.pot -d skmweb/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d skmweb/translations

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis
