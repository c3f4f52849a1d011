# Two entry points for a fresh machine: `make demo` and `make test`. Both build .venv from nothing when it is
# missing or when pyproject.toml changed since it was built (the stamp file's name carries pyproject's hash).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.stamp-$(shell sha1sum pyproject.toml | cut -c1-12)
DEMO_DIR ?= demo_output

export HF_HUB_OFFLINE := 1
# glibc's default malloc returns big tensor buffers to the OS after every step, which made CPU training 1.5-3x
# slower and erratic on this machine type; keeping them mapped fixes it (see benchmarks/stylegan_speed.py).
# (checked with mallinfo2: with this setting a 100 MB array comes from the heap instead of a fresh mmap)
export MALLOC_MMAP_THRESHOLD_ := 2147483647
export MALLOC_TRIM_THRESHOLD_ := 17179869184

.PHONY: demo test venv check-sync nbtest pytest clean readme

venv: $(STAMP)

$(STAMP): pyproject.toml
	@if ! $(PY) -c 'import sys' 2>/dev/null; then rm -rf $(VENV); $(PYTHON) -m venv $(VENV); fi
	rm -f $(VENV)/.stamp-*
	$(PY) -m pip install -q --disable-pip-version-check torch==2.14.1 torchvision==0.29.1 2>&1 | grep -v '^WARNING: Location' || true
	$(PY) -m pip install -q --disable-pip-version-check -e ".[dev]" 2>&1 | grep -v '^WARNING: Location' || true
	$(PY) -c 'import latent_explain, fastai, timm, nbdev, torchvision' 
	touch $@

demo: venv
	$(VENV)/bin/latent-explain demo --out $(DEMO_DIR)

# The notebooks are the source: fail when the generated module or the cleaned notebooks differ from what is checked in.
check-sync: venv
	@before=$$(find latent_explain -name '*.py' -not -path '*/__pycache__/*' | sort | xargs md5sum | md5sum); \
	$(VENV)/bin/nbdev-export; \
	after=$$(find latent_explain -name '*.py' -not -path '*/__pycache__/*' | sort | xargs md5sum | md5sum); \
	if [ "$$before" != "$$after" ]; then echo "ERROR: nbdev-export changed latent_explain/: the notebooks and the module were out of sync. Commit the regenerated module (git status latent_explain)."; exit 1; fi
	@before=$$(find nbs -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort | xargs md5sum | md5sum); \
	$(VENV)/bin/nbdev-clean; \
	after=$$(find nbs -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | sort | xargs md5sum | md5sum); \
	if [ "$$before" != "$$after" ]; then echo "ERROR: nbdev-clean changed nbs/: commit the cleaned notebooks (git status nbs)."; exit 1; fi

nbtest: venv
	$(VENV)/bin/nbdev-test --n-workers 2

# two workers: the tests are independent, and much of their time is single-threaded (process start, imports, small models)
pytest: venv
	$(PY) -m pytest tests -q -p no:cacheprovider -n 2

test: check-sync nbtest pytest

# README.md is rendered from nbs/index.ipynb (tests/test_readme.py checks that they agree)
readme: venv
	$(PY) scripts/render_readme.py

clean:
	rm -rf $(VENV) _proc _docs $(DEMO_DIR)
