# make demo: the whole course lifecycle on a simulated class. make test: the test suite.
VENV ?= .venv
PYTHON := $(abspath $(VENV))/bin/python
STUDENTS ?= 30
export PATH := $(abspath $(VENV))/bin:$(PATH)
export MPLBACKEND := Agg

.PHONY: demo test unit mutants lab-student lab-instructor setup system
demo: setup system
	$(PYTHON) -m transformer_course demo --students $(STUDENTS)

test: setup system
	$(PYTHON) -m pytest -n 2

# The fast tier: no kernels, no browser, seconds.
unit: setup
	$(PYTHON) -m pytest -n 0 tests/unit nbgrader-sandbox/tests --ignore=nbgrader-sandbox/tests/test_quickstart.py

# Grade the whole answer catalogue with nbgrader and print a table of what each answer scored.
mutants: setup
	$(PYTHON) -m transformer_course.simulation.mutants

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

# Debian packages for the browser tests and the grading sandbox.
system:
	@command -v chromium >/dev/null && command -v bwrap >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium bubblewrap)
