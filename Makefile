# Entry points. `make demo` and `make test` are all a newcomer needs.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The demo's links (e-mails, printed login address) point at the port it runs on.
DEMO_SITE_URL ?= http://127.0.0.1:$(PORT)
BENCH ?=
PYTEST_ARGS ?=
# Test processes (pytest-xdist): one per core by default; TEST_WORKERS=0 runs in this process.
TEST_WORKERS ?= auto
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: setup demo demo-code test typecheck test-browser test-all bench lock messages clean-demo

$(VENV)/.installed: requirements.lock
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

setup: $(VENV)/.installed ## create or update the virtual environment

demo: setup ## SQLite demo with reference and demo data on http://127.0.0.1:$(PORT)
	mkdir -p var/static
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=1 $(PY) manage.py load_reference_data
	DJANGO_DEBUG=1 SITE_URL=$(DEMO_SITE_URL) $(PY) manage.py demo_data
	@echo "Samverkan demo: http://127.0.0.1:$(PORT)/"
	DJANGO_DEBUG=1 SITE_URL=$(DEMO_SITE_URL) $(PY) manage.py runserver 127.0.0.1:$(PORT)

demo-code: setup ## current authenticator code of a demo user: make demo-code EMAIL=falun@demo.samverkan.se
	@DJANGO_DEBUG=1 $(PY) manage.py demo_code $(EMAIL)

test: setup ## lint, types (mypy), checks, migrations check and the whole suite (DATABASE_URL picks the database)
	mkdir -p var/static
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_DEBUG=1 $(PY) -m mypy
	DJANGO_DEBUG=1 $(PY) manage.py check
	DJANGO_DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	DJANGO_DEBUG=1 $(PY) -m pytest -q -n $(TEST_WORKERS) $(PYTEST_ARGS)

typecheck: setup ## mypy over samverkan/ (strict for the policy and every services.py; see pyproject.toml)
	DJANGO_DEBUG=1 $(PY) -m mypy

test-browser: setup ## browser tests in Debian's Chromium (apt-get install chromium chromium-driver)
	DJANGO_DEBUG=1 $(PY) -m pytest -q -n $(TEST_WORKERS) -m browser $(PYTEST_ARGS)

test-all: setup ## everything, slow tests included
	DJANGO_DEBUG=1 $(PY) -m pytest -q -n $(TEST_WORKERS) -m "" $(PYTEST_ARGS)

bench: setup ## benchmarks; one with BENCH=<name>; writes benchmarks/results.json
	$(PY) -m benchmarks $(BENCH)

lock: ## re-pin requirements.lock from requirements.in
	rm -rf /tmp/samverkan-lock && python3 -m venv /tmp/samverkan-lock
	/tmp/samverkan-lock/bin/pip install --quiet -r requirements.in
	/tmp/samverkan-lock/bin/pip freeze --exclude pip --exclude setuptools > requirements.lock

messages: setup ## update and compile the translation catalogues
	cd samverkan && DJANGO_DEBUG=1 ../$(PY) ../manage.py makemessages -l sv -l en --no-obsolete
	cd samverkan && DJANGO_DEBUG=1 ../$(PY) ../manage.py compilemessages

clean-demo: ## remove the demo database
	rm -f var/samverkan.sqlite3
