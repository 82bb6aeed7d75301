# Two entry points on a fresh machine:
#   make demo   set up, migrate SQLite, create an admin user, load demo products, run web + worker
#   make test   set up and run the whole test suite: ruff, pytest on SQLite, pytest on PostgreSQL
#               (installs redis-server, chromium and gettext when missing and allowed; starts its
#               own redis-server, moto S3 server and Celery workers)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# A CPU build of torch; elsewhere e.g. TORCH_SPEC="torch==2.13.0" with PIP_INDEX_URL pointing at
# the PyTorch CPU index, or any version the range in pyproject.toml admits.
TORCH_SPEC ?= torch==2.13.0
PORT ?= 8000

.PHONY: setup demo test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	scripts/system-packages.sh
	$(BIN)/pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet -e ".[test,demo]"
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo_setup
	$(BIN)/python manage.py rundemo --port $(PORT)

lint: setup
	$(BIN)/ruff check .

test: setup
	scripts/system-packages.sh --test
	VENV=$(VENV) scripts/test.sh

clean:
	rm -rf var .pytest_cache .ruff_cache
