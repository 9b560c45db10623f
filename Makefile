# Practica — the two Quick start commands are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ADDRESS ?= 127.0.0.1:8000
# The embedded default: SQLite in the project folder, tasks in-process, DEBUG on.
RUN_ENV := DEBUG=1

.PHONY: install install-dev saml-idp browser run test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps: a second `make run` or `make test` installs nothing until pyproject.toml changes (pip
# takes seconds even when everything is already there: it builds the editable wheel again).
install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev saml-idp

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# The dev extra includes everything `install` installs.
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

# Debian's xmlsec1 signs for the SAML tests' identity provider (skipped without it, but in CI).
saml-idp:
	bash scripts/install-xmlsec1.sh

# Debian's Chromium drives the browser tests (playwright install cannot download here).
browser:
	bash scripts/install-chromium.sh

# The server answers as soon as the database is migrated; the demo is seeded meanwhile by a
# second process, whose progress every page shows (demo/progress.py). Stopping the server (Ctrl-C)
# stops the seed too: a seed cut short rolls back its current step and the next run finishes it.
SEED_PROGRESS := $(CURDIR)/artifacts/demo-seed.json
run: install
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	@mkdir -p "$(dir $(SEED_PROGRESS))" && rm -f "$(SEED_PROGRESS)"
	export $(RUN_ENV) DEMO_SEED_PROGRESS_FILE="$(SEED_PROGRESS)"; \
	$(BIN)/python manage.py seed_demo & seed=$$!; \
	trap 'kill $$seed 2>/dev/null; wait $$seed' EXIT; trap 'exit 130' INT TERM; \
	$(BIN)/python manage.py runserver $(ADDRESS)

test: install-dev browser
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles artifacts
