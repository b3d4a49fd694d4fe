# make demo: the whole course lifecycle on a simulated class. make test: the test suite.
VENV ?= .venv
PYTHON := $(abspath $(VENV))/bin/python
STUDENTS ?= 30
export PATH := $(abspath $(VENV))/bin:$(PATH)
export MPLBACKEND := Agg

.PHONY: demo test unit mutants lab-student lab-instructor setup system hub
demo: setup system
	$(PYTHON) -m transformer_course demo --students $(STUDENTS)

test: setup system
	$(PYTHON) -m pytest -n 2 --durations=25

# The fast tier: no kernels, no browser, seconds.
unit: setup
	$(PYTHON) -m pytest -n 0 tests/unit nbgrader-sandbox/tests --ignore=nbgrader-sandbox/tests/test_quickstart.py \
	  --ignore=nbgrader-sandbox/tests/test_ready_client.py

# Grade the whole answer catalogue with nbgrader and print a table of what each answer scored.
mutants: setup
	$(PYTHON) -m transformer_course.simulation.mutants

# The class on JupyterHub, as root (README, "Running a class on JupyterHub"):
# make hub ROSTER=students.csv INSTRUCTORS=alice,bob [HUB_PORT=8000]
hub: setup system
	$(PYTHON) -m transformer_course hub $(if $(ROSTER),--roster $(ROSTER)) \
	  $(if $(INSTRUCTORS),--instructors $(INSTRUCTORS)) $(if $(HUB_PORT),--port $(HUB_PORT))

lab-student lab-instructor: setup
	env -u MPLBACKEND $(PYTHON) -m transformer_course.lab $(@:lab-%=%)

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt constraints.txt pyproject.toml nbgrader-sandbox/pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -r requirements.txt -c constraints.txt
	$(PYTHON) -m pip install --quiet --no-deps --editable ./nbgrader-sandbox --editable .
	$(PYTHON) -m nbgrader_sandbox install --prefix=$(abspath $(VENV))
	touch $@

# Debian packages for the browser tests and the grading sandbox; the class hub's Python and proxy;
# PostgreSQL for a class's gradebook (`database start`) and its tests.
system:
	@command -v chromium >/dev/null && command -v bwrap >/dev/null && test -d /usr/share/javascript/mathjax || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium bubblewrap libjs-mathjax)
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql)
	@command -v npm >/dev/null && /usr/bin/python3 -c 'import ensurepip' 2>/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv nodejs npm)
	@test -x /opt/transformer-course/chp/node_modules/.bin/configurable-http-proxy || \
	  npm install --silent --prefix /opt/transformer-course/chp configurable-http-proxy@5.3.0
