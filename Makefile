# Pasar Desa: `make run` sets up everything and serves the demo; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test install translations db demo messages clean

run: install translations db demo
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: install translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

install: $(VENV)/.installed

$(VENV)/.installed: setup.cfg pyproject.toml
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
