# relief: `make run` serves the demo, `make test` runs every test. Both need only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test bench translations css requirements clean

# make run installs what the app needs (requirements.txt); make test and make bench add what the
# tests and benchmarks need (requirements-dev.txt). Both are compiled by pip-tools: `make requirements`.
$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

relief/translations/en/LC_MESSAGES/messages.mo: relief/translations/en/LC_MESSAGES/messages.po $(VENV)/.installed
	$(VENV)/bin/pybabel compile -d relief/translations -f

run: $(VENV)/.installed relief/translations/en/LC_MESSAGES/messages.mo
	$(FLASK) db upgrade
	$(FLASK) relief demo --if-empty
	@echo "Serving http://$(HOST):$(PORT)  (Ctrl-C stops)"
	$(VENV)/bin/gunicorn --workers 2 --timeout 180 --bind $(HOST):$(PORT) --access-logfile - \
		--access-logformat '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms' wsgi:app

# The suite runs in several processes (pytest-xdist), each with databases of its own: five, since
# most tests wait on a browser or a database rather than compute (on 2 cores, measured on a fresh
# clone: 4 processes 7 min 20 s, 5 processes 6 min 51 s, 6 processes 7 min 16 s);
# `make test JOBS=0` runs it in one process.
JOBS ?= 5
test: $(VENV)/.dev-installed relief/translations/en/LC_MESSAGES/messages.mo
	$(PY) -m pytest -n $(JOBS)

bench: $(VENV)/.dev-installed
	$(PY) -m bench.run

translations: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ -o relief/translations/messages.pot .
	$(VENV)/bin/pybabel update -i relief/translations/messages.pot -d relief/translations --no-fuzzy-matching --ignore-obsolete
	$(VENV)/bin/pybabel compile -d relief/translations -f

requirements: $(VENV)/.dev-installed
	$(VENV)/bin/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links requirements.in -o requirements.txt
	$(VENV)/bin/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links requirements-dev.in -o requirements-dev.txt

# static/vendor/bootstrap: only the Bootstrap CSS and JS the templates, scripts and Python use
# (tools/css/build.mjs, PurgeCSS and esbuild from npm). Needs Node.js; the output is committed, so
# `make run` and `make test` do not. Run it after using a Bootstrap class no template used before.
css:
	cd tools/css && npm ci --no-audit --no-fund && node build.mjs

clean:
	rm -rf $(VENV) .pytest_cache
