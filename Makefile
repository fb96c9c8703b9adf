# Pasar Desa: `make run` sets up everything and serves the demo; `make test` runs the whole suite.
# The first Python 3.11 to 3.13 found (python3 first); override with `make PYTHON=/path/to/python3.12 ...`.
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	$$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' >/dev/null 2>&1 \
	&& { echo $$p; break; }; done)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# The suite runs in this many processes (pytest-xdist; `auto` is one per core, 0 runs it in one process).
TEST_WORKERS ?= auto
# The browser tests drive this Chromium (Debian's package puts it here).
CHROMIUM ?= /usr/bin/chromium
export FLASK_APP := wsgi
export CHROMIUM

.PHONY: run test test-fast browser install translations db demo messages clean

run: install translations db demo
	SITE_URL="$${SITE_URL:-http://$(HOST):$(PORT)}" $(BIN)/flask run --host $(HOST) --port $(PORT)

test: install translations browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# Everything but the browser journeys and the long concurrency tests: the loop while changing code.
test-fast: install translations
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile -m "not browser and not slow" $(PYTEST_ARGS)

# Debian's chromium for the browser tests: installed when missing and this user may (root, apt-get).
# Otherwise the browser tests are skipped with one line saying so; under CI=true a missing browser fails.
browser:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	why="this user ($$(id -un)) may not install packages"; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's chromium for the browser tests (apt-get install chromium)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		why="apt-get could not install it here"; \
	fi; \
	if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	if [ "$${CI:-}" = "true" ]; then echo "No Chromium at $(CHROMIUM) ($$why): CI needs the browser tests." >&2; exit 1; fi; \
	echo "No Chromium at $(CHROMIUM) ($$why): the browser tests will be skipped. Get them with" \
		"'sudo make browser' (or 'sudo apt-get install chromium'), or point CHROMIUM= at a Chromium."

install: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml
	@[ -n "$(PYTHON)" ] && $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "Pasar Desa needs Python 3.11 to 3.13 (python3, python3.13, python3.12 or python3.11 on PATH," \
		"or make PYTHON=/path/to/python3); '$(PYTHON)' is not one." >&2; exit 1; }
	@# A virtualenv whose Python is gone or is another version is rebuilt, not patched.
	@version='import sys; print(sys.version_info[:2])'; \
	if [ -d $(VENV) ] && [ "$$($(BIN)/python -c "$$version" 2>/dev/null)" != "$$($(PYTHON) -c "$$version")" ]; then \
		echo "Rebuilding $(VENV) for $$($(PYTHON) --version)"; rm -rf $(VENV); fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

translations: install
	$(BIN)/pybabel compile --use-fuzzy -d marketplace/translations -D messages
	$(BIN)/pybabel compile -d marketplace/translations -D wtforms

db: install
	$(BIN)/flask db upgrade

demo: db
	$(BIN)/flask seed-demo --if-empty

# Refresh the message catalogue after changing user-facing text.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -o marketplace/translations/messages.pot .
	$(BIN)/pybabel update -i marketplace/translations/messages.pot -d marketplace/translations -D messages

clean:
	rm -rf $(VENV) instance *.egg-info
