# Two commands do everything on a fresh Debian machine with Python 3.11:
#   make demo   set up (if needed) and run the helical-edge demo
#   make test   set up (if needed) and run the default test suite
#   make docs   API reference and guides into docs/_build/html (warnings are errors)
#   make figures  the tutorials' figures (docs/figures) from the examples
PY = .venv/bin/python

.PHONY: setup demo test test-slow validate bench docs figures

setup:
	@bash scripts/setup.sh

demo: setup
	$(PY) examples/helical_edge_gap.py

test: setup
	$(PY) -m pytest -q

test-slow: setup
	$(PY) -m pytest -q -m slow

validate: setup
	$(PY) -m validation --json results/validation.json

docs: setup
	rm -rf docs/api
	$(PY) -m sphinx -W --keep-going -E -b html docs docs/_build/html

# The examples' figures and printed output shown in the tutorials
# (docs/figures/examples).  The validation figures there are those of
# `python -m validation CASE --figdir docs/figures/validation`.
EXAMPLES = helical_edge_gap helical_iv ti_surface_gap nonlinear_hall drag
figures: setup
	mkdir -p docs/figures/examples
	for ex in $(EXAMPLES); do \
		PYTHONPATH=$(CURDIR) $(PY) examples/$$ex.py --out docs/figures/examples/$$ex.png \
			> docs/figures/examples/$$ex.txt || exit 1; \
	done
